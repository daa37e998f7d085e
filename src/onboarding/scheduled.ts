import { errorFields } from '../log.ts';
import { UpstreamError } from '../providers/http.ts';
import type { ActionOutcome } from './actions/outcome.ts';
import type { Core } from './core.ts';
import { ActionRefused, describeError } from './errors.ts';
import { CHANNEL_LABEL, CHANNELS, type OnboardingRecord } from './model.ts';
import type { Pipeline } from './pipeline.ts';
import { assertAllowed } from './policy.ts';

/**
 * Onboardings with a start date: `scheduled` holds the SIP user (the login is
 * reserved) until `startAt`; then the same pipeline continues from the invite
 * step, so nothing already done is repeated. The record turns `provisioning`
 * durably before the run: a crash there is resumed like any other run.
 */

/** Sends every scheduled onboarding whose time has come (also those missed while the bot was down). */
export async function sendDue(core: Core, pipeline: Pipeline): Promise<OnboardingRecord[]> {
  const due = (await core.store.listOpen()).filter((r) => isDue(r, core.clock()));
  const sent: OnboardingRecord[] = [];
  for (const { id } of due) {
    if (!core.isAccepting) break;
    try {
      const record = await core.perform(id, async (current) => {
        if (!isDue(current, core.clock())) return undefined;
        await start(core, id, 'system', 'start_date_reached', `scheduled for ${current.startAt}`);
        return pipeline.run(id);
      });
      if (record) sent.push(record);
    } catch (error) {
      // Another replica holds it, or the store failed mid-run (then it resumes as provisioning).
      core.log.warn('a scheduled onboarding could not be sent now', {
        onboarding: id,
        ...errorFields(error),
      });
    }
  }
  return sent;
}

const isDue = (r: OnboardingRecord, now: Date) =>
  r.state === 'scheduled' && (!r.startAt || Date.parse(r.startAt) <= now.getTime());

/** Send now: the invite and the invitations go out at once; the lifetime counts from now. */
export function sendNow(
  core: Core,
  pipeline: Pipeline,
  id: string,
  by: string,
): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    if (record.state !== 'scheduled') return notScheduled(record);
    assertAllowed(record, 'send_now');
    await start(core, id, by, 'sent_now', `was scheduled for ${record.startAt}`);
    const final = await pipeline.run(id, by);
    return { record: final, summary: outcomeSummary(final) };
  });
}

async function start(core: Core, id: string, by: string, action: string, detail: string) {
  await core.update(id, (draft) => {
    draft.state = 'provisioning';
    // The pipeline waits while startAt is ahead; from now on it is the moment it went out.
    draft.startAt = core.nowIso();
    draft.audit.push({ at: core.nowIso(), by, action, detail });
  });
}

/**
 * Cancel: the SIP user created to reserve the login is removed (nothing is
 * left behind upstream), and the record ends `revoked` (audit: cancelled). If
 * Opentact cannot remove it, nothing changes and the person is told.
 */
export function cancel(core: Core, id: string, by: string): Promise<ActionOutcome> {
  return core.perform(id, async (record) => {
    if (record.state !== 'scheduled') return notScheduled(record);
    assertAllowed(record, 'cancel');
    let detail = 'nothing had been created upstream';
    if (record.sipUser && !record.sipUser.removed) {
      try {
        await core.providers.opentact.removeSipUser(record.sipUser.uuid);
        detail = 'SIP user removed';
      } catch (error) {
        if (!(error instanceof UpstreamError && error.status === 404)) {
          throw new ActionRefused(
            `Could not remove the SIP user: ${describeError(error)}. Nothing was changed; try again in a moment.`,
          );
        }
        detail = 'SIP user was already gone';
      }
    }
    const updated = await core.update(id, (draft) => {
      draft.state = 'revoked';
      draft.revokedAt = core.nowIso();
      if (draft.sipUser) draft.sipUser.removed = true;
      draft.audit.push({
        at: core.nowIso(),
        by,
        action: 'cancelled',
        detail: `${detail}; was scheduled for ${draft.startAt}`,
      });
    });
    return { record: core.changed(updated), summary: `Cancelled: ${detail}; nothing was sent.` };
  });
}

function notScheduled(record: OnboardingRecord): ActionOutcome {
  const what =
    record.state === 'revoked'
      ? 'it was cancelled or revoked'
      : `it is ${record.state === 'pending' ? 'already invited' : record.state}`;
  return { record, summary: `It is not scheduled any more: ${what}.`, noop: true };
}

function outcomeSummary(record: OnboardingRecord): string {
  if (record.state === 'failed') {
    const step = record.failedStep ? record.steps[record.failedStep] : undefined;
    return `It failed: ${step?.reason ?? 'unknown reason'}`;
  }
  const sent = CHANNELS.filter((c) => record.deliveries[c].status === 'sent');
  return sent.length > 0
    ? `Invited: sent by ${sent.map((c) => CHANNEL_LABEL[c]).join(' and ')}.`
    : 'Invited; no invitation was confirmed sent (see the status).';
}
