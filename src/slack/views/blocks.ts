import type { Button, KnownBlock } from '@slack/types';

/** Small, typed Block Kit helpers. Every user-provided string goes through `esc`. */

/**
 * Makes any text inert in mrkdwn: Slack's three control characters become
 * entities (so `<!channel>` or `<@U…>` never becomes a live mention), and the
 * formatting characters `*` `_` `~` become look-alikes where Slack would read
 * them as markers — at a word boundary; `a_b` stays as it is. Backticks always.
 * Slack has no escape for formatting characters, hence the look-alikes.
 */
export const esc = (text: string) =>
  entities(text)
    .replace(/(?<![\p{L}\p{N}])[*_~]|[*_~](?![\p{L}\p{N}])/gu, (c) => LOOKALIKE[c]!)
    .replace(/`/g, LOOKALIKE['`']!);

const LOOKALIKE: Record<string, string> = {
  '*': '\u2217',
  _: '\u02cd',
  '~': '\u02dc',
  '`': '\u02cb',
};

const entities = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A value shown verbatim in a code span (logins, e-mails, numbers): only `&<>` and backticks change. */
export const code = (text: string) => `\`${entities(text).replace(/`/g, LOOKALIKE['`']!)}\``;

/** Slack clips nothing for us: keep within a limit, marking the cut. */
export const clip = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

export const plain = (text: string, max = 150) => ({
  type: 'plain_text' as const,
  text: clip(text, max),
  emoji: true,
});

export const header = (text: string): KnownBlock => ({ type: 'header', text: plain(text, 150) });

export const section = (text: string, blockId?: string): KnownBlock => ({
  type: 'section',
  ...(blockId ? { block_id: blockId } : {}),
  text: { type: 'mrkdwn', text: clip(text, 3000) },
});

export const fieldsSection = (fields: string[], blockId?: string): KnownBlock => ({
  type: 'section',
  ...(blockId ? { block_id: blockId } : {}),
  fields: fields.slice(0, 10).map((text) => ({ type: 'mrkdwn' as const, text: clip(text, 2000) })),
});

export const context = (...texts: string[]): KnownBlock => ({
  type: 'context',
  elements: texts.slice(0, 10).map((text) => ({ type: 'mrkdwn' as const, text: clip(text, 3000) })),
});

export const divider = (): KnownBlock => ({ type: 'divider' });

export const button = (
  text: string,
  actionId: string,
  value: string,
  style?: 'primary' | 'danger',
  confirm?: Button['confirm'],
): Button => ({
  type: 'button',
  text: plain(text, 75),
  action_id: actionId,
  value,
  ...(style ? { style } : {}),
  ...(confirm ? { confirm } : {}),
});

export const actions = (blockId: string, elements: Button[]): KnownBlock => ({
  type: 'actions',
  block_id: blockId,
  elements: elements.slice(0, 25),
});

export const user = (id: string) => (id === 'system' ? 'the bot' : `<@${id}>`);

/** A date for people: "Tue, 1 Dec 2026, 09:00 UTC". */
export function formatDate(iso: string | Date, timeZone = 'UTC'): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  // To the minute, as shown: the onboardings of one minute share their dates (expiry, sending).
  const key = `${timeZone} ${Math.floor(date.getTime() / 60_000)}`;
  let text = formatted.get(key);
  if (text === undefined) {
    text = `${dateFormat(timeZone).format(date)} ${timeZone === 'UTC' ? 'UTC' : ''}`.trim();
    if (formatted.size >= 1_000) formatted.clear();
    formatted.set(key, text);
  }
  return text;
}

/** Formatting with a time zone costs ICU work each time; a few recent minutes are kept. */
const formatted = new Map<string, string>();

/** One formatter per time zone: building one costs far more than formatting with it. */
const formats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** Slack's own date formatting (shown in the reader's time zone), with a fallback. */
export function slackDate(iso: string, fallbackTimeZone = 'UTC'): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${formatDate(iso, fallbackTimeZone)}>`;
}
