// Block Kit → preact: section (text, fields, accessory), context, header,
// divider, actions, image, rich_text; input blocks are drawn by the modal
// (ctx.input). Interactive elements call ctx.act(action) after their confirm
// dialog (ctx.confirm) said yes.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { mrkdwn, textObject } from './mrkdwn.js';

const SAFE_IMAGE = /^https?:/i;
const plain = (obj) => (obj && typeof obj.text === 'string' ? obj.text : '');

function optionList(el) {
  const direct = Array.isArray(el.options) ? el.options : [];
  const grouped = Array.isArray(el.option_groups)
    ? el.option_groups.flatMap((g) => g.options ?? [])
    : [];
  return [...direct, ...grouped];
}

/** Runs an element's action after its confirm dialog, if it has one. */
async function fire(ctx, el, block, extra) {
  if (el.confirm && !(await ctx.confirm(el.confirm))) return;
  await ctx.act({ type: el.type, action_id: el.action_id, block_id: block.block_id, ...extra });
}

function Button({ el, block, ctx }) {
  const [busy, setBusy] = useState(false);
  const onClick = async () => {
    if (el.url && /^https?:/i.test(el.url)) window.open(el.url, '_blank', 'noopener');
    setBusy(true);
    try {
      await fire(ctx, el, block, { value: el.value });
    } finally {
      setBusy(false);
    }
  };
  return html`<button
    class=${`btn ${el.style ?? ''}`}
    data-testid=${`button-${el.action_id}`}
    data-label=${plain(el.text)}
    disabled=${busy}
    onClick=${onClick}
  >${textObject(el.text)}</button>`;
}

function Overflow({ el, block, ctx }) {
  const [open, setOpen] = useState(false);
  return html`<span class="overflow">
    <button class="btn icon" data-testid=${`overflow-${el.action_id}`} onClick=${() => setOpen(!open)}>⋯</button>
    ${
      open &&
      html`<ul class="menu">
      ${optionList(el).map(
        (o) =>
          html`<li><button class="menu-item" onClick=${() => {
            setOpen(false);
            fire(ctx, el, block, { selected_option: o });
          }}>${textObject(o.text)}</button></li>`,
      )}
    </ul>`
    }
  </span>`;
}

function SelectAction({ el, block, ctx }) {
  const options = optionList(el);
  const initial = el.initial_option?.value ?? '';
  const onChange = (e) => {
    const option = options.find((o) => o.value === e.currentTarget.value);
    if (option) fire(ctx, el, block, { selected_option: option });
  };
  return html`<select class="select" data-testid=${`select-${el.action_id}`} value=${initial} onChange=${onChange}>
    <option value="" disabled>${plain(el.placeholder) || 'Select an item'}</option>
    ${options.map((o) => html`<option value=${o.value}>${plain(o.text)}</option>`)}
  </select>`;
}

/** One element inside an actions block or a section's accessory. */
export function Element({ el, block, ctx }) {
  if (!el || typeof el !== 'object') return null;
  switch (el.type) {
    case 'button':
      return html`<${Button} el=${el} block=${block} ctx=${ctx} />`;
    case 'overflow':
      return html`<${Overflow} el=${el} block=${block} ctx=${ctx} />`;
    case 'image':
      return SAFE_IMAGE.test(el.image_url ?? '')
        ? html`<img class="accessory-image" src=${el.image_url} alt=${el.alt_text ?? ''} />`
        : html`<span class="image-alt">[${el.alt_text ?? 'image'}]</span>`;
    case 'datepicker':
      return html`<input
        type="date"
        class="date-input"
        value=${el.initial_date ?? ''}
        onChange=${(e) => fire(ctx, el, block, { selected_date: e.currentTarget.value })}
      />`;
    default:
      if (
        typeof el.type === 'string' &&
        el.type.endsWith('_select') &&
        !el.type.startsWith('multi')
      ) {
        return html`<${SelectAction} el=${el} block=${block} ctx=${ctx} />`;
      }
      return html`<span class="unsupported">[${el.type}]</span>`;
  }
}

function richText(el, ctx) {
  if (!el || typeof el !== 'object') return '';
  const kids = () => (el.elements ?? []).map((e) => richText(e, ctx));
  switch (el.type) {
    case 'rich_text_section':
      return html`<div>${kids()}</div>`;
    case 'rich_text_list':
      return el.style === 'ordered'
        ? html`<ol>${kids().map((k) => html`<li>${k}</li>`)}</ol>`
        : html`<ul>${kids().map((k) => html`<li>${k}</li>`)}</ul>`;
    case 'rich_text_quote':
      return html`<blockquote>${kids()}</blockquote>`;
    case 'rich_text_preformatted':
      return html`<pre class="code-block">${kids()}</pre>`;
    case 'text': {
      let node = el.text ?? '';
      const s = el.style ?? {};
      if (s.code) node = html`<code>${node}</code>`;
      if (s.bold) node = html`<b>${node}</b>`;
      if (s.italic) node = html`<i>${node}</i>`;
      if (s.strike) node = html`<s>${node}</s>`;
      return node;
    }
    case 'link':
      return /^https?:/i.test(el.url ?? '')
        ? html`<a href=${el.url} target="_blank" rel="noopener noreferrer">${el.text ?? el.url}</a>`
        : (el.text ?? '');
    case 'user': {
      const user = ctx.users?.find((u) => u.id === el.user_id);
      return html`<span class="mention">@${user?.name ?? el.user_id}</span>`;
    }
    case 'emoji':
      return `:${el.name}:`;
    default:
      return '';
  }
}

/** One block. `index` keeps blocks without a block_id apart. */
export function Block({ block, ctx }) {
  if (!block || typeof block !== 'object') return null;
  const testid = block.block_id ? `block-${block.block_id}` : undefined;
  switch (block.type) {
    case 'header':
      return html`<div class="bk-header" data-testid=${testid}>${textObject(block.text, ctx)}</div>`;
    case 'divider':
      return html`<hr class="bk-divider" />`;
    case 'section':
      return html`<div class="bk-section" data-testid=${testid}>
        <div class="bk-section-body">
          ${block.text && html`<div class="bk-text">${textObject(block.text, ctx)}</div>`}
          ${
            Array.isArray(block.fields) &&
            html`<div class="bk-fields">${block.fields.map((f) => html`<div class="bk-field">${textObject(f, ctx)}</div>`)}</div>`
          }
        </div>
        ${block.accessory && html`<div class="bk-accessory"><${Element} el=${block.accessory} block=${block} ctx=${ctx} /></div>`}
      </div>`;
    case 'context':
      return html`<div class="bk-context" data-testid=${testid}>
        ${(block.elements ?? []).map((e) =>
          e.type === 'image'
            ? SAFE_IMAGE.test(e.image_url ?? '')
              ? html`<img class="context-image" src=${e.image_url} alt=${e.alt_text ?? ''} />`
              : html`<span>[${e.alt_text ?? 'image'}]</span>`
            : html`<span class="context-text">${textObject(e, ctx)}</span>`,
        )}
      </div>`;
    case 'actions':
      return html`<div class="bk-actions" data-testid=${testid}>
        ${(block.elements ?? []).map((el) => html`<${Element} el=${el} block=${block} ctx=${ctx} />`)}
      </div>`;
    case 'image':
      return html`<figure class="bk-image">
        ${block.title && html`<figcaption>${textObject(block.title)}</figcaption>`}
        ${SAFE_IMAGE.test(block.image_url ?? '') ? html`<img src=${block.image_url} alt=${block.alt_text ?? ''} />` : html`<span>[${block.alt_text ?? 'image'}]</span>`}
      </figure>`;
    case 'input':
      return ctx.input
        ? ctx.input(block)
        : html`<div class="bk-input-static">${textObject(block.label)}</div>`;
    case 'rich_text':
      return html`<div class="bk-rich">${(block.elements ?? []).map((e) => richText(e, ctx))}</div>`;
    default:
      return html`<div class="unsupported">[${String(block.type)} block]</div>`;
  }
}

/** A list of blocks, or the message's text when it has none. */
export function Blocks({ blocks, text, ctx }) {
  if (Array.isArray(blocks) && blocks.length > 0) {
    return html`<div class="blocks">${blocks.map((b, i) => html`<${Block} key=${b.block_id ?? i} block=${b} ctx=${ctx} />`)}</div>`;
  }
  return html`<div class="bk-text">${mrkdwn(text ?? '', ctx)}</div>`;
}
