import { UpstreamError } from '../../providers/http.ts';
import type { Core } from '../core.ts';
import { ActionRefused, describeError } from '../errors.ts';
import {
  OFFBOARD_PART_LABEL,
  OFFBOARD_PARTS,
  type OffboardMode,
  type OffboardPart,
  type OnboardingRecord,
} from '../model.ts';
import { assertAllowed, unfinishedOffboardParts } from '../policy.ts';
import type { ActionOutcome } from './outcome.ts';

/**
 * Offboards a member who accepted: deactivates (reversible) or removes the SIP
 * user, removes the open SIP user invites named after the login and cancels the
 * pending Slyk invites of the e-mail. The record is `offboarded` before the first
 * upstream call, so a crash or a partial failure leaves parts to retry; every
 * call is idempotent (404: already gone), so a retry repeats nothing harmful.
 */
export async function offboard(
  core: Core,
  id: string,
  by: string,
  mode: OffboardMode,
): Promise<ActionOutcome> {
  core.assertAccepting();
  // Members usually leave long after their onboarding was closed and archived.
  await core.store.restoreArchived(id);
  return core.perform(id, async (record) => {
    if (record.state === 'offboarded' && unfinishedOffboardParts(record).length === 0) {
      return { record, summary: 'Already offboarded.', noop: true };
    }
    assertAllowed(record, 'offboard');
    assertCanDeactivate(core, mode);
    const at = core.nowIso();
    const todo = () => ({ status: 'todo' as const, attempts: 0 });
    await core.update(id, (draft) => {
      draft.state = 'offboarded';
      draft.offboarding = {
        mode,
        by,
        at,
        parts: { sip_user: todo(), invites: todo(), email: todo() },
      };
      draft.audit.push({ at, by, action: 'offboarding', detail: `${mode} the SIP user` });
    });
    return runParts(core, id, by);
  });
}

/** Runs again the offboarding parts that failed (or never ran), with the mode first chosen. */
export function retryOffboard(core: Core, id: string, by: string): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    assertAllowed(record, 'retryOffboard');
    assertCanDeactivate(core, record.offboarding!.mode);
    const parts = unfinishedOffboardParts(record);
    await core.update(id, (draft) => {
      draft.audit.push({
        at: core.nowIso(),
        by,
        action: 'offboarding_retried',
        detail: parts.map((p) => OFFBOARD_PART_LABEL[p]).join(', '),
      });
    });
    return runParts(core, id, by);
  });
}

function assertCanDeactivate(core: Core, mode: OffboardMode) {
  if (mode === 'deactivate' && !core.providers.opentact.canModifyDomainUsers) {
    throw new ActionRefused(
      'Deactivating needs the SIP domain (OPENTACT_SIP_DOMAIN is not set). Offboard with "remove" instead.',
    );
  }
}

const isGone = (error: unknown, statuses = [404]) =>
  error instanceof UpstreamError && error.status !== undefined && statuses.includes(error.status);

/** Each unfinished part, one after the other; one failing does not stop the others. */
async function runParts(core: Core, id: string, by: string): Promise<ActionOutcome> {
  const record = await core.mustGet(id);
  const mode = record.offboarding!.mode;
  for (const part of unfinishedOffboardParts(record)) {
    let result: { status: 'done' | 'skipped' | 'failed'; detail: string };
    let change: ((draft: OnboardingRecord) => void) | undefined;
    try {
      const done = await PARTS[part](core, record, mode);
      result = { status: done.skipped ? 'skipped' : 'done', detail: done.detail };
      change = done.change;
    } catch (error) {
      if (!(error instanceof UpstreamError || error instanceof ActionRefused)) throw error;
      core.log.warn('offboarding part failed', { part, record: id, error: describeError(error) });
      result = { status: 'failed', detail: describeError(error) };
    }
    await core.update(id, (draft) => {
      const step = draft.offboarding!.parts[part];
      step.status = result.status;
      step.detail = result.detail;
      step.at = core.nowIso();
      step.attempts += 1;
      change?.(draft);
    });
  }
  const after = await core.mustGet(id);
  const parts = after.offboarding!.parts;
  const failed = OFFBOARD_PARTS.filter((p) => parts[p].status === 'failed');
  const line = (p: OffboardPart) => `${OFFBOARD_PART_LABEL[p]}: ${parts[p].detail ?? ''}`;
  const updated = await core.update(id, (draft) => {
    const at = core.nowIso();
    if (failed.length === 0) draft.offboarding!.finishedAt = at;
    draft.audit.push({
      at,
      by,
      action: failed.length === 0 ? 'offboarded' : 'offboarding_incomplete',
      detail: OFFBOARD_PARTS.map(line).join('; '),
    });
  });
  if (failed.length === 0) {
    return {
      record: core.changed(updated),
      summary: `Offboarded: ${OFFBOARD_PARTS.map(line).join('; ')}.`,
    };
  }
  return {
    record: core.changed(updated),
    partial: true,
    summary:
      `Offboarding incomplete. Failed: ${failed.map(line).join('; ')}.` +
      ` Done: ${OFFBOARD_PARTS.filter((p) => !failed.includes(p))
        .map(line)
        .join('; ')}. Use Retry offboarding once the cause is fixed.`,
  };
}

type PartResult = {
  detail: string;
  skipped?: boolean;
  change?: (draft: OnboardingRecord) => void;
};
type PartRunner = (core: Core, record: OnboardingRecord, mode: OffboardMode) => Promise<PartResult>;

const PARTS: Record<OffboardPart, PartRunner> = {
  async sip_user(core, record, mode) {
    const user = record.sipUser;
    if (!user) return { detail: 'no SIP user was created', skipped: true };
    if (user.removed) return { detail: 'already removed' };
    const { opentact } = core.providers;
    if (mode === 'remove') {
      try {
        await opentact.removeSipUser(user.uuid);
      } catch (error) {
        if (!isGone(error)) throw error;
        return { detail: 'was already gone', change: markRemoved };
      }
      return { detail: 'removed', change: markRemoved };
    }
    try {
      await opentact.modifyDomainUser(user.uuid, { is_active: false });
    } catch (error) {
      // A user that no longer exists has no access left: offboarded, but not reactivatable.
      if (!isGone(error)) throw error;
      return { detail: 'no longer exists at Opentact', change: markRemoved };
    }
    return {
      detail: 'deactivated',
      change: (draft) => {
        if (draft.sipUser) draft.sipUser.active = false;
      },
    };
  },

  /** The record's invite and any other open invite named after the login (how invites are named). */
  async invites(core, record) {
    const { opentact } = core.providers;
    const uuids = new Set<string>();
    if (record.invite && !record.invite.goneAt) uuids.add(record.invite.uuid);
    for (const invite of await opentact.listInvites()) {
      if (invite.name === record.person.login) uuids.add(invite.uuid);
    }
    let removed = 0;
    for (const uuid of uuids) {
      try {
        await opentact.removeInvite(uuid);
        removed += 1;
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    return {
      detail: removed === 0 ? 'none open' : `${removed} removed`,
      change: (draft) => {
        if (draft.invite && !draft.invite.goneAt) draft.invite.goneAt = core.nowIso();
      },
    };
  },

  /** The record's Slyk invite and every other pending one sent to the member's e-mail. */
  async email(core, record) {
    const { slyk } = core.providers;
    if (!slyk) {
      if (record.slykCode)
        throw new ActionRefused('the e-mail channel (Slyk) is not configured any more');
      return { detail: 'e-mail channel not configured', skipped: true };
    }
    const codes = new Set<string>();
    if (record.slykCode) {
      const own = await slyk.getInvite(record.slykCode).catch((error) => {
        if (isGone(error)) return undefined;
        throw error;
      });
      if (own?.status === 'pending') codes.add(own.code);
    }
    for await (const invite of slyk.iterateInvites({
      filter: { invitedEmail: record.person.email, status: 'pending' },
      page: { size: 100 },
    })) {
      codes.add(invite.code);
    }
    let cancelled = 0;
    for (const code of codes) {
      try {
        await slyk.cancelInvite(code);
        cancelled += 1;
      } catch (error) {
        // 404: gone; 409: accepted or cancelled meanwhile: not pending any more either way.
        if (!isGone(error, [404, 409])) throw error;
      }
    }
    return { detail: cancelled === 0 ? 'none pending' : `${cancelled} cancelled` };
  },
};

function markRemoved(draft: OnboardingRecord) {
  if (draft.sipUser) draft.sipUser.removed = true;
}
