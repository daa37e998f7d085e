import { COMMAND } from '../../ids.ts';
import { code, esc } from '../../views/blocks.ts';
import { statusBlocks } from '../../views/record.ts';
import type { Subcommand } from './index.ts';

/** `/onboard status <email | login>`: every step, delivery and audit entry (archived ones too). */
export const status: Subcommand = async (ctx, { respond }, words) => {
  const query = words.join(' ');
  if (!query) {
    await respond({
      response_type: 'ephemeral',
      text: `Usage: \`${COMMAND} status <email | login>\``,
    });
    return;
  }
  const record = await ctx.service.lookup(query);
  if (!record) {
    await respond({
      response_type: 'ephemeral',
      text: `No onboarding found for \`${esc(query.replace(/`/g, "'"))}\`. Try the e-mail or the SIP login; \`${COMMAND} list\` shows pending ones.`,
    });
    return;
  }
  await respond({
    response_type: 'ephemeral',
    text: `Onboarding of ${code(record.person.login)}`,
    blocks: statusBlocks(record, ctx.clock(), ctx.binder.seal.bind(ctx.binder)),
  });
};
