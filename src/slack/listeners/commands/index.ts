import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.ts';
import { COMMAND } from '../../ids.ts';
import { refusalText } from '../../views/lists.ts';
import { bulk } from './bulk.ts';
import { digest } from './digest.ts';
import { exportRecords } from './export.ts';
import { help } from './help.ts';
import { list } from './list.ts';
import { offboard } from './offboard.ts';
import { openModal } from './open-modal.ts';
import { status } from './status.ts';

export type CommandArgs = AllMiddlewareArgs & SlackCommandMiddlewareArgs;
/** A subcommand, after the ack; `words` are what follows its name. */
export type Subcommand = (ctx: SlackContext, args: CommandArgs, words: string[]) => Promise<void>;

const ADMIN_ONLY: Record<string, Subcommand> = {
  list,
  status,
  digest,
  offboard,
  bulk,
  export: exportRecords,
};

/** `/onboard` opens the modal; `/onboard <sub>` runs a subcommand (admins) or shows the help. */
export function register(app: App, ctx: SlackContext): void {
  app.command(COMMAND, async (args) => {
    const [sub = '', ...words] = args.command.text.trim().split(/\s+/);
    if (sub === '') return openModal(ctx, args);
    await args.ack();
    const run = ADMIN_ONLY[sub];
    if (!run) return help(ctx, args, sub === 'help' ? [] : [sub]);
    if (!(await ctx.authz.isAllowed(args.command.user_id))) {
      await args.respond({ response_type: 'ephemeral', text: refusalText(ctx.authz.adminList) });
      return;
    }
    await run(ctx, args, words);
  });
}
