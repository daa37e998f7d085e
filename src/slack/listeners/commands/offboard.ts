import { refusal } from '../../../onboarding/policy.ts';
import { COMMAND, METADATA_KIND } from '../../ids.ts';
import { esc } from '../../views/blocks.ts';
import { offboardDialog } from '../../views/dialogs.ts';
import { statusBlocks } from '../../views/record.ts';
import type { Container } from '../actions/container.ts';
import type { Subcommand } from './index.ts';

/**
 * `/onboard offboard <email | login>`: the confirmation dialog for a member the
 * bot onboarded. Anyone it does not know is said so, and nothing is done.
 */
export const offboard: Subcommand = async (ctx, { respond, command }, words) => {
  const client = ctx.slack;
  const query = words.join(' ');
  if (!query) {
    await respond({
      response_type: 'ephemeral',
      text: `Usage: \`${COMMAND} offboard <email | login>\``,
    });
    return;
  }
  const shown = `\`${esc(query.replace(/`/g, "'"))}\``;
  const record = await ctx.service.lookup(query);
  if (!record) {
    await respond({
      response_type: 'ephemeral',
      text: `:warning: No member onboarded by this bot has the e-mail or SIP login ${shown}; nothing was done. The bot offboards only the members it onboarded: check the spelling, or use Opentact directly for anyone else.`,
    });
    return;
  }
  // An archived record (closed long ago) is taken back into the live set when the dialog is submitted.
  const refused = refusal(record, 'offboard');
  if (refused) {
    await respond({
      response_type: 'ephemeral',
      text: `:warning: ${esc(refused)}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `:warning: ${esc(refused)}` } },
        ...statusBlocks(record, ctx.clock(), ctx.binder.seal.bind(ctx.binder)),
      ],
    });
    return;
  }
  // No message to update in place: the outcome is answered through the command's response_url.
  const container: Container = {
    kind: 'message',
    channel: command.channel_id,
    ts: '',
    ephemeral: true,
    responseUrl: command.response_url,
  };
  const metadata = ctx.binder.sealMetadata(METADATA_KIND.dialog, {
    recordId: record.id,
    container,
  });
  await client.views.open({
    trigger_id: command.trigger_id,
    view: offboardDialog(record, metadata, ctx.service.canDeactivate),
  });
};
