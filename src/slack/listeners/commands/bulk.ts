import { uploadModal } from '../../views/cohort.ts';
import type { Subcommand } from './index.ts';

/** `/onboard bulk`: the upload modal (one CSV file, or pasted CSV). */
export const bulk: Subcommand = async (ctx, { command }) => {
  const client = ctx.slack;
  await client.views.open({
    trigger_id: command.trigger_id,
    view: uploadModal(ctx.config.bulk.maxRows),
  });
};
