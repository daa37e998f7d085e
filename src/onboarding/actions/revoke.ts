import { UpstreamError } from '../../providers/http.ts';
import type { Core } from '../core.ts';
import { ActionRefused, describeError } from '../errors.ts';
import type { OnboardingRecord } from '../model.ts';
import { assertAllowed } from '../policy.ts';
import type { ActionOutcome } from './outcome.ts';

export type RevokeMode = 'keep' | 'deactivate' | 'remove';

/**
 * Removes the Opentact invite, cancels the Slyk invite, and deactivates or
 * removes the SIP user when asked. Every call is idempotent (a 404 means
 * already gone); a partial failure is recorded with what did happen, and a
 * second revoke finishes the rest.
 */
export function revoke(
  core: Core,
  id: string,
  by: string,
  mode: RevokeMode,
): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    if (record.state === 'revoked') return { record, summary: 'Already revoked.', noop: true };
    assertAllowed(record, 'revoke');
    if (mode === 'deactivate' && !core.providers.opentact.canModifyDomainUsers) {
      throw new ActionRefused(
        'Deactivating needs the SIP domain (OPENTACT_SIP_DOMAIN is not set). Revoke and keep or remove the SIP user instead.',
      );
    }
    const done: string[] = [];
    try {
      await removeInvite(core, record, done);
      await cancelEmail(core, record, done);
      await handleSipUser(core, record, mode, done);
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      const why = describeError(error.cause);
      const before = done.length ? `; done before: ${done.join(', ')}` : '';
      await core.update(id, (draft) => {
        draft.audit.push({
          at: core.nowIso(),
          by,
          action: 'revoke_failed',
          detail: `${error.what}: ${why}${before}`,
        });
      });
      throw new ActionRefused(
        `Could not ${error.what}: ${why}.${done.length ? ` Already done: ${done.join(', ')}.` : ''} Try again in a moment.`,
      );
    }
    const summary = done.join(', ') || 'nothing was open upstream';
    const updated = await core.update(id, (draft) => {
      draft.state = 'revoked';
      draft.revokedAt = core.nowIso();
      if (draft.sipUser && mode === 'deactivate') draft.sipUser.active = false;
      if (draft.sipUser && mode === 'remove') draft.sipUser.removed = true;
      draft.audit.push({ at: core.nowIso(), by, action: 'revoked', detail: summary });
    });
    return { record: core.changed(updated), summary: `Revoked: ${summary}.` };
  });
}

const is404 = (error: unknown) => error instanceof UpstreamError && error.status === 404;

/** One part of a revoke that failed, and what it was. */
class StepFailed extends Error {
  readonly what: string;
  constructor(what: string, cause: unknown) {
    super(what, { cause });
    this.what = what;
  }
}

function failing(what: string, error: unknown): never {
  throw new StepFailed(what, error);
}

async function removeInvite(core: Core, record: OnboardingRecord, done: string[]) {
  if (!record.invite || record.invite.goneAt) return;
  try {
    await core.providers.opentact.removeInvite(record.invite.uuid);
    done.push('SIP user invite removed');
  } catch (error) {
    if (!is404(error)) failing('remove the SIP user invite', error);
    done.push('SIP user invite was already gone');
  }
  await core.update(record.id, (draft) => {
    if (draft.invite) draft.invite.goneAt = core.nowIso();
  });
}

async function cancelEmail(core: Core, record: OnboardingRecord, done: string[]) {
  const { slyk } = core.providers;
  if (!record.slykCode || !slyk) return;
  try {
    const current = await slyk.getInvite(record.slykCode);
    if (current.status === 'pending') {
      await slyk.cancelInvite(record.slykCode);
      done.push('e-mail invite cancelled');
    }
  } catch (error) {
    if (!is404(error)) failing('cancel the e-mail invite', error);
  }
}

async function handleSipUser(
  core: Core,
  record: OnboardingRecord,
  mode: RevokeMode,
  done: string[],
) {
  const { opentact } = core.providers;
  if (!record.sipUser || record.sipUser.removed || mode === 'keep') return;
  try {
    if (mode === 'deactivate') {
      if (record.sipUser.active)
        await opentact.modifyDomainUser(record.sipUser.uuid, { is_active: false });
      done.push('SIP user deactivated');
    } else {
      await opentact.removeSipUser(record.sipUser.uuid);
      done.push('SIP user removed');
    }
  } catch (error) {
    if (mode === 'remove' && is404(error)) done.push('SIP user was already gone');
    else failing(`${mode} the SIP user`, error);
  }
}
