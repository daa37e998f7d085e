/**
 * Block Kit → readable plain text, for test assertions and the demo's transcripts.
 *
 *   header         == Title ==
 *   section        its text, then each field on its own line; an accessory after the last line
 *   divider        ----
 *   context        the elements' texts joined with " · "
 *   actions        the elements side by side: buttons as [Label], selects as [Placeholder ▾]
 *   input          Label: <element type>   (Label (optional): … when optional)
 *   image          [image: alt text]
 *   rich_text      its text (list items prefixed "• ")
 */

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `text` of a text object (or of an object holding one under `key`). */
function textOf(v: unknown, key?: string): string {
  const target = key && isObj(v) ? v[key] : v;
  if (typeof target === 'string') return target;
  return isObj(target) && typeof target.text === 'string' ? target.text : '';
}

function optionTexts(el: Json): string[] {
  const direct = Array.isArray(el.options) ? el.options : [];
  const grouped = Array.isArray(el.option_groups)
    ? el.option_groups.flatMap((g) => (isObj(g) && Array.isArray(g.options) ? g.options : []))
    : [];
  return [...direct, ...grouped].map((o) => textOf(o, 'text'));
}

/** One interactive or image element, inline. */
export function renderElement(el: unknown): string {
  if (!isObj(el)) return '';
  const type = typeof el.type === 'string' ? el.type : 'unknown';
  switch (type) {
    case 'button':
      return `[${textOf(el, 'text')}]`;
    case 'image':
      return `[image: ${typeof el.alt_text === 'string' ? el.alt_text : ''}]`;
    case 'overflow':
      return `[… ${optionTexts(el).join(' / ')}]`;
    case 'radio_buttons':
    case 'checkboxes': {
      const mark = type === 'checkboxes' ? '[ ]' : '( )';
      return optionTexts(el)
        .map((t) => `${mark} ${t}`)
        .join('  ');
    }
    case 'datepicker': {
      const date = typeof el.initial_date === 'string' ? el.initial_date : '';
      return `[${date || textOf(el, 'placeholder') || 'date'} ▾]`;
    }
    default:
      if (type.endsWith('select')) {
        const initial = isObj(el.initial_option) ? textOf(el.initial_option, 'text') : '';
        return `[${initial || textOf(el, 'placeholder') || type} ▾]`;
      }
      return `<${type}>`;
  }
}

function richText(el: unknown): string {
  if (!isObj(el)) return '';
  if (Array.isArray(el.elements) && el.type === 'rich_text_list') {
    return el.elements.map((item) => `• ${richText(item)}`).join('\n');
  }
  if (Array.isArray(el.elements)) return el.elements.map(richText).join('');
  switch (el.type) {
    case 'text':
      return typeof el.text === 'string' ? el.text : '';
    case 'link':
      return typeof el.text === 'string' ? el.text : String(el.url ?? '');
    case 'user':
      return `<@${String(el.user_id)}>`;
    case 'channel':
      return `<#${String(el.channel_id)}>`;
    case 'emoji':
      return `:${String(el.name)}:`;
    default:
      return '';
  }
}

function renderBlock(b: unknown): string[] {
  if (!isObj(b)) return [];
  switch (b.type) {
    case 'header':
      return [`== ${textOf(b, 'text')} ==`];
    case 'section': {
      const lines: string[] = [];
      const text = textOf(b, 'text');
      if (text) lines.push(...text.split('\n'));
      if (Array.isArray(b.fields)) for (const f of b.fields) lines.push(...textOf(f).split('\n'));
      if (b.accessory !== undefined) {
        const acc = renderElement(b.accessory);
        if (lines.length > 0) lines[lines.length - 1] = `${lines[lines.length - 1]}  ${acc}`;
        else lines.push(acc);
      }
      return lines;
    }
    case 'divider':
      return ['----'];
    case 'context':
      return Array.isArray(b.elements)
        ? [
            b.elements
              .map((e) => (isObj(e) && e.type === 'image' ? renderElement(e) : textOf(e)))
              .join(' · '),
          ]
        : [];
    case 'actions':
      return Array.isArray(b.elements) ? [b.elements.map(renderElement).join(' ')] : [];
    case 'input': {
      const el = isObj(b.element) ? b.element : {};
      const optional = b.optional === true ? ' (optional)' : '';
      const line = `${textOf(b, 'label')}${optional}: <${String(el.type)}>`;
      const hint = textOf(b, 'hint');
      return hint ? [line, `  (${hint})`] : [line];
    }
    case 'image':
      return [`[image: ${typeof b.alt_text === 'string' ? b.alt_text : ''}]`];
    case 'rich_text':
      return Array.isArray(b.elements) ? b.elements.map(richText).join('\n').split('\n') : [];
    default:
      return [`<${String(b.type)} block>`];
  }
}

/** Renders a list of blocks, one or more lines per block. */
export function renderBlocks(blocks: unknown): string {
  if (!Array.isArray(blocks)) return '';
  return blocks.flatMap(renderBlock).join('\n');
}

/** A message: its blocks when it has some, else its text. */
export function renderMessage(message: { text?: unknown; blocks?: unknown }): string {
  if (Array.isArray(message.blocks) && message.blocks.length > 0)
    return renderBlocks(message.blocks);
  return typeof message.text === 'string' ? message.text : '';
}

/** A modal or home view: `[[ Title ]]`, its blocks, then `[Close] [Submit]` for modals. */
export function renderView(view: unknown): string {
  if (!isObj(view)) return '';
  const lines: string[] = [];
  if (view.type === 'modal') lines.push(`[[ ${textOf(view, 'title')} ]]`);
  const body = renderBlocks(view.blocks);
  if (body) lines.push(body);
  const buttons = [textOf(view, 'close'), textOf(view, 'submit')].filter(Boolean);
  if (view.type === 'modal' && buttons.length > 0)
    lines.push(buttons.map((t) => `[${t}]`).join(' '));
  return lines.join('\n');
}
