// Slack mrkdwn → preact nodes. Everything becomes text nodes or elements built
// here: nothing is ever parsed as HTML, so a message cannot inject markup.
import { html } from './html.js';

// Emoji as glyphs that common fonts carry (a machine without an emoji font still shows them).
const EMOJI = {
  white_check_mark: ['✔', 'good'],
  heavy_check_mark: ['✔', 'good'],
  x: ['✖', 'bad'],
  warning: ['⚠', 'warn'],
  hourglass_flowing_sand: ['◷', 'muted'],
  hourglass: ['◷', 'muted'],
  alarm_clock: ['◷', 'warn'],
  grey_question: ['?', 'muted'],
  white_circle: ['○', 'muted'],
  heavy_minus_sign: ['−', 'muted'],
  sparkles: ['✦', 'warn'],
  tada: ['★', 'warn'],
  no_entry_sign: ['⊘', 'bad'],
  no_entry: ['⊘', 'bad'],
  new: ['NEW', 'info'],
  mag: ['⌕', 'muted'],
  lock: ['●', 'muted'],
  information_source: ['ℹ', 'info'],
  envelope: ['✉', 'muted'],
  email: ['✉', 'muted'],
  large_green_circle: ['●', 'good'],
  red_circle: ['●', 'bad'],
};

/** `:name:` as Slack shows it; an unknown name stays as typed. */
export function emoji(name, whole) {
  const known = EMOJI[name];
  return known
    ? html`<span class=${`emoji ${known[1]}`} title=${`:${name}:`}>${known[0]}</span>`
    : whole;
}

/** Slack escapes &, < and > in text; show them as the characters they stand for. */
export const decode = (text) =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const SAFE_URL = /^(https?:|mailto:)/i;

/** <…> controls: links, mentions, channels, dates, special mentions. */
function control(inner, ctx) {
  const [target, label] = splitOnce(inner, '|');
  if (target.startsWith('@')) {
    const user = ctx.users?.find((u) => u.id === target.slice(1));
    return html`<span class="mention" data-user=${target.slice(1)}>@${label ?? user?.name ?? target.slice(1)}</span>`;
  }
  if (target.startsWith('#')) {
    return html`<span class="mention">#${label ?? target.slice(1)}</span>`;
  }
  if (target.startsWith('!date^')) return html`<span class="date">${decode(label ?? '')}</span>`;
  if (target.startsWith('!')) {
    return html`<span class="mention">@${label ?? target.slice(1).split('^')[0]}</span>`;
  }
  const url = decode(target);
  if (!SAFE_URL.test(url)) return decode(label ?? target);
  return html`<a href=${url} target="_blank" rel="noopener noreferrer">${decode(label ?? target)}</a>`;
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

// Order matters: code and controls first, their insides are not formatted.
const INLINE =
  /`([^`\n]+)`|<([^<>\n]+)>|(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\p{L}\p{N}~])|:([a-z0-9_+-]+):/gu;

/** One run of text without code blocks: inline formatting, recursively. */
export function inline(text, ctx) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(decode(text.slice(last, m.index)));
    const [whole, code, ctl, bold, italic, strike, name] = m;
    if (code !== undefined) out.push(html`<code>${decode(code)}</code>`);
    else if (ctl !== undefined) out.push(control(ctl, ctx));
    else if (bold !== undefined) out.push(html`<b>${inline(bold, ctx)}</b>`);
    else if (italic !== undefined) out.push(html`<i>${inline(italic, ctx)}</i>`);
    else if (strike !== undefined) out.push(html`<s>${inline(strike, ctx)}</s>`);
    else if (name !== undefined) out.push(emoji(name, whole));
    last = m.index + whole.length;
  }
  if (last < text.length) out.push(decode(text.slice(last)));
  return out;
}

/** Lines with line breaks kept; "> " lines become quotes. */
function lines(text, ctx) {
  const out = [];
  const parts = text.split('\n');
  parts.forEach((line, i) => {
    const quote = /^&gt;\s?(.*)$/.exec(line);
    if (quote) out.push(html`<span class="quote">${inline(quote[1], ctx)}</span>`);
    else {
      out.push(inline(line, ctx));
      if (i < parts.length - 1) out.push(html`<br />`);
    }
  });
  return out;
}

/** A whole mrkdwn text: code blocks (```), then lines, then inline formatting. */
export function mrkdwn(text, ctx = {}) {
  if (typeof text !== 'string') return '';
  const out = [];
  const fence = /```([\s\S]*?)```/g;
  let last = 0;
  for (const m of text.matchAll(fence)) {
    if (m.index > last) out.push(lines(text.slice(last, m.index), ctx));
    out.push(html`<pre class="code-block">${decode(m[1].replace(/^\n|\n$/g, ''))}</pre>`);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(lines(text.slice(last), ctx));
  return out;
}

/** A text object: mrkdwn is formatted, plain_text shown as written (emoji allowed). */
export function textObject(obj, ctx = {}) {
  if (!obj || typeof obj !== 'object') return '';
  if (obj.type === 'mrkdwn') return mrkdwn(obj.text, ctx);
  const text = typeof obj.text === 'string' ? obj.text : '';
  if (obj.emoji === false) return text;
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/:([a-z0-9_+-]+):/g)) {
    out.push(text.slice(last, m.index), emoji(m[1], m[0]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}
