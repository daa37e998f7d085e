import { errorFields } from '../../../log.ts';
import type { Subcommand } from './index.ts';

/** `/onboard digest`: post the digest now (or show it privately without DIGEST_CHANNEL). */
export const digest: Subcommand = async (ctx, { respond, command }) => {
  try {
    const result = await ctx.postDigest(command.user_id);
    await respond(
      result.posted
        ? { response_type: 'ephemeral', text: `Digest posted in <#${result.channel}>.` }
        : { response_type: 'ephemeral', text: result.text, blocks: result.blocks },
    );
  } catch (error) {
    ctx.logger.warn('digest on demand failed', errorFields(error));
    await respond({
      response_type: 'ephemeral',
      text: `:x: The digest could not be posted: ${describeSlackError(error)}`,
    });
  }
};

function describeSlackError(error: unknown): string {
  const code = (error as { data?: { error?: string } }).data?.error;
  return code ? `Slack said \`${code}\`.` : 'see the bot log.';
}
