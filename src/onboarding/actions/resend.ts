import type { Core } from '../core.ts';
import { ActionRefused } from '../errors.ts';
import { CHANNEL_LABEL, type Channel } from '../model.ts';
import type { Pipeline } from '../pipeline.ts';
import { assertAllowed, unconfirmedChannels } from '../policy.ts';
import { type ActionOutcome, alreadyClosed } from './outcome.ts';

/**
 * Sends the invitations an admin picks (default: those not confirmed sent, or
 * all when every one was confirmed), recording each attempt. The only path by
 * which a delivery that may have gone out is sent again: a person chose it.
 */
export function resend(
  core: Core,
  pipeline: Pipeline,
  id: string,
  by: string,
  picked?: readonly Channel[],
): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    const closed = alreadyClosed(record, 'resend');
    if (closed) return closed;
    assertAllowed(record, 'resend');
    const configured = record.channels.filter((c) =>
      c === 'sms' ? core.providers.usermgmt : core.providers.slyk,
    );
    if (configured.length === 0) {
      throw new ActionRefused(
        'No invitation channel that this onboarding asked for is configured.',
      );
    }
    const unconfirmed = unconfirmedChannels(record).filter((c) => configured.includes(c));
    const wanted = picked ?? (unconfirmed.length > 0 ? unconfirmed : configured);
    const channels = configured.filter((c) => wanted.includes(c));
    if (channels.length === 0) {
      throw new ActionRefused('None of the chosen channels is configured for this onboarding.');
    }
    const outcomes = await Promise.all(channels.map((c) => pipeline.deliver(id, c, by)));
    const updated = await core.update(id, (draft) => {
      const anySent = outcomes.some((o) => o === 'done');
      if (draft.state === 'failed' && anySent && draft.steps.invite.status === 'done') {
        draft.state = 'pending';
        delete draft.failedStep;
      }
      draft.audit.push({ at: core.nowIso(), by, action: 'resent', detail: channels.join(', ') });
    });
    const parts = channels.map((c, i) => {
      const outcome = outcomes[i];
      const reason = updated.deliveries[c].reason ?? 'unknown reason';
      if (outcome === 'done') return `${CHANNEL_LABEL[c]} sent`;
      if (outcome === 'unknown')
        return `${CHANNEL_LABEL[c]} not confirmed (${reason}); it may have arrived`;
      return `${CHANNEL_LABEL[c]} failed: ${reason}`;
    });
    return { record: core.changed(updated), summary: `${parts.join('; ')}.` };
  });
}
