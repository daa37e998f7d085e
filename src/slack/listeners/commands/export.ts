import { errorFields } from '../../../log.ts';
import { exportCsv } from '../../cohort/files.ts';
import type { Subcommand } from './index.ts';

/** Live records listed at most (the archive is left out: it is for look-ups, not lists). */
const EXPORT_MAX = 100_000;

/** `/onboard export [open|all]`: a CSV of the records, sent to the requester's DM with the bot. */
export const exportRecords: Subcommand = async (ctx, { command, respond }, [which = 'open']) => {
  if (which !== 'open' && which !== 'all') {
    await respond({
      response_type: 'ephemeral',
      text: 'Use `/onboard export open` or `/onboard export all`.',
    });
    return;
  }
  try {
    const records =
      which === 'open' ? await ctx.service.listOpen() : await ctx.service.recent(EXPORT_MAX);
    const dm = await ctx.slack.conversations.open({ users: command.user_id });
    const channel = dm.channel?.id;
    if (!channel) throw new Error('conversations.open gave no channel');
    await ctx.slack.filesUploadV2({
      channel_id: channel,
      filename: `onboardings-${which}-${ctx.clock().toISOString().slice(0, 10)}.csv`,
      title: `Onboardings (${which})`,
      initial_comment: `${records.length} ${which === 'open' ? 'open ' : ''}onboardings, as of now.`,
      content: exportCsv(records),
    });
    await respond({
      response_type: 'ephemeral',
      text: `:page_facing_up: The export (${records.length} onboardings) is in your direct messages with the bot.`,
    });
  } catch (error) {
    ctx.logger.warn('export failed', errorFields(error));
    const code = (error as { data?: { error?: string } }).data?.error;
    await respond({
      response_type: 'ephemeral',
      text: `:x: The export could not be sent${code ? ` (Slack said \`${code}\`)` : ''}. Try again in a minute.`,
    });
  }
};
