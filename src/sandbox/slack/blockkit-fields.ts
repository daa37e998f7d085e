/**
 * The building blocks of the Block Kit checks: an issue list with JSON pointers
 * (Slack's `[json-pointer:/blocks/0/text]` style) and the field checks shared by
 * blocks, elements and views (strings, text objects, arrays, options, confirm dialogs).
 *
 * Limits cite the Block Kit reference, https://docs.slack.dev/reference/block-kit.
 */

export type Json = Record<string, unknown>;
export type Issue = { pointer: string; message: string };
export type Check = { issues: Issue[]; actionIds: Set<string>; blockIds: Set<string> };

export const isObj = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const issue = (c: Check, pointer: string, message: string) => {
  c.issues.push({ pointer, message });
};

export const newCheck = (): Check => ({ issues: [], actionIds: new Set(), blockIds: new Set() });

/** Checks `parent[key]` is a string within `max` characters; returns it when it is. */
export function str(
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

export function bool(c: Check, parent: Json, key: string, p: string, required = false) {
  const v = parent[key];
  if (v === undefined) {
    if (required) issue(c, p, `missing required field: ${key}`);
  } else if (typeof v !== 'boolean') issue(c, `${p}/${key}`, 'must be a boolean');
}

export function oneOf(c: Check, parent: Json, key: string, p: string, allowed: string[]) {
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
export function textField(
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

export function textObject(
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

export function array(
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
export function options(
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

export function initialOptions(c: Check, el: Json, p: string, values: string[], multi: boolean) {
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
export function confirm(c: Check, el: Json, p: string) {
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
