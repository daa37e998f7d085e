import { UpstreamError } from '../../providers/http.ts';
import type { Core } from '../core.ts';
import { ActionRefused, describeError } from '../errors.ts';
import { assertAllowed } from '../policy.ts';
import type { ActionOutcome } from './outcome.ts';

/**
 * Undoes a deactivating offboarding: the SIP user is active again (upstream
 * first) and the record is `accepted` again. The invites removed at offboarding
 * stay removed: the member had used theirs. A removed SIP user cannot come back.
 */
export function reactivate(core: Core, id: string, by: string): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    assertAllowed(record, 'reactivate');
    if (!core.providers.opentact.canModifyDomainUsers) {
      throw new ActionRefused(
        'Reactivating needs the SIP domain (OPENTACT_SIP_DOMAIN is not set).',
      );
    }
    const sipUser = record.sipUser!;
    try {
      await core.providers.opentact.modifyDomainUser(sipUser.uuid, { is_active: true });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      const why = describeError(error);
      await core.update(id, (draft) => {
        draft.audit.push({ at: core.nowIso(), by, action: 'reactivate_failed', detail: why });
      });
      if (error.status === 404) {
        throw new ActionRefused(
          `The SIP user ${sipUser.login} no longer exists at Opentact, so it cannot be reactivated; onboard the member again instead.`,
        );
      }
      throw error;
    }
    const updated = await core.update(id, (draft) => {
      draft.state = 'accepted';
      if (draft.sipUser) draft.sipUser.active = true;
      delete draft.offboarding;
      draft.audit.push({
        at: core.nowIso(),
        by,
        action: 'reactivated',
        detail: 'SIP user active again; the offboarding is undone and the member accepted again',
      });
    });
    return {
      record: core.changed(updated),
      summary: `Reactivated: the SIP user ${sipUser.login} is active again.`,
    };
  });
}
