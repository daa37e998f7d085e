import { esc } from '../../views/blocks.ts';
import { helpText } from '../../views/lists.ts';
import type { Subcommand } from './index.ts';

/** `/onboard help`, and the answer to a subcommand it does not know (`words[0]`). */
export const help: Subcommand = async (ctx, { respond }, [unknown]) => {
  const prefix = unknown
    ? `:grey_question: I don't know \`${esc(unknown.replace(/`/g, "'"))}\`.\n`
    : '';
  await respond({ response_type: 'ephemeral', text: `${prefix}${helpText(ctx.authz.adminList)}` });
};
