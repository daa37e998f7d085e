import type { App } from '@slack/bolt';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';

const SORRY =
  ':x: Something went wrong on our side and nothing more was done. Try again in a minute; if it keeps happening, the bot log says why.';

/**
 * The one error handler (Bolt's extended form): an error a listener did not
 * expect is logged once and the person is told privately. Expected outcomes
 * (a refusal, an upstream failure) are answered by the listener itself.
 */
export function registerErrorHandler(app: App, logger: Logger): void {
  // Bolt's extended handler arguments (its type is not exported): the error and the request body.
  app.error(async ({ error, body }: { error: Error; body: unknown }) => {
    const original = (error as { original?: unknown }).original ?? error;
    const b = (body ?? {}) as Record<string, unknown> & {
      user?: { id?: string } | string;
      user_id?: string;
      channel?: { id?: string };
      channel_id?: string;
      container?: { channel_id?: string; is_ephemeral?: boolean };
      event?: { user?: string };
    };
    logger.error('unhandled error in a Slack listener', {
      ...errorFields(original),
      payload: b.type ?? 'command',
    });
    const user = typeof b.user === 'object' ? b.user.id : (b.user_id ?? b.event?.user);
    if (!user) return;
    const channel = b.channel?.id ?? b.channel_id ?? b.container?.channel_id;
    try {
      if (channel) await app.client.chat.postEphemeral({ channel, user, text: SORRY });
      else await app.client.chat.postMessage({ channel: user, text: SORRY });
    } catch (reply) {
      logger.warn('could not tell the person about the error', errorFields(reply));
    }
  });
}
