import type { WebClient } from '@slack/web-api';

/** Larger than any 5,000-row CSV of this shape; refused before it is downloaded. */
export const MAX_CSV_BYTES = 2_000_000;

/**
 * The text of a file uploaded through the modal's file_input: files.info
 * (the bot's token, `files:read`), then its url_private_download with the same
 * token. The token is sent only to Slack's own file host (or the Slack API
 * host the bot is configured with), never to a URL taken from a payload.
 */
export async function downloadCsv(
  client: WebClient,
  fileId: string,
  botToken: string,
  apiUrl: string,
): Promise<{ text: string } | { error: string }> {
  const info = await client.files.info({ file: fileId });
  const file = info.file;
  if (!file?.url_private_download) return { error: 'Slack did not give the file to the bot.' };
  if ((file.size ?? 0) > MAX_CSV_BYTES) {
    return {
      error: `The file is ${Math.round((file.size ?? 0) / 1000)} kB; a cohort CSV must be under ${MAX_CSV_BYTES / 1_000_000} MB.`,
    };
  }
  const url = new URL(file.url_private_download);
  const api = new URL(apiUrl);
  if (
    !(url.protocol === 'https:' && url.hostname === 'files.slack.com') &&
    url.origin !== api.origin
  ) {
    return { error: 'The file is not on Slack’s file host; it was not downloaded.' };
  }
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${botToken}` },
    redirect: 'error',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    return { error: `Slack answered ${response.status} when the bot downloaded the file.` };
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_CSV_BYTES) return { error: 'The file is too large for a cohort CSV.' };
  return { text: new TextDecoder('utf-8').decode(bytes) };
}
