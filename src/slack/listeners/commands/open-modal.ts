import type { Role } from '../../authz.ts';
import type { SlackContext } from '../../context.ts';
import { refusalText, refusalView } from '../../views/lists.ts';
import { checkingView, onboardModal } from '../../views/onboard.ts';
import { yieldToIo } from '../io.ts';
import type { CommandArgs } from './index.ts';

/** `/onboard`: the modal. The trigger expires about 3 s after the command: views.open comes first. */
export async function openModal(ctx: SlackContext, { ack, command }: CommandArgs): Promise<void> {
  const client = ctx.slack;
  const userId = command.user_id;
  const known = ctx.authz.knownRole(userId);
  if (known === 'none') {
    await ack({ response_type: 'ephemeral', text: refusalText(ctx.authz.adminList) });
    return;
  }
  // The same form for everyone; a request says first that an admin decides before anything happens.
  const modalFor = (role: Role) =>
    onboardModal(
      ctx.service.enabledChannels(),
      {
        lifetimeDays: ctx.config.inviteTtlDays,
        sendTime: { hour: ctx.config.sendHour, timeZone: ctx.config.digest.timezone },
      },
      '',
      role === 'requester' || ctx.config.approvals.requireApproval
        ? 'An admin approves this request before anything is created.'
        : undefined,
    );
  await ack();
  // Let the rest of a burst of requests be acked first; the trigger has ~3 s, this costs microseconds.
  await yieldToIo();
  if (known) {
    await client.views.open({ trigger_id: command.trigger_id, view: modalFor(known) });
    return;
  }
  // Not known yet (workspace admins, checked with users.info) and the trigger would expire
  // meanwhile: a small "checking" view opens first and becomes the form or the refusal.
  const opened = await client.views.open({ trigger_id: command.trigger_id, view: checkingView() });
  const role = await ctx.authz.role(userId);
  if (opened.view?.id) {
    const view = role !== 'none' ? modalFor(role) : refusalView(ctx.authz.adminList);
    await client.views.update({ view_id: opened.view.id, view });
  }
}
