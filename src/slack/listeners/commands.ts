import type { App } from '@slack/bolt';
import { errorFields } from '../../log.ts';
import type { SlackContext } from '../context.ts';
import { COMMAND } from '../ids.ts';
import { helpText, listBlocks, refusalText, refusalView } from '../views/lists.ts';
import { onboardModal } from '../views/onboard.ts';
import { statusBlocks } from '../views/record.ts';

/** `/onboard` and its subcommands. */
export function registerCommands(app: App, ctx: SlackContext): void {
  app.command(COMMAND, async ({ command, ack, client, respond }) => {
    const [sub = '', ...rest] = command.text.trim().split(/\s+/);
    const userId = command.user_id;
    const known = ctx.authz.known(userId);

    if (sub === '') {
      if (known === false) {
        await ack({ response_type: 'ephemeral', text: refusalText(ctx.authz.adminList) });
        return;
      }
      // The trigger expires about 3 s after the command: views.open is the first outbound call.
      const modal = onboardModal(ctx.service.enabledChannels(), {
        lifetimeDays: ctx.config.inviteTtlDays,
      });
      await ack();
      // Let the rest of a burst of requests be acked first; the trigger has ~3 s, this costs microseconds.
      await yieldToIo();
      const opened = await client.views.open({ trigger_id: command.trigger_id, view: modal });
      if (known === undefined && !(await ctx.authz.isAllowed(userId)) && opened.view?.id) {
        await client.views.update({
          view_id: opened.view.id,
          view: refusalView(ctx.authz.adminList),
        });
      }
      return;
    }

    await ack();
    if (sub === 'help' || !['list', 'status', 'digest'].includes(sub)) {
      const prefix = sub === 'help' ? '' : `:grey_question: I don't know \`${sub}\`.\n`;
      await respond({
        response_type: 'ephemeral',
        text: `${prefix}${helpText(ctx.authz.adminList)}`,
      });
      return;
    }
    if (!(await ctx.authz.isAllowed(userId))) {
      await respond({ response_type: 'ephemeral', text: refusalText(ctx.authz.adminList) });
      return;
    }
    const now = ctx.clock();
    if (sub === 'list') {
      const blocks = listBlocks(await ctx.service.listOpen(), now);
      await respond({ response_type: 'ephemeral', text: 'Pending invitations', blocks });
      return;
    }
    if (sub === 'status') {
      const query = rest.join(' ');
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
          text: `No onboarding found for \`${query.replace(/[<>&`]/g, '')}\`. Try the e-mail or the SIP login; \`${COMMAND} list\` shows pending ones.`,
        });
        return;
      }
      await respond({
        response_type: 'ephemeral',
        text: `Onboarding of ${record.person.login}`,
        blocks: statusBlocks(record, now),
      });
      return;
    }
    // digest
    try {
      const result = await ctx.postDigest(userId);
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
  });
}

/** Resolves after the event loop has handled pending I/O (e.g. other Slack requests to ack). */
export const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

export function describeSlackError(error: unknown): string {
  const code = (error as { data?: { error?: string } }).data?.error;
  return code ? `Slack said \`${code}\`.` : 'see the bot log.';
}
