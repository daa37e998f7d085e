import { errorFields } from '../log.ts';
import type { Core } from './core.ts';
import { classify, describeError } from './errors.ts';
import { CHANNEL_LABEL, CHANNELS, type Channel, type OnboardingRecord } from './model.ts';

const HOUR_MS = 3_600_000;

type Result = NonNullable<OnboardingRecord['reminder']>['results'][number];

/**
 * The one automatic reminder, `hours` before a pending invite expires, through
 * the channels whose invitation was confirmed sent. At most once: the reminder
 * is recorded on the record under its lease before anything is sent, so a
 * crash, a restart or another replica finds it and never sends it again (an
 * attempt cut short stays "not confirmed", like a lost Resend).
 */
export async function sendReminders(core: Core, hours: number): Promise<number> {
  if (hours <= 0) return 0;
  const due = (await core.store.listOpen()).filter((r) => reminderDue(r, core.clock(), hours));
  if (due.length === 0) return 0;
  // Never remind someone who already used the invite: reconciliation runs hourly, so ask now.
  let live: Set<string>;
  try {
    live = new Set((await core.providers.opentact.listInvites()).map((i) => i.uuid));
  } catch (error) {
    core.log.warn('reminders postponed: Opentact could not be asked', errorFields(error));
    return 0;
  }
  let count = 0;
  for (const { id } of due) {
    if (!core.isAccepting) break;
    count += await remindOne(core, id, hours, live).catch((error) => {
      // Another replica holds the record (it is reminding it now), or the store failed.
      core.log.warn('a reminder could not be handled now', {
        onboarding: id,
        ...errorFields(error),
      });
      return 0;
    });
  }
  return count;
}

/** One record's reminder, under its lock and lease; 1 when something went out. */
function remindOne(core: Core, id: string, hours: number, live: Set<string>): Promise<number> {
  return core.perform(id, async (record) => {
    const now = core.clock();
    if (!reminderDue(record, now, hours) || !live.has(record.invite!.uuid)) return 0;
    const channels = reminderChannels(record, core);
    if (channels.length === 0) return 0; // the channel used is not configured any more
    const at = now.toISOString();
    // The claim, durable before the first send.
    await core.update(id, (draft) => {
      draft.reminder = { status: 'sending', at, channels, results: [] };
    });
    const results = await Promise.all(channels.map((c) => remind(core, record, c)));
    const sent = results.filter((r) => r.outcome === 'sent');
    const status = sent.length === results.length ? 'sent' : sent.length > 0 ? 'partial' : 'failed';
    const updated = await core.update(id, (draft) => {
      draft.reminder = { status, at, channels, results };
      draft.audit.push({
        at: core.nowIso(),
        by: 'system',
        action: status === 'failed' ? 'reminder_failed' : 'reminded',
        detail: results.map(describeResult).join('; '),
      });
    });
    core.changed(updated);
    return status === 'failed' ? 0 : 1;
  });
}

/** Whether the reminder of `record` is due at `now` (pending, invite alive, long-lived enough, not yet sent). */
export function reminderDue(record: OnboardingRecord, now: Date, hours: number): boolean {
  if (record.state !== 'pending' || !record.invite || record.invite.goneAt) return false;
  if (record.reminder) return false;
  if (!record.channels.some((c) => record.deliveries[c].status === 'sent')) return false;
  const expires = Date.parse(record.invite.expiresAt);
  const remindAt = expires - hours * HOUR_MS;
  return (
    lifetimeMs(record) > hours * HOUR_MS && now.getTime() >= remindAt && now.getTime() < expires
  );
}

/** When the reminder is due, or undefined when the invite gets none (too short-lived, no channel). */
export function reminderTime(record: OnboardingRecord, hours: number): Date | undefined {
  if (hours <= 0 || !record.invite || lifetimeMs(record) <= hours * HOUR_MS) return undefined;
  return new Date(Date.parse(record.invite.expiresAt) - hours * HOUR_MS);
}

/** From the invite's creation (its lifetime counts from then) to its expiry. */
function lifetimeMs(record: OnboardingRecord): number {
  const created = record.steps.invite.finishedAt ?? record.createdAt;
  return Date.parse(record.invite!.expiresAt) - Date.parse(created);
}

function reminderChannels(record: OnboardingRecord, core: Core): Channel[] {
  return CHANNELS.filter(
    (c) =>
      record.channels.includes(c) &&
      record.deliveries[c].status === 'sent' &&
      (c === 'sms' ? core.providers.usermgmt : core.providers.slyk),
  );
}

async function remind(core: Core, record: OnboardingRecord, channel: Channel): Promise<Result> {
  try {
    if (channel === 'sms') await core.providers.usermgmt!.sendSmsInvite(record.sipUser!.uuid);
    else await core.providers.slyk!.sendInvites({ email: record.person.email });
    return { channel, outcome: 'sent' };
  } catch (error) {
    core.log.warn(`${CHANNEL_LABEL[channel]} reminder not sent`, {
      onboarding: record.id,
      ...errorFields(error),
    });
    const outcome = classify(error) === 'unknown' ? 'unknown' : 'failed';
    return { channel, outcome, reason: describeError(error) };
  }
}

export function describeResult(result: Result): string {
  const label = CHANNEL_LABEL[result.channel];
  if (result.outcome === 'sent') return `${label} sent`;
  const reason = result.reason ? ` (${result.reason})` : '';
  return result.outcome === 'unknown'
    ? `${label} not confirmed${reason}`
    : `${label} failed${reason}`;
}
