import {
  CHANNEL_LABEL,
  CHANNELS,
  type Channel,
  type OnboardingRecord,
  type StepName,
} from './model.ts';
import type { StepDef } from './steps/step.ts';

/**
 * What the step engine (pipeline.ts) writes into a record: plain changes to a
 * draft, applied inside one store update each, so that several can share a
 * write (a step's outcome with the next step's intent, the last delivery with
 * the record's state).
 */

export const isChannel = (name: StepName): name is Channel =>
  (CHANNELS as readonly string[]).includes(name);

const SETTLED = new Set(['done', 'failed', 'unknown', 'skipped']);

/** A step's intent: running, one more attempt; `stage` when a look-up must come first. */
export function markRunning(
  draft: OnboardingRecord,
  def: StepDef<unknown>,
  mayHaveLanded: boolean,
  now: string,
): void {
  const s = draft.steps[def.name];
  s.status = 'running';
  s.startedAt = now;
  s.attempts += 1;
  // An attempt that only looks up must itself count as "may have landed" if it is cut short.
  if (mayHaveLanded && def.effectStage) s.stage = def.effectStage;
  else delete s.stage;
  delete s.reason;
  delete s.fields;
}

/** A step's end, and for a channel step its delivery (with the attempt, unless skipped). */
export function finish(
  draft: OnboardingRecord,
  name: StepName,
  status: 'done' | 'failed' | 'unknown' | 'skipped',
  by: string,
  now: string,
  reason?: string,
): void {
  const step = draft.steps[name];
  step.status = status;
  step.finishedAt = now;
  delete step.stage;
  if (reason) step.reason = reason;
  else {
    delete step.reason;
    delete step.fields;
  }
  if (!isChannel(name)) return;
  const delivery = draft.deliveries[name];
  delivery.status = status === 'done' ? 'sent' : status;
  if (reason) delivery.reason = reason;
  else delete delivery.reason;
  if (status === 'done') delivery.sentAt = now;
  if (status !== 'skipped') {
    delivery.attempts.push({
      at: now,
      ok: status === 'done',
      by,
      ...(reason ? { reason } : {}),
      ...(status === 'unknown' ? { unknown: true } : {}),
    });
  }
}

/** Whether every delivery step has ended (done, failed, not confirmed or skipped). */
export function deliveriesSettled(draft: OnboardingRecord): boolean {
  return CHANNELS.every((c) => SETTLED.has(draft.steps[c].status));
}

/**
 * The state after the deliveries: failed only when every delivery tried
 * failed for certain; a delivery that may have gone out keeps it pending.
 */
export function settleState(draft: OnboardingRecord, now: string): void {
  const tried = CHANNELS.filter((c) => draft.deliveries[c].status !== 'skipped');
  const sent = tried.filter((c) => draft.deliveries[c].status === 'sent');
  const unknown = tried.filter((c) => draft.deliveries[c].status === 'unknown');
  const failed = tried.filter((c) => draft.deliveries[c].status === 'failed');
  if (tried.length > 0 && failed.length === tried.length) {
    draft.state = 'failed';
    draft.failedStep = failed[0]!;
    audit(draft, 'system', 'failed', now, 'no invitation could be delivered');
    return;
  }
  draft.state = 'pending';
  delete draft.failedStep;
  const parts = [
    sent.length > 0 ? `sent by ${sent.map((c) => CHANNEL_LABEL[c]).join(' and ')}` : '',
    ...unknown.map((c) => `${CHANNEL_LABEL[c]} not confirmed`),
    ...failed.map((c) => `${CHANNEL_LABEL[c]} failed`),
  ].filter(Boolean);
  audit(draft, 'system', 'invited', now, parts.join('; ') || 'no channel used');
}

export function audit(
  draft: OnboardingRecord,
  by: string,
  action: string,
  now: string,
  detail?: string,
): void {
  draft.audit.push({ at: now, by, action, ...(detail ? { detail } : {}) });
}
