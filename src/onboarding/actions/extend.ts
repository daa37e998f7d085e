import { UpstreamError } from '../../providers/http.ts';
import type { Core } from '../core.ts';
import { ActionRefused, classify, describeError } from '../errors.ts';
import type { Pipeline } from '../pipeline.ts';
import { assertAllowed } from '../policy.ts';
import { findInvite } from '../steps/invite.ts';
import { type ActionOutcome, alreadyClosed } from './outcome.ts';

/**
 * Moves the invite's expiry (upstream first, then the record). An invite that
 * is gone upstream is issued again under the same name; a Slyk invite that
 * lapsed is replaced and its e-mail sent once.
 */
export function extend(
  core: Core,
  pipeline: Pipeline,
  id: string,
  by: string,
  until: Date,
): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    const closed = alreadyClosed(record, 'extend');
    if (closed) return closed;
    assertAllowed(record, 'extend');
    if (until.getTime() <= core.clock().getTime()) {
      throw new ActionRefused('The new expiry must be in the future.');
    }
    const { opentact, slyk } = core.providers;
    const name = record.person.login;
    let inviteUuid = record.invite!.uuid;
    let recreated = false;
    try {
      await opentact.modifyInvite(inviteUuid, { expiredOn: until });
    } catch (error) {
      if (!(error instanceof UpstreamError && error.status === 404)) throw error;
      inviteUuid = await recreateInvite(core, name, until);
      recreated = true;
    }
    let emailNote = '';
    if (record.slykCode && record.channels.includes('email') && slyk) {
      const current = await slyk.getInvite(record.slykCode).catch(() => undefined);
      if (current && (current.status === 'expired' || current.status === 'canceled')) {
        const outcome = await pipeline.deliver(id, 'email', by);
        const after = await core.mustGet(id);
        emailNote =
          outcome === 'done'
            ? ' The e-mail invite had lapsed at Slyk, so a new one was sent.'
            : ` The e-mail invite had lapsed and the new one is ${outcome === 'unknown' ? 'not confirmed' : 'not sent'}: ${after.deliveries.email.reason ?? ''}.`;
      }
    }
    const updated = await core.update(id, (draft) => {
      draft.invite = { uuid: inviteUuid, expiresAt: until.toISOString() };
      if (draft.state === 'expired') draft.state = 'pending';
      delete draft.expiredAt;
      draft.audit.push({
        at: core.nowIso(),
        by,
        action: 'extended',
        detail: `until ${until.toISOString()}${recreated ? ' (invite re-created)' : ''}`,
      });
    });
    return {
      record: core.changed(updated),
      summary: `Extended until ${until.toISOString().slice(0, 10)}.${recreated ? ' The old invite was gone, so a new one was created.' : ''}${emailNote}`,
    };
  });
}

/** A new invite under the same name; a lost answer is looked up, never posted twice. */
async function recreateInvite(core: Core, name: string, until: Date): Promise<string> {
  const { opentact } = core.providers;
  try {
    return (await opentact.createInvite({ name, expiredOn: until })).uuid;
  } catch (error) {
    if (classify(error) === 'failed') throw error;
    const found = await findInvite(opentact, name).catch(() => undefined);
    if (found) return found.uuid;
    throw new ActionRefused(`${describeError(error)}; the invite could not be re-created`);
  }
}
