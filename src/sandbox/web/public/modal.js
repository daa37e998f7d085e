// A modal as Slack draws it: title, blocks, Close/Submit, the stack (a back
// arrow on pushed views), input elements with their state, the checks
// Slack's client does before sending (required, lengths, number range), and
// the bot's `response_action: errors` shown on their fields. File inputs: files.js.
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from './api.js';
import { Block } from './blocks.js';
import { FileInput, fileProblem, readUploads, wire } from './files.js';
import { html } from './html.js';
import { mrkdwn, textObject } from './mrkdwn.js';

const plain = (obj) => (obj && typeof obj.text === 'string' ? obj.text : '');
const TEXT_INPUTS = new Set([
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
]);

/** The state Slack reports for an element nobody touched. */
export function initialState(el) {
  const type = el.type;
  if (TEXT_INPUTS.has(type)) return { type, value: el.initial_value ?? null };
  if (type === 'radio_buttons' || type === 'static_select')
    return { type, selected_option: el.initial_option ?? null };
  if (type === 'checkboxes' || type === 'multi_static_select')
    return { type, selected_options: el.initial_options ?? [] };
  if (type === 'datepicker') return { type, selected_date: el.initial_date ?? null };
  if (type === 'timepicker') return { type, selected_time: el.initial_time ?? null };
  if (type === 'users_select') return { type, selected_user: el.initial_user ?? null };
  if (type === 'file_input') return { type, files: [] };
  return { type };
}

const isEmpty = (s) =>
  s.value === null ||
  s.value === '' ||
  s.selected_option === null ||
  s.selected_date === null ||
  s.selected_time === null ||
  s.selected_user === null ||
  (s.type === 'file_input' && !s.chosen?.length) ||
  (Array.isArray(s.selected_options) && s.selected_options.length === 0);

/** What Slack's client refuses before the app hears of it. */
function clientError(block, s) {
  const el = block.element ?? {};
  if (isEmpty(s)) return block.optional ? undefined : 'Please complete this required field.';
  if (el.type === 'file_input') return fileProblem(el, s.chosen);
  if (typeof s.value === 'string') {
    if (el.min_length && s.value.length < el.min_length)
      return `Must be at least ${el.min_length} characters.`;
    if (el.max_length && s.value.length > el.max_length)
      return `Must be at most ${el.max_length} characters.`;
    if (el.type === 'email_text_input' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.value))
      return 'Please enter a valid email address.';
    if (el.type === 'number_input') {
      const n = Number(s.value);
      if (!Number.isFinite(n) || (!el.is_decimal_allowed && !Number.isInteger(n)))
        return 'Please enter a valid number.';
      if (el.min_value !== undefined && n < Number(el.min_value))
        return `Must be at least ${el.min_value}.`;
      if (el.max_value !== undefined && n > Number(el.max_value))
        return `Must be at most ${el.max_value}.`;
    }
  }
  return undefined;
}

function options(el) {
  return Array.isArray(el.options)
    ? el.options
    : (el.option_groups ?? []).flatMap((g) => g.options ?? []);
}

/** One input element, controlled by `state`; `change(next, typed)` reports a new state. */
function InputElement({ block, el, state, change, users }) {
  const id = `${block.block_id}-${el.action_id}`;
  const ph = plain(el.placeholder);
  switch (el.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const props = {
        id,
        class: 'text-input',
        'data-testid': `input-${block.block_id}`,
        placeholder: ph,
        value: state.value ?? '',
        onInput: (e) => change({ ...state, value: e.currentTarget.value }, e.currentTarget.value),
      };
      if (el.multiline) return html`<textarea ...${props} rows="3" />`;
      const type =
        el.type === 'number_input' ? 'text' : el.type === 'email_text_input' ? 'email' : 'text';
      return html`<input type=${type} inputmode=${el.type === 'number_input' ? 'decimal' : undefined} ...${props} />`;
    }
    case 'radio_buttons':
      return html`<div class="choices" data-testid=${`input-${block.block_id}`}>
        ${options(el).map(
          (o) => html`<label class="choice">
            <input type="radio" name=${id} data-testid=${`option-${block.block_id}-${o.value}`}
              checked=${state.selected_option?.value === o.value}
              onChange=${() => change({ ...state, selected_option: o })} />
            <span>${textObject(o.text)}${o.description && html`<div class="choice-desc">${textObject(o.description)}</div>`}</span>
          </label>`,
        )}
      </div>`;
    case 'checkboxes': {
      const picked = new Set((state.selected_options ?? []).map((o) => o.value));
      return html`<div class="choices" data-testid=${`input-${block.block_id}`}>
        ${options(el).map(
          (o) => html`<label class="choice">
            <input type="checkbox" data-testid=${`option-${block.block_id}-${o.value}`} checked=${picked.has(o.value)}
              onChange=${(e) => {
                const next = e.currentTarget.checked
                  ? [...(state.selected_options ?? []), o]
                  : (state.selected_options ?? []).filter((x) => x.value !== o.value);
                change({ ...state, selected_options: next });
              }} />
            <span>${textObject(o.text)}</span>
          </label>`,
        )}
      </div>`;
    }
    case 'static_select':
      return html`<select class="select" data-testid=${`input-${block.block_id}`} value=${state.selected_option?.value ?? ''}
        onChange=${(e) => change({ ...state, selected_option: options(el).find((o) => o.value === e.currentTarget.value) ?? null })}>
        <option value="" disabled>${ph || 'Select an item'}</option>
        ${options(el).map((o) => html`<option value=${o.value}>${plain(o.text)}</option>`)}
      </select>`;
    case 'users_select':
      return html`<select class="select" data-testid=${`input-${block.block_id}`} value=${state.selected_user ?? ''}
        onChange=${(e) => change({ ...state, selected_user: e.currentTarget.value })}>
        <option value="" disabled>${ph || 'Select a person'}</option>
        ${users.map((u) => html`<option value=${u.id}>${u.realName}</option>`)}
      </select>`;
    case 'datepicker':
      return html`<input type="date" class="text-input" data-testid=${`input-${block.block_id}`} value=${state.selected_date ?? ''}
        onChange=${(e) => change({ ...state, selected_date: e.currentTarget.value || null })} />`;
    case 'timepicker':
      return html`<input type="time" class="text-input" data-testid=${`input-${block.block_id}`} value=${state.selected_time ?? ''}
        onChange=${(e) => change({ ...state, selected_time: e.currentTarget.value || null })} />`;
    case 'file_input':
      return html`<${FileInput} id=${id} block=${block} el=${el} state=${state} change=${change} />`;
    default:
      return html`<span class="unsupported">[${el.type}]</span>`;
  }
}

/** The modal stack of the person; only the top view is shown, as in Slack. */
export function Modal({ stack, me, users, refresh, act, confirm }) {
  const top = stack.at(-1);
  const [forms, setForms] = useState({}); // viewId → { values, errors, message, busy }
  const timers = useRef({});
  useEffect(() => () => Object.values(timers.current).forEach(clearTimeout), []);
  if (!top) return null;
  const view = top.view;
  const form = forms[top.id] ?? { values: {}, errors: {} };
  const inputs = (view.blocks ?? []).filter((b) => b.type === 'input' && b.element);
  const stateOf = (b) => form.values[b.block_id]?.[b.element.action_id] ?? initialState(b.element);
  const allValues = () =>
    Object.fromEntries(
      inputs.map((b) => [b.block_id, { [b.element.action_id]: wire(stateOf(b)) }]),
    );
  const patch = (p) =>
    setForms((all) => ({
      ...all,
      [top.id]: { ...(all[top.id] ?? { values: {}, errors: {} }), ...p },
    }));

  const change = (block) => (next, typed) => {
    const values = { ...form.values, [block.block_id]: { [block.element.action_id]: next } };
    const errors = { ...form.errors };
    delete errors[block.block_id];
    patch({ values, errors });
    const el = block.element;
    const onType = el.dispatch_action_config?.trigger_actions_on?.includes('on_character_entered');
    if (block.dispatch_action && onType && typed !== undefined) {
      clearTimeout(timers.current[block.block_id]);
      timers.current[block.block_id] = setTimeout(() => {
        const all = Object.fromEntries(
          inputs.map((b) => [
            b.block_id,
            { [b.element.action_id]: wire(b === block ? next : stateOf(b)) },
          ]),
        );
        call('/api/type-into', {
          as: me,
          viewId: top.id,
          input: { block_id: block.block_id, action_id: el.action_id, value: typed },
          values: all,
        }).then(refresh);
      }, 350);
    }
  };

  const submit = async () => {
    const errors = {};
    for (const b of inputs) {
      const e = clientError(b, stateOf(b));
      if (e) errors[b.block_id] = e;
    }
    if (Object.keys(errors).length > 0) return patch({ errors, message: undefined });
    patch({ busy: true, message: undefined });
    // The chosen files go with the submission; the server uploads them into Slack first.
    const uploads = await readUploads(inputs, stateOf);
    const outcome = await call('/api/submit', {
      as: me,
      viewId: top.id,
      values: allValues(),
      ...(uploads.length > 0 ? { uploads } : {}),
    });
    patch({
      busy: false,
      errors: outcome.errors ?? {},
      message: outcome.errors ? undefined : outcome.message,
    });
    refresh();
  };
  const close = async (all) => {
    await call('/api/close', { as: me, viewId: top.id, all });
    refresh();
  };

  const ctx = {
    users,
    confirm,
    act: (action) => act({ viewId: top.id }, action, allValues()),
    input: (
      b,
    ) => html`<div class=${`bk-input ${form.errors[b.block_id] ? 'has-error' : ''}`} data-testid=${`field-${b.block_id}`}>
      <label class="bk-label" for=${`${b.block_id}-${b.element.action_id}`}>
        ${textObject(b.label)}${b.optional && html`<span class="optional"> (optional)</span>`}
      </label>
      <${InputElement} block=${b} el=${b.element} state=${stateOf(b)} change=${change(b)} users=${users} />
      ${
        form.errors[b.block_id]
          ? html`<div class="field-error" data-testid=${`error-${b.block_id}`}>${mrkdwn(form.errors[b.block_id])}</div>`
          : b.hint && html`<div class="hint">${textObject(b.hint)}</div>`
      }
    </div>`,
  };

  return html`<div class="overlay">
    <div class="modal" role="dialog" aria-modal="true" data-testid="modal" data-callback=${view.callback_id ?? ''} data-depth=${stack.length}>
      <header class="modal-head">
        ${stack.length > 1 && html`<button class="btn icon" data-testid="modal-back" title="Back" onClick=${() => close(false)}>←</button>`}
        <h2 data-testid="modal-title">${textObject(view.title)}</h2>
        <button class="btn icon" data-testid="modal-x" title="Close" onClick=${() => close(true)}>×</button>
      </header>
      <div class="modal-body">
        ${(view.blocks ?? []).map((b, i) => html`<${Block} key=${b.block_id ?? i} block=${b} ctx=${ctx} />`)}
      </div>
      ${form.message && html`<div class="modal-error" data-testid="modal-error">${form.message}</div>`}
      <footer class="modal-foot">
        <button class="btn" data-testid="modal-close" onClick=${() => close(false)}>${plain(view.close) || 'Cancel'}</button>
        ${view.submit && html`<button class="btn primary" data-testid="modal-submit" disabled=${form.busy} onClick=${submit}>${plain(view.submit)}</button>`}
      </footer>
    </div>
  </div>`;
}
