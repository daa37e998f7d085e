import { errorFields } from '../log.ts';
import type { SlykInvite } from '../providers/slyk.ts';
import type { Core } from './core.ts';
import { describeError } from './errors.ts';
import type { DriftItem, OnboardingRecord } from './model.ts';
import { decideApproval } from './record.ts';

/**
 * The invite lifecycle: the expiry sweep and reconciliation against upstream.
 * Every change to a record goes through Core.perform, under the same lock as
 * the actions, and re-reads the record there: a revoke in flight is never
 * overwritten by a stale "accepted".
 */

/** Marks pending invites whose expiry has passed as expired. Returns how many. */
export async function sweepExpired(core: Core): Promise<number> {
  const now = core.clock();
  const due = (await core.store.listOpen()).filter((r) => isDue(r, now));
  let count = 0;
  for (const { id } of due) {
    if (!core.isAccepting) break;
    await core.perform(id, async (record) => {
      if (!isDue(record, now)) return;
      await core.update(id, (draft) => {
        draft.state = 'expired';
        draft.expiredAt = draft.invite!.expiresAt;
        draft.audit.push({
          at: now.toISOString(),
          by: 'system',
          action: 'expired',
          detail: 'not used before its expiry',
        });
      });
      count += 1;
    });
  }
  return count;
}

/**
 * Requests nobody approved or rejected before their approval expiry become
 * `request_expired`. Returns them, so that their requesters can be told.
 */
export async function expireRequests(core: Core): Promise<OnboardingRecord[]> {
  const now = core.clock();
  const due = (await core.store.listOpen()).filter((r) => isRequestDue(r, now));
  const expired: OnboardingRecord[] = [];
  for (const { id } of due) {
    if (!core.isAccepting) break;
    await core.perform(id, async (record) => {
      if (!isRequestDue(record, now)) return; // decided meanwhile
      const at = now.toISOString();
      expired.push(
        await core.update(id, (draft) => {
          draft.state = 'request_expired';
          decideApproval(draft, 'expired', 'system', at);
          draft.audit.push({
            at,
            by: 'system',
            action: 'request_expired',
            detail: 'no admin approved or rejected it in time',
          });
        }),
      );
    });
  }
  return expired;
}

const isRequestDue = (r: OnboardingRecord, now: Date) =>
  r.state === 'requested' &&
  r.approval !== undefined &&
  Date.parse(r.approval.expiresAt) <= now.getTime();

const isDue = (r: OnboardingRecord, now: Date) =>
  r.state === 'pending' &&
  r.invite !== undefined &&
  Date.parse(r.invite.expiresAt) <= now.getTime();

export type ReconcileReport = {
  accepted: number;
  gone: number;
  drift: DriftItem[];
  /** Upstream APIs that could not be asked, with the reason. */
  errors: string[];
};

const RECONCILED = new Set<OnboardingRecord['state']>(['pending', 'expired']);

/**
 * Compares the records with Opentact's invites and Slyk's, then updates them:
 * Slyk says accepted → accepted; the Opentact invite of a pending record is
 * gone → it was used: accepted; of an expired one → removed upstream (noted).
 * Drift in both directions is stored for the digest.
 */
export async function reconcile(core: Core): Promise<ReconcileReport> {
  const { store, providers, log } = core;
  const report: ReconcileReport = { accepted: 0, gone: 0, drift: [], errors: [] };
  const at = core.nowIso();
  const open = (await store.listOpen()).filter((r) => RECONCILED.has(r.state));

  const slyk = await askSlyk(core, open, at, report);
  let opentactInvites: Set<string> | undefined;
  try {
    const invites = await providers.opentact.listInvites();
    opentactInvites = new Set(invites.map((i) => i.uuid));
    const known = new Set(open.map((r) => r.invite?.uuid).filter(Boolean));
    for (const invite of invites) {
      if (known.has(invite.uuid) || (await knownInvite(core, invite.name, invite.uuid))) continue;
      report.drift.push({
        kind: 'upstream-only',
        api: 'opentact',
        what: `SIP user invite "${invite.name ?? invite.uuid}"`,
        at,
      });
    }
  } catch (error) {
    log.warn('reconciliation: Opentact could not be asked', errorFields(error));
    report.errors.push(describeError(error));
  }

  for (const { id } of open) {
    if (!core.isAccepting) break;
    await core.perform(id, async (record) => {
      if (!RECONCILED.has(record.state)) return; // changed meanwhile (revoked, extended, …)
      const invite = record.slykCode ? slyk.byCode.get(record.slykCode) : undefined;
      const inviteGone =
        opentactInvites !== undefined &&
        record.invite !== undefined &&
        !record.invite.goneAt &&
        !opentactInvites.has(record.invite.uuid);
      let drift: string | undefined;
      if (slyk.ok && record.slykCode && !invite) drift = 'the e-mail invite is missing at Slyk';
      if (invite?.status === 'canceled')
        drift = 'the e-mail invite was cancelled at Slyk, not through the bot';
      const accepted = invite?.status === 'accepted' || (inviteGone && record.state === 'pending');
      if (accepted) report.accepted += 1;
      else if (inviteGone) report.gone += 1;
      if (!accepted && !inviteGone && drift === record.drift) return;
      await core.update(id, (draft) => {
        if (inviteGone && draft.invite) draft.invite.goneAt = at;
        if (accepted) {
          draft.state = 'accepted';
          draft.acceptedAt = at;
          draft.audit.push({
            at,
            by: 'system',
            action: 'accepted',
            detail:
              invite?.status === 'accepted'
                ? 'Slyk reports the e-mail invite accepted'
                : 'the Opentact invite was used (gone from the connection)',
          });
        } else if (inviteGone) {
          draft.audit.push({
            at,
            by: 'system',
            action: 'invite_gone',
            detail: 'the expired Opentact invite was removed upstream',
          });
        }
        if (drift) draft.drift = drift;
        else delete draft.drift;
      });
    });
  }
  await store.setDrift(report.drift);
  return report;
}

/** Slyk: exactly the codes we know, plus pending invites we don't. */
async function askSlyk(
  core: Core,
  open: readonly OnboardingRecord[],
  at: string,
  report: ReconcileReport,
) {
  const byCode = new Map<string, SlykInvite>();
  const slyk = core.providers.slyk;
  if (!slyk) return { ok: false, byCode };
  try {
    const codes = open.map((r) => r.slykCode).filter((c): c is string => Boolean(c));
    for (let i = 0; i < codes.length; i += 100) {
      const batch = codes.slice(i, i + 100);
      for await (const invite of slyk.iterateInvites({
        filter: { code: { in: batch } },
        page: { size: 100 },
      })) {
        byCode.set(invite.code, invite);
      }
    }
    const known = new Set(codes);
    for await (const invite of slyk.iterateInvites({
      filter: { status: 'pending' },
      page: { size: 100 },
    })) {
      if (known.has(invite.code)) continue;
      const owner = invite.invitedEmail
        ? await core.store.findByEmailOrLogin(invite.invitedEmail)
        : undefined;
      if (owner?.slykCode === invite.code) continue;
      report.drift.push({
        kind: 'upstream-only',
        api: 'slyk',
        what: `pending e-mail invite for ${invite.invitedEmail ?? 'no e-mail'}`,
        at,
      });
    }
    return { ok: true, byCode };
  } catch (error) {
    core.log.warn('reconciliation: Slyk could not be asked', errorFields(error));
    report.errors.push(describeError(error));
    return { ok: false, byCode };
  }
}

/** An invite that belongs to a closed record (named after its login) is not drift. */
async function knownInvite(
  core: Core,
  name: string | null | undefined,
  uuid: string,
): Promise<boolean> {
  if (!name) return false;
  const record = await core.store.findByEmailOrLogin(name);
  return record?.invite?.uuid === uuid;
}
