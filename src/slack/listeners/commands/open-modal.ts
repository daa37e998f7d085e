import type { SlackContext } from '../../context.ts';
import { refusalText, refusalView } from '../../views/lists.ts';
import { checkingView, onboardModal } from '../../views/onboard.ts';
import { yieldToIo } from '../io.ts';
import type { CommandArgs } from './index.ts';

/** `/onboard`: the modal. The trigger expires about 3 s after the command: views.open comes first. */
export async function openModal(
  ctx: SlackContext,
  { ack, command, client }: CommandArgs,
): Promise<void> {
  const userId = command.user_id;
  const known = ctx.authz.known(userId);
  if (known === false) {
    await ack({ response_type: 'ephemeral', text: refusalText(ctx.authz.adminList) });
    return;
  }
  const modal = onboardModal(ctx.service.enabledChannels(), {
    lifetimeDays: ctx.config.inviteTtlDays,
    sendTime: { hour: ctx.config.sendHour, timeZone: ctx.config.digest.timezone },
  });
  await ack();
  // Let the rest of a burst of requests be acked first; the trigger has ~3 s, this costs microseconds.
  await yieldToIo();
  if (known) {
    await client.views.open({ trigger_id: command.trigger_id, view: modal });
    return;
  }
  // Not known yet (workspace admins, checked with users.info) and the trigger would expire
  // meanwhile: a small "checking" view opens first and becomes the form or the refusal.
  const opened = await client.views.open({ trigger_id: command.trigger_id, view: checkingView() });
  const allowed = await ctx.authz.isAllowed(userId);
  if (opened.view?.id) {
    const view = allowed ? modal : refusalView(ctx.authz.adminList);
    await client.views.update({ view_id: opened.view.id, view });
  }
}
