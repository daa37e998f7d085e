import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { sleep } from './http.ts';

/**
 * A strict simulator of the Slack Web API (the subset the bot uses), plus the
 * `response_url`s Slack hands out with interactions.
 *
 * Like Slack: every method answers HTTP 200 `{ ok: false, error }` on failure
 * (rate limits: HTTP 429 + `Retry-After`), accepts form-encoded bodies (nested
 * fields JSON-encoded, as @slack/web-api sends them) or JSON bodies (token only in
 * the `Authorization` header), and validates Block Kit payloads against the
 * documented limits. Where Slack's behaviour is unknown, the simulator is the
 * stricter of the plausible choices: a lenient simulator hides bugs.
 *
 * Limits cite the Block Kit reference, https://docs.slack.dev/reference/block-kit
 * (blocks/…, block-elements/…, composition-objects/…, views), and the method pages
 * under https://docs.slack.dev/reference/methods.
 */

// ---------------------------------------------------------------------------
// Public types

export type SimUser = {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  email?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isPrimaryOwner?: boolean;
  isRestricted?: boolean;
  isBot?: boolean;
  deleted?: boolean;
  /** IANA zone, default `Europe/London`. */
  tz?: string;
};

export type SimChannel = {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Whether the bot is a member (DMs opened by the bot always are). */
  isMember?: boolean;
  isArchived?: boolean;
  isIm?: boolean;
  isMpim?: boolean;
  /** The other party of a DM. */
  user?: string;
  /** Human members; when set, `chat.postEphemeral` checks the target user against it. */
  members?: string[];
};

export type SimMessage = {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  /** Author: the bot user id for everything the bot posts. */
  user: string;
  botId?: string;
  threadTs?: string;
  edited?: { user: string; ts: string };
  deleted?: boolean;
  via: 'chat.postMessage' | 'response_url' | 'seed';
};

export type SimEphemeral = {
  channel: string;
  user: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  via: 'chat.postEphemeral' | 'response_url';
};

export type SimView = {
  id: string;
  type: 'modal' | 'home';
  /** Whose view: the trigger's user for modals, `user_id` for home tabs. */
  userId?: string;
  hash: string;
  externalId?: string;
  rootViewId: string;
  previousViewId: string | null;
  /** The view as the bot last sent it. */
  view: Record<string, unknown>;
  /** Every version the bot sent (open/push/publish, then each update). */
  history: Record<string, unknown>[];
  closed: boolean;
};

export type SlackCall = {
  method: string;
  /** Parsed arguments: form fields (JSON fields parsed) or the JSON body; `token` masked. */
  args: Record<string, unknown>;
  /** `'[redacted]'` when a token was sent (header or form field), else undefined. */
  token: string | undefined;
  at: number;
  /** HTTP status answered. */
  status: number;
  response: Record<string, unknown>;
};

export type SlackFault = {
  /** Web API method (`chat.postMessage`); any method when absent. */
  method?: string;
  /** Answer HTTP 200 `{ ok: false, error }`. */
  error?: string;
  /** Answer HTTP 429 `{ ok: false, error: 'ratelimited' }` with `Retry-After`. */
  status?: 429;
  /** Seconds, default 1. */
  retryAfter?: number;
  /** How many matching calls this fault applies to. Default 1. */
  times?: number;
  /** Waits before answering (or before the real handler when neither error nor status). */
  delayMs?: number;
};

export type ResponseUrlPost = {
  id: string;
  /** Parsed JSON body (the raw text when unparsable). */
  body: unknown;
  at: number;
  status: number;
  error?: string;
};

export type SlackSimulatorOptions = {
  botToken: string;
  /** App-level token (`xapp-…`) accepted by `apps.connections.open` (Socket Mode). */
  appToken?: string;
  teamId?: string;
  teamName?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  botName?: string;
  appId?: string;
  users?: SimUser[];
  channels?: SimChannel[];
  /** User groups (`S…`) and their members, for usergroups.users.list. */
  userGroups?: Record<string, string[]>;
  /**
   * The bot token's scopes. Methods check them (`missing_scope`), and `users.info`
   * only shows emails with `users:read.email`. Defaults to DEFAULT_SCOPES.
   */
  scopes?: string[];
  /**
   * Opt-in per-channel limit on `chat.postMessage` (Slack: "1 message per second
   * per channel, short bursts allowed"): more than `max` accepted posts in the
   * last `windowMs` answer 429.
   */
  channelRateLimit?: { max: number; windowMs: number };
  /** Clock in ms; drives ts values, trigger and response_url expiry. */
  now?: () => number;
};

export const DEFAULT_SCOPES = [
  'chat:write',
  'commands',
  'users:read',
  'users:read.email',
  'im:write',
  'im:read',
  'channels:read',
  'groups:read',
  'mpim:read',
  'channels:join',
];

/** Trigger ids expire 3 s after the interaction (views.open docs). */
export const TRIGGER_TTL_MS = 3_000;
/** A response_url may be used up to 5 times within 30 minutes (handling interactions docs). */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Modal stacks hold at most 3 views (views.push docs). */
export const VIEW_STACK_LIMIT = 3;

// ---------------------------------------------------------------------------
// Block Kit validation

type Json = Record<string, unknown>;
type Issue = { pointer: string; message: string };
type Check = { issues: Issue[]; actionIds: Set<string>; blockIds: Set<string> };
export type Surface = 'message' | 'modal' | 'home';

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const issue = (c: Check, pointer: string, message: string) => {
  c.issues.push({ pointer, message });
};

const newCheck = (): Check => ({ issues: [], actionIds: new Set(), blockIds: new Set() });

/** Checks `parent[key]` is a string within `max` characters; returns it when it is. */
function str(
  c: Check,
  parent: Json,
  key: string,
  p: string,
  max: number,
  opts: { required?: boolean; min?: number } = {},
): string | undefined {
  const v = parent[key];
  if (v === undefined) {
    if (opts.required) issue(c, p, `missing required field: ${key}`);
    return undefined;
  }
  if (typeof v !== 'string') {
    issue(c, `${p}/${key}`, 'must be a string');
    return undefined;
  }
  const min = opts.min ?? 0;
  if (v.length < min) issue(c, `${p}/${key}`, `must be more than ${min - 1} characters`);
  if (v.length > max) issue(c, `${p}/${key}`, `must be less than ${max + 1} characters`);
  return v;
}

function bool(c: Check, parent: Json, key: string, p: string, required = false) {
  const v = parent[key];
  if (v === undefined) {
    if (required) issue(c, p, `missing required field: ${key}`);
  } else if (typeof v !== 'boolean') issue(c, `${p}/${key}`, 'must be a boolean');
}

function oneOf(c: Check, parent: Json, key: string, p: string, allowed: string[]) {
  const v = parent[key];
  if (v !== undefined && (typeof v !== 'string' || !allowed.includes(v))) {
    issue(c, `${p}/${key}`, `must be one of: ${allowed.join(', ')}`);
  }
}

/**
 * Text object (composition-objects/text-object): `type` plain_text or mrkdwn,
 * `text` 1..3000 characters (less where the field says so); `emoji` only on
 * plain_text, `verbatim` only on mrkdwn.
 */
function textField(
  c: Check,
  parent: Json,
  key: string,
  p: string,
  o: { max: number; plain?: boolean; required?: boolean },
): string | undefined {
  const v = parent[key];
  const here = `${p}/${key}`;
  if (v === undefined) {
    if (o.required) issue(c, p, `missing required field: ${key}`);
    return undefined;
  }
  return textObject(c, v, here, o);
}

function textObject(
  c: Check,
  v: unknown,
  here: string,
  o: { max: number; plain?: boolean },
): string | undefined {
  if (!isObj(v)) {
    issue(c, here, 'must be a text object');
    return undefined;
  }
  if (v.type !== 'plain_text' && v.type !== 'mrkdwn') {
    issue(c, `${here}/type`, 'must be one of: plain_text, mrkdwn');
    return undefined;
  }
  if (o.plain && v.type !== 'plain_text') issue(c, `${here}/type`, 'must be plain_text');
  const allowed =
    v.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'];
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) issue(c, `${here}/${key}`, `${key} is not allowed in ${v.type}`);
  }
  return str(c, v, 'text', here, Math.min(o.max, 3000), { required: true, min: 1 });
}

const SELECTS = [
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
];
const MULTI_SELECTS = SELECTS.map((t) => `multi_${t}`);

/** Elements allowed in an actions block (blocks/actions-block). */
const ACTIONS_ELEMENTS = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'datetimepicker',
  'overflow',
  'radio_buttons',
  'timepicker',
  'workflow_button',
  'rich_text_input',
  ...SELECTS,
  ...MULTI_SELECTS,
]);

/** Elements allowed as a section accessory (blocks/section-block). */
const ACCESSORY_ELEMENTS = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'image',
  'overflow',
  'radio_buttons',
  'timepicker',
  'workflow_button',
  ...SELECTS,
  ...MULTI_SELECTS,
]);

/** Elements allowed in an input block (blocks/input-block). */
export const INPUT_ELEMENTS = new Set([
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
  'checkboxes',
  'radio_buttons',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'rich_text_input',
  'file_input',
  ...SELECTS,
  ...MULTI_SELECTS,
]);

export const BLOCK_TYPES = [
  'section',
  'header',
  'divider',
  'context',
  'actions',
  'input',
  'image',
  'rich_text',
];

/**
 * Blocks per surface (blocks reference: "up to 50 blocks in each message, and up to 100
 * blocks in modals or Home tabs").
 */
export const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };

function array(
  c: Check,
  parent: Json,
  key: string,
  p: string,
  o: { min?: number; max: number; required?: boolean },
): unknown[] | undefined {
  const v = parent[key];
  if (v === undefined) {
    if (o.required) issue(c, p, `missing required field: ${key}`);
    return undefined;
  }
  if (!Array.isArray(v)) {
    issue(c, `${p}/${key}`, 'must be an array');
    return undefined;
  }
  const min = o.min ?? 0;
  if (v.length < min) issue(c, `${p}/${key}`, `must provide at least ${min} items`);
  if (v.length > o.max) issue(c, `${p}/${key}`, `no more than ${o.max} items allowed`);
  return v;
}

/**
 * Option object (composition-objects/option-object): `text` ≤ 75 (plain_text in
 * menus, either type in checkboxes/radio buttons), `value` ≤ 150 and required,
 * `description` ≤ 75, `url` ≤ 3000 in overflow menus only.
 */
function options(
  c: Check,
  parent: Json,
  key: string,
  p: string,
  o: { min: number; max: number; mrkdwn?: boolean; overflow?: boolean; required?: boolean },
): string[] {
  const list = array(c, parent, key, p, o);
  const values: string[] = [];
  list?.forEach((item, i) => {
    const op = `${p}/${key}/${i}`;
    if (!isObj(item)) {
      issue(c, op, 'must be an option object');
      return;
    }
    textField(c, item, 'text', op, { max: 75, plain: !o.mrkdwn, required: true });
    const value = str(c, item, 'value', op, 150, { required: true });
    if (value !== undefined) {
      if (values.includes(value)) issue(c, `${op}/value`, `duplicate option value: ${value}`);
      values.push(value);
    }
    textField(c, item, 'description', op, { max: 75, plain: !o.mrkdwn });
    if (o.overflow) str(c, item, 'url', op, 3000);
    else if (item.url !== undefined) issue(c, `${op}/url`, 'url is only allowed in overflow menus');
  });
  return values;
}

function initialOptions(c: Check, el: Json, p: string, values: string[], multi: boolean) {
  const check = (opt: unknown, here: string) => {
    if (!isObj(opt) || typeof opt.value !== 'string' || !values.includes(opt.value)) {
      issue(c, here, 'must exactly match one of the options');
    }
  };
  if (multi) {
    const list = el.initial_options;
    if (list === undefined) return;
    if (!Array.isArray(list)) issue(c, `${p}/initial_options`, 'must be an array');
    else
      list.forEach((opt, i) => {
        check(opt, `${p}/initial_options/${i}`);
      });
  } else if (el.initial_option !== undefined) check(el.initial_option, `${p}/initial_option`);
}

/** Confirmation dialog (composition-objects/confirmation-dialog-object). */
function confirm(c: Check, el: Json, p: string) {
  const v = el.confirm;
  if (v === undefined) return;
  const here = `${p}/confirm`;
  if (!isObj(v)) {
    issue(c, here, 'must be an object');
    return;
  }
  textField(c, v, 'title', here, { max: 100, plain: true, required: true });
  textField(c, v, 'text', here, { max: 300, required: true });
  textField(c, v, 'confirm', here, { max: 30, plain: true, required: true });
  textField(c, v, 'deny', here, { max: 30, plain: true, required: true });
  oneOf(c, v, 'style', here, ['primary', 'danger']);
}

function element(c: Check, el: unknown, p: string, allowed: Set<string>, where: string) {
  if (!isObj(el)) {
    issue(c, p, 'must be an element object');
    return;
  }
  const type = el.type;
  if (typeof type !== 'string') {
    issue(c, p, 'missing required field: type');
    return;
  }
  if (!allowed.has(type)) {
    issue(c, `${p}/type`, `${type} is not a valid element in ${where}`);
    return;
  }
  if (type !== 'image') {
    // action_id ≤ 255 (block-elements); unique within the surface (stricter than
    // Slack's "unique among the containing block", so payload routing never collides).
    const actionId = str(c, el, 'action_id', p, 255);
    if (actionId !== undefined) {
      if (c.actionIds.has(actionId)) issue(c, `${p}/action_id`, `duplicate action_id: ${actionId}`);
      c.actionIds.add(actionId);
    }
  }
  const placeholder = () => textField(c, el, 'placeholder', p, { max: 150, plain: true });
  switch (type) {
    case 'button': // block-elements/button-element
      textField(c, el, 'text', p, { max: 75, plain: true, required: true });
      str(c, el, 'value', p, 2000);
      str(c, el, 'url', p, 3000);
      str(c, el, 'accessibility_label', p, 75);
      oneOf(c, el, 'style', p, ['primary', 'danger']);
      confirm(c, el, p);
      break;
    case 'image': // block-elements/image-element
      str(c, el, 'alt_text', p, 2000, { required: true, min: 1 });
      if (el.slack_file === undefined) str(c, el, 'image_url', p, 3000, { required: true, min: 1 });
      break;
    case 'static_select':
    case 'multi_static_select': {
      // select-menu-element: ≤ 100 options or ≤ 100 option groups
      // (group label ≤ 75, ≤ 100 options each).
      placeholder();
      let values: string[] = [];
      if (el.options !== undefined && el.option_groups !== undefined) {
        issue(c, p, 'must provide either options or option_groups, not both');
      } else if (el.option_groups !== undefined) {
        const groups = array(c, el, 'option_groups', p, { min: 1, max: 100 });
        groups?.forEach((g, i) => {
          const gp = `${p}/option_groups/${i}`;
          if (!isObj(g)) {
            issue(c, gp, 'must be an option group object');
            return;
          }
          textField(c, g, 'label', gp, { max: 75, plain: true, required: true });
          values = values.concat(
            options(c, g, 'options', gp, { min: 1, max: 100, required: true }),
          );
        });
      } else values = options(c, el, 'options', p, { min: 1, max: 100, required: true });
      initialOptions(c, el, p, values, type.startsWith('multi_'));
      confirm(c, el, p);
      break;
    }
    case 'overflow': // block-elements/overflow-menu-element: 1..5 options
      options(c, el, 'options', p, { min: 1, max: 5, overflow: true, required: true });
      confirm(c, el, p);
      break;
    case 'radio_buttons':
    case 'checkboxes': {
      // radio-button-group-element / checkboxes-element: ≤ 10 options, mrkdwn allowed.
      const values = options(c, el, 'options', p, {
        min: 1,
        max: 10,
        mrkdwn: true,
        required: true,
      });
      initialOptions(c, el, p, values, type === 'checkboxes');
      confirm(c, el, p);
      break;
    }
    case 'datepicker': {
      placeholder();
      const d = str(c, el, 'initial_date', p, 10);
      if (d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(d)) {
        issue(c, `${p}/initial_date`, 'must be in the format YYYY-MM-DD');
      }
      confirm(c, el, p);
      break;
    }
    case 'timepicker': {
      placeholder();
      const t = str(c, el, 'initial_time', p, 5);
      if (t !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(t)) {
        issue(c, `${p}/initial_time`, 'must be in the format HH:mm');
      }
      break;
    }
    case 'plain_text_input': {
      // block-elements/plain-text-input-element: min_length 0..3000, max_length 1..3000.
      placeholder();
      str(c, el, 'initial_value', p, 3000);
      bool(c, el, 'multiline', p);
      const min = el.min_length;
      const max = el.max_length;
      if (
        min !== undefined &&
        (!Number.isInteger(min) || (min as number) < 0 || (min as number) > 3000)
      ) {
        issue(c, `${p}/min_length`, 'must be an integer between 0 and 3000');
      }
      if (
        max !== undefined &&
        (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 3000)
      ) {
        issue(c, `${p}/max_length`, 'must be an integer between 1 and 3000');
      }
      if (typeof min === 'number' && typeof max === 'number' && min > max) {
        issue(c, `${p}/min_length`, 'must not be greater than max_length');
      }
      break;
    }
    case 'email_text_input':
    case 'url_text_input':
      placeholder();
      str(c, el, 'initial_value', p, 3000);
      break;
    case 'number_input': // block-elements/number-input-element: is_decimal_allowed is required
      placeholder();
      bool(c, el, 'is_decimal_allowed', p, true);
      for (const key of ['initial_value', 'min_value', 'max_value']) {
        const v = str(c, el, key, p, 64);
        if (v !== undefined && Number.isNaN(Number(v))) issue(c, `${p}/${key}`, 'must be a number');
      }
      break;
    default:
      // Other selects, datetimepicker, rich_text_input, file_input, workflow_button.
      if (type.endsWith('select')) placeholder();
      if (type.startsWith('multi_') && el.max_selected_items !== undefined) {
        const n = el.max_selected_items;
        if (!Number.isInteger(n) || (n as number) < 1) {
          issue(c, `${p}/max_selected_items`, 'must be an integer of at least 1');
        }
      }
  }
}

function block(c: Check, b: unknown, p: string) {
  if (!isObj(b)) {
    issue(c, p, 'must be a block object');
    return;
  }
  if (typeof b.type !== 'string') {
    issue(c, p, 'missing required field: type');
    return;
  }
  // block_id ≤ 255 and unique (blocks reference, every block).
  const blockId = str(c, b, 'block_id', p, 255);
  if (blockId !== undefined) {
    if (c.blockIds.has(blockId)) issue(c, `${p}/block_id`, `duplicate block_id: ${blockId}`);
    c.blockIds.add(blockId);
  }
  switch (b.type) {
    case 'section': {
      // blocks/section-block: text 1..3000, fields ≤ 10 each ≤ 2000; text or fields required.
      if (b.text === undefined && b.fields === undefined) {
        issue(c, p, 'must provide either text or fields');
      }
      textField(c, b, 'text', p, { max: 3000 });
      const fields = array(c, b, 'fields', p, { min: 1, max: 10 });
      fields?.forEach((f, i) => {
        textObject(c, f, `${p}/fields/${i}`, { max: 2000 });
      });
      if (b.accessory !== undefined) {
        element(c, b.accessory, `${p}/accessory`, ACCESSORY_ELEMENTS, 'a section accessory');
      }
      break;
    }
    case 'header': // blocks/header-block: plain_text ≤ 150
      textField(c, b, 'text', p, { max: 150, plain: true, required: true });
      break;
    case 'divider':
      break;
    case 'context': {
      // blocks/context-block: 1..10 elements, text objects or image elements.
      const els = array(c, b, 'elements', p, { min: 1, max: 10, required: true });
      els?.forEach((e, i) => {
        const ep = `${p}/elements/${i}`;
        if (isObj(e) && e.type === 'image') element(c, e, ep, new Set(['image']), 'context');
        else textObject(c, e, ep, { max: 3000 });
      });
      break;
    }
    case 'actions': {
      // blocks/actions-block: 1..25 interactive elements.
      const els = array(c, b, 'elements', p, { min: 1, max: 25, required: true });
      els?.forEach((e, i) => {
        element(c, e, `${p}/elements/${i}`, ACTIONS_ELEMENTS, 'actions');
      });
      break;
    }
    case 'input': // blocks/input-block: label plain_text ≤ 2000, hint ≤ 2000, one element.
      textField(c, b, 'label', p, { max: 2000, plain: true, required: true });
      textField(c, b, 'hint', p, { max: 2000, plain: true });
      bool(c, b, 'optional', p);
      bool(c, b, 'dispatch_action', p);
      if (b.element === undefined) issue(c, p, 'missing required field: element');
      else element(c, b.element, `${p}/element`, INPUT_ELEMENTS, 'an input block');
      break;
    case 'image': // blocks/image-block: image_url ≤ 3000, alt_text ≤ 2000, title ≤ 2000.
      if (b.slack_file === undefined) str(c, b, 'image_url', p, 3000, { required: true, min: 1 });
      str(c, b, 'alt_text', p, 2000, { required: true, min: 1 });
      textField(c, b, 'title', p, { max: 2000, plain: true });
      break;
    case 'rich_text': {
      const els = array(c, b, 'elements', p, { min: 1, max: 100, required: true });
      const kinds = [
        'rich_text_section',
        'rich_text_list',
        'rich_text_preformatted',
        'rich_text_quote',
      ];
      els?.forEach((e, i) => {
        if (!isObj(e) || typeof e.type !== 'string' || !kinds.includes(e.type)) {
          issue(c, `${p}/elements/${i}`, `must be one of: ${kinds.join(', ')}`);
        } else if (!Array.isArray(e.elements)) {
          issue(c, `${p}/elements/${i}`, 'missing required field: elements');
        }
      });
      break;
    }
    default:
      issue(c, `${p}/type`, `unsupported block type: ${b.type}`);
  }
}

function blockList(c: Check, blocks: unknown, p: string, surface: Surface) {
  if (!Array.isArray(blocks)) {
    issue(c, p, 'must be an array');
    return;
  }
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) issue(c, p, `no more than ${max} items allowed`);
  blocks.forEach((b, i) => {
    block(c, b, `${p}/${i}`);
  });
}

const formatIssue = (i: Issue) => `${i.message} [json-pointer:${i.pointer}]`;

/** Validates message blocks; returns Slack-style error strings (empty when valid). */
export function validateMessageBlocks(blocks: unknown): string[] {
  const c = newCheck();
  blockList(c, blocks, '/blocks', 'message');
  return c.issues.map(formatIssue);
}

/**
 * Validates a view object (reference/views): `type` modal or home; modals need a
 * plain_text `title` ≤ 24, `submit`/`close` ≤ 24, and `submit` when an input block
 * is present; `callback_id` ≤ 255, `external_id` ≤ 255, `private_metadata` ≤ 3000.
 */
export function validateView(view: unknown, expect?: 'modal' | 'home'): string[] {
  const c = newCheck();
  const p = '/view';
  if (!isObj(view)) {
    issue(c, p, 'must be a view object');
    return c.issues.map(formatIssue);
  }
  if (view.type !== 'modal' && view.type !== 'home') {
    issue(c, `${p}/type`, 'must be one of: modal, home');
  } else if (expect && view.type !== expect) issue(c, `${p}/type`, `must be ${expect}`);
  if (view.type === 'modal') {
    textField(c, view, 'title', p, { max: 24, plain: true, required: true });
    textField(c, view, 'submit', p, { max: 24, plain: true });
    textField(c, view, 'close', p, { max: 24, plain: true });
  }
  str(c, view, 'callback_id', p, 255);
  str(c, view, 'external_id', p, 255);
  str(c, view, 'private_metadata', p, 3000);
  for (const key of ['clear_on_close', 'notify_on_close', 'submit_disabled']) {
    bool(c, view, key, p);
  }
  if (view.blocks === undefined) issue(c, p, 'missing required field: blocks');
  else blockList(c, view.blocks, `${p}/blocks`, view.type === 'home' ? 'home' : 'modal');
  const hasInput =
    Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
  if (view.type === 'modal' && hasInput && view.submit === undefined) {
    issue(c, p, 'submit is required when an input block is present');
  }
  return c.issues.map(formatIssue);
}

// ---------------------------------------------------------------------------
// The simulator

type Args = Record<string, unknown>;
type Reply = { status?: number; body: Json; headers?: Record<string, string> };
type Result<T> = { reply: Reply; value?: undefined } | { reply?: undefined; value: T };
type Method = { scopes: string[]; handler: (args: Args) => Reply };
type Trigger = { mintedAt: number; used: boolean; userId?: string; viewId?: string };
type ResponseTarget = {
  mintedAt: number;
  uses: number;
  channel?: string;
  userId?: string;
  messageTs?: string;
};

/** Form fields @slack/web-api JSON-encodes that the simulated methods read. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

/** Message `text` limit (chat.postMessage: "truncated … over 40,000 characters"; we reject). */
export const MAX_MESSAGE_TEXT = 40_000;

const REDACTED = '[redacted]';

export type SlackSimulator = ReturnType<typeof createSlackSimulator>;

export function createSlackSimulator(options: SlackSimulatorOptions) {
  const now = options.now ?? Date.now;
  const teamId = options.teamId ?? 'T0SIM0001';
  const teamName = options.teamName ?? 'Simulated Workspace';
  const teamDomain = options.teamDomain ?? 'sim-workspace';
  const botUserId = options.botUserId ?? 'U0SIMBOT1';
  const botId = options.botId ?? 'B0SIMBOT1';
  const botName = options.botName ?? 'onboarding-bot';
  const appId = options.appId ?? 'A0SIMAPP1';
  const scopes = new Set(options.scopes ?? DEFAULT_SCOPES);

  const users: SimUser[] = [...(options.users ?? [])];
  if (!users.some((u) => u.id === botUserId)) {
    users.push({ id: botUserId, name: botName, realName: botName, isBot: true });
  }
  const channels: SimChannel[] = [...(options.channels ?? [])];
  const userGroups = new Map(Object.entries(options.userGroups ?? {}));
  const messages: SimMessage[] = [];
  const ephemerals: SimEphemeral[] = [];
  const views: SimView[] = [];
  const calls: SlackCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const triggers = new Map<string, Trigger>();
  const responseTargets = new Map<string, ResponseTarget>();
  const stacks = new Map<string, string[]>();
  const posts = new Map<string, number[]>();
  let faults: (SlackFault & { left: number })[] = [];
  let latency = 0;
  let revoked = false;
  // ——— Socket Mode ———
  const socketTickets = new Set<string>();
  const sockets = new Set<WebSocket>();
  const pendingEnvelopes = new Map<string, (payload: unknown) => void>();
  const wss = new WebSocketServer({ noServer: true });
  let pingTimer: NodeJS.Timeout | undefined;
  let server: Server | undefined;
  let base = '';
  let seq = 0;
  let lastTsMicros = 0;

  const id = (prefix: string) =>
    `${prefix}0SIM${(++seq).toString(36).toUpperCase().padStart(5, '0')}`;
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  const newHash = () => `${Math.floor(now() / 1000)}.${hex(4)}`;
  const nextTs = () => {
    lastTsMicros = Math.max(Math.floor(now() * 1000), lastTsMicros + 1);
    return `${Math.floor(lastTsMicros / 1e6)}.${String(lastTsMicros % 1e6).padStart(6, '0')}`;
  };

  const ok = (body: Json = {}): Reply => ({ body: { ok: true, ...body } });
  const fail = (error: string, extra: Json = {}): Reply => ({
    body: { ok: false, error, ...extra },
  });
  const invalidArgs = (messages: string[]): Reply =>
    fail('invalid_arguments', {
      response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) },
    });
  const missing = (field: string) => invalidArgs([`missing required field: ${field}`]);
  const invalidBlocks = (errors: string[]): Reply =>
    fail('invalid_blocks', {
      errors,
      response_metadata: { messages: errors.map((m) => `[ERROR] ${m}`) },
    });

  const arg = (args: Args, key: string): string | undefined => {
    const v = args[key];
    if (typeof v === 'string') return v === '' ? undefined : v;
    if (typeof v === 'number') return String(v);
    return undefined;
  };
  const flag = (args: Args, key: string) =>
    args[key] === true || args[key] === 'true' || args[key] === '1';

  const findUser = (userId: string | undefined) => users.find((u) => u.id === userId);
  const findChannel = (ref: string | undefined) => {
    if (!ref) return undefined;
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    return channels.find((ch) => ch.id === ref || (!ch.isIm && ch.name === name));
  };
  const findMessage = (channel: string, ts: string) =>
    messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);

  const tzOffset = (tz: string) => {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(now())
      .find((x) => x.type === 'timeZoneName')?.value;
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  };

  const userJson = (u: SimUser) => {
    const realName = u.realName ?? u.name;
    const tz = u.tz ?? 'Europe/London';
    const profile: Json = { real_name: realName, display_name: u.displayName ?? '' };
    // Emails are only visible with users:read.email (users.info docs).
    if (u.email && scopes.has('users:read.email')) profile.email = u.email;
    if (u.isBot) profile.bot_id = u.id === botUserId ? botId : undefined;
    return {
      id: u.id,
      team_id: teamId,
      name: u.name,
      deleted: u.deleted ?? false,
      real_name: realName,
      tz,
      tz_offset: tzOffset(tz),
      is_admin: u.isAdmin ?? false,
      is_owner: u.isOwner ?? false,
      is_primary_owner: u.isPrimaryOwner ?? false,
      is_restricted: u.isRestricted ?? false,
      is_ultra_restricted: false,
      is_bot: u.isBot ?? false,
      is_app_user: false,
      updated: Math.floor(now() / 1000),
      profile,
    };
  };

  const channelJson = (ch: SimChannel) => ({
    id: ch.id,
    name: ch.isIm ? undefined : ch.name,
    is_channel: !ch.isIm && !ch.isMpim && !ch.isPrivate,
    is_group: !!ch.isPrivate && !ch.isMpim,
    is_im: !!ch.isIm,
    is_mpim: !!ch.isMpim,
    is_private: !!ch.isPrivate || !!ch.isIm || !!ch.isMpim,
    is_archived: !!ch.isArchived,
    is_member: ch.isIm ? undefined : !!ch.isMember,
    user: ch.isIm ? ch.user : undefined,
    created: 1_700_000_000,
  });

  /** The DM between the bot and `userId`, opened when needed. */
  const openDm = (userId: string): { channel: SimChannel; existed: boolean } => {
    const existing = channels.find((ch) => ch.isIm && ch.user === userId);
    if (existing) return { channel: existing, existed: true };
    const channel: SimChannel = {
      id: id('D'),
      name: userId,
      isIm: true,
      user: userId,
      isMember: true,
    };
    channels.push(channel);
    return { channel, existed: false };
  };

  /** Whether the bot can see `ch` at all (private channels it is not in are invisible). */
  const visible = (ch: SimChannel) => ch.isIm || !ch.isPrivate || ch.isMember;

  /** Text and blocks checks shared by chat.postMessage/postEphemeral/update and response_url. */
  const checkContent = (args: Args, requireContent: boolean): Reply | undefined => {
    const text = args.text;
    const blocks = args.blocks;
    if (text !== undefined && typeof text !== 'string') return fail('invalid_arguments');
    if (blocks !== undefined && !Array.isArray(blocks)) return fail('invalid_blocks_format');
    const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
    if (requireContent && !text && !hasBlocks) return fail('no_text');
    if (typeof text === 'string' && text.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
    if (blocks !== undefined) {
      const errors = validateMessageBlocks(blocks);
      if (errors.length > 0) return invalidBlocks(errors);
    }
    return undefined;
  };

  const messageJson = (m: SimMessage) => ({
    type: 'message',
    user: m.user,
    bot_id: m.botId,
    app_id: m.botId ? appId : undefined,
    text: m.text ?? '',
    blocks: m.blocks,
    ts: m.ts,
    thread_ts: m.threadTs,
    team: teamId,
    edited: m.edited,
  });

  /** Resolves `channel` for posting; `U…` ids post into the bot's DM with that user. */
  const postTarget = (ref: string | undefined): Result<SimChannel> => {
    if (!ref) return { reply: fail('channel_not_found') };
    const user = ref.startsWith('U') || ref.startsWith('W') ? findUser(ref) : undefined;
    if (user) {
      if (user.isBot) return { reply: fail('cannot_dm_bot') };
      if (user.deleted) return { reply: fail('user_disabled') };
      return { value: openDm(user.id).channel };
    }
    const ch = findChannel(ref);
    if (!ch || !visible(ch)) return { reply: fail('channel_not_found') };
    if (ch.isArchived) return { reply: fail('is_archived') };
    // Without chat:write.public the bot must be a member (chat.postMessage docs).
    if (!ch.isIm && !ch.isMember && !(scopes.has('chat:write.public') && !ch.isPrivate)) {
      return { reply: fail('not_in_channel') };
    }
    return { value: ch };
  };

  // ---- views

  const viewJson = (v: SimView): Json => ({
    id: v.id,
    team_id: teamId,
    type: v.type,
    private_metadata: '',
    callback_id: '',
    external_id: v.externalId ?? '',
    state: { values: {} },
    clear_on_close: false,
    notify_on_close: false,
    ...v.view,
    hash: v.hash,
    root_view_id: v.type === 'home' ? null : v.rootViewId,
    previous_view_id: v.previousViewId,
    app_id: appId,
    app_installed_team_id: teamId,
    bot_id: botId,
  });

  const parseView = (args: Args, expect: 'modal' | 'home'): Result<Json> => {
    const view = args.view;
    if (view === undefined || view === '') return { reply: missing('view') };
    if (typeof view === 'string')
      return { reply: invalidArgs(['failed to parse view: invalid JSON']) };
    const errors = validateView(view, expect);
    if (errors.length > 0) return { reply: invalidArgs(errors) };
    return { value: view as Json };
  };

  const takeTrigger = (args: Args): Result<Trigger> => {
    const triggerId = arg(args, 'trigger_id');
    const trigger = triggerId ? triggers.get(triggerId) : undefined;
    if (!trigger) return { reply: fail('invalid_trigger_id') };
    if (trigger.used) return { reply: fail('exchanged_trigger_id') };
    if (now() - trigger.mintedAt > TRIGGER_TTL_MS) return { reply: fail('expired_trigger_id') };
    return { value: trigger };
  };

  const duplicateExternal = (externalId: unknown, except?: string) =>
    typeof externalId === 'string' &&
    views.some((v) => v.externalId === externalId && v.id !== except && !v.closed);

  const createView = (
    view: Json,
    type: 'modal' | 'home',
    userId: string | undefined,
    rootViewId?: string,
    previousViewId: string | null = null,
  ): SimView => {
    const viewId = id('V');
    const created: SimView = {
      id: viewId,
      type,
      userId,
      hash: newHash(),
      externalId: typeof view.external_id === 'string' ? view.external_id : undefined,
      rootViewId: rootViewId ?? viewId,
      previousViewId,
      view,
      history: [view],
      closed: false,
    };
    views.push(created);
    return created;
  };

  const closeView = (viewId: string) => {
    const view = views.find((v) => v.id === viewId);
    if (!view) return;
    const stack = stacks.get(view.rootViewId) ?? [view.id];
    const at = stack.indexOf(viewId);
    for (const closedId of stack.splice(Math.max(at, 0))) {
      const v = views.find((x) => x.id === closedId);
      if (v) v.closed = true;
    }
    view.closed = true;
    if (stack.length === 0) stacks.delete(view.rootViewId);
  };

  /** views.open / views.push: a valid modal and a fresh trigger (a rejected view keeps the trigger unused). */
  const modalWithTrigger = (args: Args): { reply: Reply } | { view: Json; trigger: Trigger } => {
    if (!arg(args, 'trigger_id')) return { reply: missing('trigger_id') };
    const parsed = parseView(args, 'modal');
    if (parsed.reply) return { reply: parsed.reply };
    const taken = takeTrigger(args);
    if (taken.reply) return { reply: taken.reply };
    return { view: parsed.value, trigger: taken.value };
  };

  /** chat.update / chat.delete: the message named by `channel` + `ts`, which the bot must have written. */
  const ownMessage = (
    args: Args,
    notOwn: string,
  ): { reply: Reply } | { ch: SimChannel; ts: string; message: SimMessage } => {
    const ch = findChannel(arg(args, 'channel'));
    if (!ch || !visible(ch)) return { reply: fail('channel_not_found') };
    const ts = arg(args, 'ts');
    if (!ts) return { reply: missing('ts') };
    const message = findMessage(ch.id, ts);
    if (!message) return { reply: fail('message_not_found') };
    if (message.user !== botUserId) return { reply: fail(notOwn) };
    return { ch, ts, message };
  };

  // ---- methods

  const methods: Record<string, Method> = {
    // Socket Mode: a one-time WebSocket URL (served by this simulator).
    'apps.connections.open': {
      scopes: [],
      handler: () => {
        const ticket = hex(16);
        socketTickets.add(ticket);
        return ok({ url: `${base.replace(/^http/, 'ws')}/socket-mode?ticket=${ticket}` });
      },
    },

    'auth.test': {
      scopes: [],
      handler: () =>
        ok({
          url: `https://${teamDomain}.slack.com/`,
          team: teamName,
          user: botName,
          team_id: teamId,
          user_id: botUserId,
          bot_id: botId,
          is_enterprise_install: false,
        }),
    },

    'users.info': {
      scopes: ['users:read'],
      handler: (args) => {
        const userId = arg(args, 'user');
        if (!userId) return missing('user');
        const user = findUser(userId);
        return user ? ok({ user: userJson(user) }) : fail('user_not_found');
      },
    },

    // usergroups.users.list: `usergroup` required; unknown id → no_such_subteam; answers { users }.
    'usergroups.users.list': {
      scopes: ['usergroups:read'],
      handler: (args) => {
        const group = arg(args, 'usergroup');
        if (!group) return missing('usergroup');
        const members = userGroups.get(group);
        return members ? ok({ users: [...members] }) : fail('no_such_subteam');
      },
    },

    'users.lookupByEmail': {
      scopes: ['users:read.email'],
      handler: (args) => {
        const email = arg(args, 'email');
        if (!email) return missing('email');
        const user = users.find((u) => u.email?.toLowerCase() === email.toLowerCase());
        return user ? ok({ user: userJson(user) }) : fail('users_not_found');
      },
    },

    'conversations.open': {
      scopes: ['im:write'],
      handler: (args) => {
        const channelRef = arg(args, 'channel');
        if (channelRef) {
          const ch = findChannel(channelRef);
          if (!ch?.isIm) return fail('channel_not_found');
          return ok({ no_op: true, already_open: true, channel: { id: ch.id } });
        }
        const list = (arg(args, 'users') ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean);
        if (list.length === 0) return fail('users_list_not_supplied');
        if (list.length > 8) return fail('too_many_users');
        for (const userId of list) {
          const user = findUser(userId);
          if (!user) return fail('user_not_found');
          if (user.isBot && list.length === 1) return fail('cannot_dm_bot');
          if (user.deleted) return fail('user_disabled');
        }
        if (list.length > 1) {
          const members = [...list].sort();
          let mpim = channels.find(
            (ch) => ch.isMpim && ch.members?.slice().sort().join(',') === members.join(','),
          );
          const existed = !!mpim;
          if (!mpim) {
            mpim = {
              id: id('G'),
              name: `mpdm-${members.join('--')}-1`,
              isMpim: true,
              isMember: true,
              members,
            };
            channels.push(mpim);
          }
          return ok({
            ...(existed ? { no_op: true, already_open: true } : {}),
            channel: { id: mpim.id },
          });
        }
        const { channel, existed } = openDm(list[0]!);
        const body = flag(args, 'return_im') ? channelJson(channel) : { id: channel.id };
        return ok({ ...(existed ? { no_op: true, already_open: true } : {}), channel: body });
      },
    },

    'conversations.info': {
      scopes: ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
      handler: (args) => {
        const ref = arg(args, 'channel');
        if (!ref) return missing('channel');
        const ch = channels.find((c) => c.id === ref);
        if (!ch || !visible(ch)) return fail('channel_not_found');
        return ok({ channel: channelJson(ch) });
      },
    },

    'conversations.join': {
      scopes: ['channels:join'],
      handler: (args) => {
        const ref = arg(args, 'channel');
        if (!ref) return missing('channel');
        const ch = channels.find((c) => c.id === ref);
        if (!ch || !visible(ch)) return fail('channel_not_found');
        if (ch.isIm || ch.isMpim || ch.isPrivate)
          return fail('method_not_supported_for_channel_type');
        if (ch.isArchived) return fail('is_archived');
        const already = !!ch.isMember;
        ch.isMember = true;
        return ok({
          channel: channelJson(ch),
          ...(already
            ? {
                warning: 'already_in_channel',
                response_metadata: { warnings: ['already_in_channel'] },
              }
            : {}),
        });
      },
    },

    'chat.postMessage': {
      scopes: ['chat:write'],
      handler: (args) => {
        const resolved = postTarget(arg(args, 'channel'));
        if (resolved.reply) return resolved.reply;
        const target = resolved.value;
        const bad = checkContent(args, true);
        if (bad) return bad;
        const threadTs = arg(args, 'thread_ts');
        if (threadTs && !findMessage(target.id, threadTs)) return fail('thread_not_found');
        const times = posts.get(target.id) ?? [];
        const limit = options.channelRateLimit;
        if (limit) {
          const recent = times.filter((t) => now() - t < limit.windowMs);
          if (recent.length >= limit.max) {
            const wait = limit.windowMs - (now() - recent[recent.length - limit.max]!);
            return {
              status: 429,
              headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
              body: { ok: false, error: 'ratelimited' },
            };
          }
        }
        times.push(now());
        posts.set(target.id, times);
        const message: SimMessage = {
          channel: target.id,
          ts: nextTs(),
          text: typeof args.text === 'string' ? args.text : undefined,
          blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
          user: botUserId,
          botId,
          threadTs,
          via: 'chat.postMessage',
        };
        messages.push(message);
        return ok({ channel: target.id, ts: message.ts, message: messageJson(message) });
      },
    },

    'chat.postEphemeral': {
      scopes: ['chat:write'],
      handler: (args) => {
        const ref = arg(args, 'channel');
        const userId = arg(args, 'user');
        if (!userId) return missing('user');
        const user = findUser(userId);
        if (!user) return fail('user_not_found');
        const ch = findChannel(ref);
        if (!ch || !visible(ch)) return fail('channel_not_found');
        if (ch.isArchived) return fail('is_archived');
        if (!ch.isIm && !ch.isMember) return fail('not_in_channel');
        const inChannel = ch.isIm ? ch.user === userId : !ch.members || ch.members.includes(userId);
        if (!inChannel) return fail('user_not_in_channel');
        const bad = checkContent(args, true);
        if (bad) return bad;
        const ts = nextTs();
        ephemerals.push({
          channel: ch.id,
          user: userId,
          ts,
          text: typeof args.text === 'string' ? args.text : undefined,
          blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
          via: 'chat.postEphemeral',
        });
        return ok({ message_ts: ts });
      },
    },

    'chat.update': {
      scopes: ['chat:write'],
      handler: (args) => {
        const own = ownMessage(args, 'cant_update_message');
        if ('reply' in own) return own.reply;
        const { ch, ts, message } = own;
        if (ch.isArchived) return fail('is_archived');
        const bad = checkContent(args, true);
        if (bad) return bad;
        // Fields left out keep their previous value (chat.update docs).
        if (typeof args.text === 'string') message.text = args.text;
        if (Array.isArray(args.blocks)) message.blocks = args.blocks;
        message.edited = { user: botUserId, ts: nextTs() };
        return ok({ channel: ch.id, ts, text: message.text ?? '', message: messageJson(message) });
      },
    },

    'chat.delete': {
      scopes: ['chat:write'],
      handler: (args) => {
        const own = ownMessage(args, 'cant_delete_message');
        if ('reply' in own) return own.reply;
        const { ch, ts, message } = own;
        message.deleted = true;
        return ok({ channel: ch.id, ts });
      },
    },

    'views.open': {
      scopes: [],
      handler: (args) => {
        const opening = modalWithTrigger(args);
        if ('reply' in opening) return opening.reply;
        const { view, trigger } = opening;
        if (duplicateExternal(view.external_id)) return fail('duplicate_external_id');
        trigger.used = true;
        const created = createView(view, 'modal', trigger.userId);
        stacks.set(created.id, [created.id]);
        return ok({ view: viewJson(created) });
      },
    },

    'views.push': {
      scopes: [],
      handler: (args) => {
        const opening = modalWithTrigger(args);
        if ('reply' in opening) return opening.reply;
        const { view, trigger } = opening;
        const from = views.find((v) => v.id === trigger.viewId && !v.closed && v.type === 'modal');
        if (!from) {
          return fail('invalid_trigger_id', {
            response_metadata: {
              messages: ['[ERROR] trigger_id was not issued from an open modal'],
            },
          });
        }
        const stack = stacks.get(from.rootViewId) ?? [];
        if (stack.length >= VIEW_STACK_LIMIT) return fail('push_limit_reached');
        if (duplicateExternal(view.external_id)) return fail('duplicate_external_id');
        trigger.used = true;
        const created = createView(
          view,
          'modal',
          from.userId,
          from.rootViewId,
          stack.at(-1) ?? null,
        );
        stack.push(created.id);
        stacks.set(from.rootViewId, stack);
        return ok({ view: viewJson(created) });
      },
    },

    'views.update': {
      scopes: [],
      handler: (args) => {
        const viewId = arg(args, 'view_id');
        const externalId = arg(args, 'external_id');
        if (!viewId && !externalId)
          return invalidArgs(['missing required field: view_id or external_id']);
        const target = viewId
          ? views.find((v) => v.id === viewId)
          : views.find((v) => v.externalId === externalId && !v.closed);
        if (!target || target.closed) return fail('not_found');
        const parsed = parseView(args, target.type);
        if (parsed.reply) return parsed.reply;
        const view = parsed.value;
        const hash = arg(args, 'hash');
        if (hash !== undefined && hash !== target.hash) return fail('hash_conflict');
        if (duplicateExternal(view.external_id, target.id)) return fail('duplicate_external_id');
        target.view = view;
        target.history.push(view);
        if (typeof view.external_id === 'string') target.externalId = view.external_id;
        target.hash = newHash();
        return ok({ view: viewJson(target) });
      },
    },

    'views.publish': {
      scopes: [],
      handler: (args) => {
        const userId = arg(args, 'user_id');
        if (!userId) return missing('user_id');
        const parsed = parseView(args, 'home');
        if (parsed.reply) return parsed.reply;
        const view = parsed.value;
        const user = findUser(userId);
        if (!user || user.isBot) return fail('user_not_found');
        const existing = views.find((v) => v.type === 'home' && v.userId === userId);
        const hash = arg(args, 'hash');
        if (hash !== undefined && hash !== existing?.hash) return fail('hash_conflict');
        if (!existing) return ok({ view: viewJson(createView(view, 'home', userId)) });
        existing.view = view;
        existing.history.push(view);
        existing.hash = newHash();
        return ok({ view: viewJson(existing) });
      },
    },
  };

  // ---- HTTP

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const parseArgs = (
    req: IncomingMessage,
    text: string,
    query: URLSearchParams,
  ): { args: Args; json: boolean; error?: string } => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const args: Args = Object.fromEntries(query);
    if (text.length === 0) return { args, json: false };
    if (type === 'application/json') {
      try {
        const body: unknown = JSON.parse(text);
        if (!isObj(body)) return { args, json: true, error: 'invalid_json' };
        return { args: { ...args, ...body }, json: true };
      } catch {
        return { args, json: true, error: 'invalid_json' };
      }
    }
    if (type !== 'application/x-www-form-urlencoded' && type !== '') {
      return { args, json: false, error: 'invalid_form_data' };
    }
    for (const [key, value] of new URLSearchParams(text)) {
      let parsed: unknown = value;
      if (JSON_FIELDS.has(key) && /^\s*[[{]/.test(value)) {
        try {
          parsed = JSON.parse(value);
        } catch {
          // Left as the raw string; the method answers invalid_blocks_format / invalid_arguments.
        }
      }
      args[key] = parsed;
    }
    return { args, json: false };
  };

  const takeFault = (method: string) => {
    const fault = faults.find((f) => f.left > 0 && (!f.method || f.method === method));
    if (fault) fault.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return fault;
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    text: string,
    query: URLSearchParams,
  ) => {
    const parsed = parseArgs(req, text, query);
    const args = parsed.args;
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    else if (!parsed.json && typeof args.token === 'string') token = args.token;

    const respond = (reply: Reply) => {
      const status = reply.status ?? 200;
      const recorded: Args = { ...args };
      if ('token' in recorded) recorded.token = REDACTED;
      calls.push({
        method,
        args: recorded,
        token: token === undefined ? undefined : REDACTED,
        at: now(),
        status,
        response: reply.body,
      });
      const headers = { ...reply.headers };
      if (reply.body.ok === true) headers['x-oauth-scopes'] = [...scopes].join(',');
      sendJson(res, status, reply.body, headers);
    };

    if (latency > 0) await sleep(latency);
    const fault = takeFault(method);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status === 429) {
      return respond({
        status: 429,
        headers: { 'retry-after': String(fault.retryAfter ?? 1) },
        body: { ok: false, error: 'ratelimited' },
      });
    }
    if (fault?.error) return respond(fail(fault.error));

    const entry = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!entry) return respond(fail('unknown_method', { req_method: method }));
    if (parsed.error) return respond(fail(parsed.error));
    if (token === undefined || token === '') return respond(fail('not_authed'));
    // apps.connections.open takes the app-level token; every other method the bot token.
    const expected = method === 'apps.connections.open' ? options.appToken : options.botToken;
    if (token !== expected) return respond(fail('invalid_auth'));
    if (revoked) return respond(fail('token_revoked'));
    if (entry.scopes.length > 0 && !entry.scopes.some((s) => scopes.has(s))) {
      return respond(
        fail('missing_scope', { needed: entry.scopes[0], provided: [...scopes].join(',') }),
      );
    }
    respond(entry.handler(args));
  };

  const handleResponseUrl = (
    req: IncomingMessage,
    res: ServerResponse,
    urlId: string,
    text: string,
  ) => {
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // recorded raw
    }
    const answer = (status: number, error?: string) => {
      responses.push({ id: urlId, body, at: now(), status, ...(error ? { error } : {}) });
      sendJson(res, status, error ? { ok: false, error } : { ok: true });
    };
    const target = responseTargets.get(urlId);
    if (!target) return answer(404, 'not_found');
    if (req.method !== 'POST') return answer(405, 'method_not_allowed');
    if (now() - target.mintedAt > RESPONSE_URL_TTL_MS) return answer(404, 'expired_url');
    if (target.uses >= RESPONSE_URL_MAX_USES) return answer(404, 'used_url');
    if (!isObj(body)) return answer(400, 'invalid_payload');
    const responseType = body.response_type;
    if (
      responseType !== undefined &&
      responseType !== 'ephemeral' &&
      responseType !== 'in_channel'
    ) {
      return answer(400, 'invalid_payload');
    }
    const deleting = body.delete_original === true || body.delete_original === 'true';
    const bad = checkContent(body, !deleting);
    if (bad) {
      const reply = bad.body;
      responses.push({ id: urlId, body, at: now(), status: 400, error: String(reply.error) });
      return sendJson(res, 400, reply);
    }
    target.uses += 1;
    const posted = messages.find((m) => m.ts === target.messageTs && !m.deleted);
    const ephemeral = ephemerals.find((e) => e.ts === target.messageTs);
    const original = target.messageTs ? (posted ?? ephemeral) : undefined;
    const text_ = typeof body.text === 'string' ? body.text : undefined;
    const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
    if (deleting) {
      if (posted) posted.deleted = true;
      else if (ephemeral) ephemerals.splice(ephemerals.indexOf(ephemeral), 1);
    } else if ((body.replace_original === true || body.replace_original === 'true') && original) {
      original.text = text_;
      original.blocks = blocks;
    } else if (responseType === 'in_channel' && target.channel) {
      messages.push({
        channel: target.channel,
        ts: nextTs(),
        text: text_,
        blocks,
        user: botUserId,
        botId,
        via: 'response_url',
      });
    } else if (target.channel && target.userId) {
      ephemerals.push({
        channel: target.channel,
        user: target.userId,
        ts: nextTs(),
        text: text_,
        blocks,
        via: 'response_url',
      });
    }
    answer(200);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (api) return handleApi(req, res, api[1]!, text, url.searchParams);
    const response = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (response) return handleResponseUrl(req, res, response[1]!, text);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  };

  return {
    /** The Web API base, `http://127.0.0.1:<port>/api/` (for WebClient's `slackApiUrl`). */
    get url() {
      return base ? `${base}/api/` : '';
    },
    /** `http://127.0.0.1:<port>` (response_urls live under it). */
    get baseUrl() {
      return base;
    },
    botToken: options.botToken,
    teamId,
    botUserId,
    botId,
    appId,
    calls,
    callsTo: (method: string) => calls.filter((c) => c.method === method),
    users,
    channels,
    /** User groups by id → member ids (tests change them). */
    userGroups,
    messages,
    ephemerals,
    views,
    responses,
    /** Messages (not deleted) in a channel, oldest first. */
    messagesIn: (channel: string) => messages.filter((m) => m.channel === channel && !m.deleted),
    /** The bot's DM channel id with a user, if open. */
    dmWith: (userId: string) => channels.find((ch) => ch.isIm && ch.user === userId)?.id,
    /** Timestamps (ms, simulator clock) of accepted chat.postMessage calls per channel. */
    postsPerChannel: (): Record<string, number[]> =>
      Object.fromEntries([...posts].map(([ch, times]) => [ch, [...times]])),
    /** The most accepted posts any channel got within any `windowMs` window. */
    maxPostsInWindow: (windowMs = 1_000) => {
      let best = 0;
      for (const times of posts.values()) {
        for (let i = 0, j = 0; i < times.length; i++) {
          while (times[i]! - times[j]! >= windowMs) j++;
          best = Math.max(best, i - j + 1);
        }
      }
      return best;
    },
    /** A trigger id as an interaction payload carries; `viewId` when from inside a modal. */
    mintTriggerId: (opts: { userId?: string; viewId?: string } = {}) => {
      const triggerId = `${10_000 + (++seq % 90_000)}.${Math.floor(now() / 1000)}.${hex(16)}`;
      triggers.set(triggerId, { mintedAt: now(), used: false, ...opts });
      return triggerId;
    },
    /** A response_url as an interaction payload carries (needs a started server). */
    responseUrl: (opts: { channel?: string; userId?: string; messageTs?: string } = {}) => {
      if (!base) throw new Error('slack simulator: start() it before minting response_urls');
      const urlId = hex(12);
      responseTargets.set(urlId, { mintedAt: now(), uses: 0, ...opts });
      return `${base}/response/${urlId}`;
    },
    /** Simulates the user closing a modal: it and every view pushed above it. */
    closeView,
    /**
     * What Slack does with a view_submission's HTTP answer: `update` replaces the
     * view (validated like views.update, new hash), `clear` closes the stack,
     * `errors` leaves it open, an empty answer closes the submitted view.
     * Returns the validation errors Slack would show (empty when accepted).
     */
    applyViewAck: (viewId: string, ack: Record<string, unknown> | undefined): string[] => {
      const view = views.find((v) => v.id === viewId);
      if (!view) return [`unknown view ${viewId}`];
      const action = ack?.response_action;
      if (action === 'errors') return [];
      if (action === 'update' || action === 'push') {
        const errors = validateView(ack?.view, 'modal');
        if (errors.length > 0) return errors;
        if (action === 'update') {
          view.view = ack!.view as Json;
          view.history.push(view.view);
          view.hash = newHash();
        } else {
          const pushed = createView(
            ack!.view as Json,
            'modal',
            view.userId,
            view.rootViewId,
            view.id,
          );
          stacks.get(view.rootViewId)?.push(pushed.id);
        }
        return [];
      }
      if (action === 'clear') {
        const root = views.find((v) => v.id === view.rootViewId);
        if (root) closeView(root.id);
        return [];
      }
      closeView(viewId);
      return [];
    },
    /** The view as the bot's listeners would receive it in a payload. */
    viewPayload: (viewId: string) => {
      const view = views.find((v) => v.id === viewId);
      return view ? viewJson(view) : undefined;
    },
    /** Open views of a modal stack, bottom first. */
    viewStack: (viewId: string) => {
      const view = views.find((v) => v.id === viewId);
      return view ? (stacks.get(view.rootViewId) ?? []).slice() : [];
    },
    /** The user's home tab view, if published. */
    homeOf: (userId: string) => views.find((v) => v.type === 'home' && v.userId === userId),
    /** Seeds a message not written by the bot (e.g. to test cant_update_message). */
    seedMessage: (m: { channel: string; user: string; text: string }) => {
      const message: SimMessage = { ...m, ts: nextTs(), via: 'seed' };
      messages.push(message);
      return message;
    },
    /** Every recorded call's args and every response_url body, as one string. */
    allCallText: () =>
      [
        ...calls.map((c) => JSON.stringify(c.args)),
        ...responses.map((r) => JSON.stringify(r.body)),
      ].join('\n'),
    addFault: (fault: SlackFault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    /** Latency added to every Web API call. */
    setLatency: (ms: number) => {
      latency = ms;
    },
    /** Open Socket Mode connections. */
    socketConnections: () => sockets.size,
    /**
     * Delivers an envelope over Socket Mode, as Slack does, and resolves with the
     * app's acknowledgement payload (what an HTTP app would have answered).
     * Rejects when no app is connected or none acknowledges within 3 s.
     */
    socketDeliver: (
      type: 'slash_commands' | 'interactive' | 'events_api',
      payload: unknown,
    ): Promise<unknown> => {
      const ws = [...sockets].find((w) => w.readyState === w.OPEN);
      if (!ws) return Promise.reject(new Error('no Socket Mode connection'));
      const envelopeId = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pendingEnvelopes.delete(envelopeId);
          reject(new Error(`envelope ${type} not acknowledged within 3 s`));
        }, 3_000);
        pendingEnvelopes.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        ws.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type !== 'events_api',
            retry_attempt: 0,
            retry_reason: '',
          }),
        );
      });
    },
    /** Every later call answers `token_revoked`. */
    revokeToken: () => {
      revoked = true;
    },
    start: (port = 0) =>
      new Promise<string>((resolvePromise, reject) => {
        server = createServer((req, res) => {
          handle(req, res).catch((error: unknown) => {
            if (!res.headersSent) sendJson(res, 500, { ok: false, error: String(error) });
          });
        });
        server.keepAliveTimeout = 1_000;
        server.on('upgrade', (req, socket, head) => {
          const url = new URL(req.url ?? '/', 'http://sim.local');
          const ticket = url.searchParams.get('ticket') ?? '';
          if (url.pathname !== '/socket-mode' || !socketTickets.delete(ticket)) {
            socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
            return;
          }
          wss.handleUpgrade(req, socket, head, (ws) => {
            sockets.add(ws);
            ws.on('close', () => sockets.delete(ws));
            ws.on('message', (data) => {
              // The app acknowledges an envelope: { envelope_id, payload? }.
              try {
                const message = JSON.parse(String(data)) as {
                  envelope_id?: string;
                  payload?: unknown;
                };
                const resolve = message.envelope_id
                  ? pendingEnvelopes.get(message.envelope_id)
                  : undefined;
                if (resolve && message.envelope_id) {
                  pendingEnvelopes.delete(message.envelope_id);
                  resolve(message.payload);
                }
              } catch {
                // ignored, as Slack ignores garbage
              }
            });
            ws.send(
              JSON.stringify({
                type: 'hello',
                num_connections: sockets.size,
                debug_info: { host: 'sim', approximate_connection_time: 18060 },
                connection_info: { app_id: appId },
              }),
            );
          });
        });
        // Slack pings every connection; the client reconnects when pings stop.
        pingTimer = setInterval(() => {
          for (const ws of sockets) ws.ping();
        }, 5_000);
        pingTimer.unref();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          const address = server!.address() as AddressInfo;
          base = `http://127.0.0.1:${address.port}`;
          resolvePromise(`${base}/api/`);
        });
      }),
    close: () =>
      new Promise<void>((resolvePromise) => {
        clearInterval(pingTimer);
        for (const ws of sockets) ws.terminate();
        if (!server) return resolvePromise();
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
