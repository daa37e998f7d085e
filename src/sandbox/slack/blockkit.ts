import {
  array,
  bool,
  type Check,
  confirm,
  type Issue,
  initialOptions,
  isObj,
  issue,
  newCheck,
  oneOf,
  options,
  str,
  textField,
  textObject,
} from './blockkit-fields.ts';

/**
 * Block Kit rules: which blocks and elements exist, where each may appear, and
 * their documented limits. Validates message blocks and view objects the way
 * Slack answers them (`invalid_blocks` / `invalid_arguments` messages with JSON pointers).
 *
 * Limits cite the Block Kit reference, https://docs.slack.dev/reference/block-kit
 * (blocks/…, block-elements/…, composition-objects/…, views).
 */

export type Surface = 'message' | 'modal' | 'home';

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
