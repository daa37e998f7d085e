import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import type { DriftItem, OnboardingRecord } from '../onboarding/model.ts';
import { describeError, type Providers } from '../onboarding/service.ts';
import type { SlykInvite } from '../providers/slyk.ts';
import type { Store } from '../store/store.ts';

/**
 * The invite lifecycle jobs: they keep every record honest against the clock
 * and against upstream truth. Each is a plain function the tests call directly.
 */

/** Marks pending invites whose expiry has passed as expired. Returns how many. */
export async function sweepExpired(store: Store, now: Date): Promise<number> {
  const due = store
    .all()
    .filter(
      (r) => r.state === 'pending' && r.invite && Date.parse(r.invite.expiresAt) <= now.getTime(),
    );
  for (const record of due) {
    await store.update(
      record.id,
      (draft) => {
        if (draft.state !== 'pending') return;
        draft.state = 'expired';
        draft.expiredAt = draft.invite!.expiresAt;
        draft.audit.push({
          at: now.toISOString(),
          by: 'system',
          action: 'expired',
          detail: 'not used before its expiry',
        });
      },
      now,
    );
  }
  return due.length;
}

export type ReconcileReport = {
  accepted: number;
  gone: number;
  drift: DriftItem[];
  /** Upstream APIs that could not be asked, with the reason. */
  errors: string[];
};

const OPEN = new Set<OnboardingRecord['state']>(['pending', 'expired']);

/**
 * Compares the records with Opentact's invite list for the connection and
 * Slyk's invites, and updates the records:
 * - Slyk says accepted → accepted;
 * - the Opentact invite of a pending record is gone → it was used: accepted;
 *   of an expired record → removed upstream (noted);
 * - drift in both directions is stored for the digest.
 */
export async function reconcile(
  store: Store,
  providers: Providers,
  now: Date,
  log: Logger,
): Promise<ReconcileReport> {
  const report: ReconcileReport = { accepted: 0, gone: 0, drift: [], errors: [] };
  const at = now.toISOString();
  const open = store.all().filter((r) => OPEN.has(r.state));

  // ——— Slyk: ask for exactly the codes we know, plus pending invites we don't ———
  const slykByCode = new Map<string, SlykInvite>();
  let slykOk = false;
  if (providers.slyk) {
    try {
      const codes = open.map((r) => r.slykCode).filter((c): c is string => Boolean(c));
      for (let i = 0; i < codes.length; i += 100) {
        const batch = codes.slice(i, i + 100);
        for await (const invite of providers.slyk.iterateInvites({
          filter: { code: { in: batch } },
          page: { size: 100 },
        })) {
          slykByCode.set(invite.code, invite);
        }
      }
      const known = new Set(
        store
          .all()
          .map((r) => r.slykCode)
          .filter(Boolean),
      );
      for await (const invite of providers.slyk.iterateInvites({
        filter: { status: 'pending' },
        page: { size: 100 },
      })) {
        if (!known.has(invite.code)) {
          report.drift.push({
            kind: 'upstream-only',
            api: 'slyk',
            what: `pending e-mail invite for ${invite.invitedEmail ?? 'no e-mail'}`,
            at,
          });
        }
      }
      slykOk = true;
    } catch (error) {
      log.warn('reconciliation: Slyk could not be asked', errorFields(error));
      report.errors.push(describeError(error));
    }
  }

  // ——— Opentact: the connection's invites ———
  let opentactInvites: Set<string> | undefined;
  try {
    const invites = await providers.opentact.listInvites();
    opentactInvites = new Set(invites.map((i) => i.uuid));
    const known = new Set(
      store
        .all()
        .map((r) => r.invite?.uuid)
        .filter(Boolean),
    );
    for (const invite of invites) {
      if (!known.has(invite.uuid)) {
        report.drift.push({
          kind: 'upstream-only',
          api: 'opentact',
          what: `SIP user invite "${invite.name ?? invite.uuid}"`,
          at,
        });
      }
    }
  } catch (error) {
    log.warn('reconciliation: Opentact could not be asked', errorFields(error));
    report.errors.push(describeError(error));
  }

  for (const record of open) {
    const slyk = record.slykCode ? slykByCode.get(record.slykCode) : undefined;
    const inviteGone =
      opentactInvites !== undefined &&
      record.invite &&
      !record.invite.goneAt &&
      !opentactInvites.has(record.invite.uuid);
    let drift: string | undefined;
    if (slykOk && record.slykCode && !slyk) drift = 'the e-mail invite is missing at Slyk';
    if (slyk?.status === 'canceled')
      drift = 'the e-mail invite was cancelled at Slyk, not through the bot';

    const accepted = slyk?.status === 'accepted' || (inviteGone && record.state === 'pending');
    if (accepted) report.accepted += 1;
    else if (inviteGone) report.gone += 1;
    if (!accepted && !inviteGone && drift === record.drift) continue;

    await store.update(
      record.id,
      (draft) => {
        if (inviteGone && draft.invite) draft.invite.goneAt = at;
        if (accepted) {
          draft.state = 'accepted';
          draft.acceptedAt = at;
          draft.audit.push({
            at,
            by: 'system',
            action: 'accepted',
            detail:
              slyk?.status === 'accepted'
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
      },
      now,
    );
  }
  await store.setDrift(report.drift);
  return report;
}
