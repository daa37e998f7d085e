import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSteps, type OnboardingRecord, type OnboardingState } from '../src/onboarding/model.ts';
import { modalValues, type SlackDriver, waitFor as until } from '../src/sandbox/driver.ts';
import { type SandboxSession, startSandboxSession } from '../src/sandbox/session.ts';
import { SANDBOX, type World } from '../src/sandbox/world.ts';

/** One line of the summary table. */
export type Row = {
  bench: string;
  metric: string;
  value: string;
  /** The bare Bolt app's figure from the same run, where the target compares with it. */
  bare?: string | undefined;
  target: string;
  /** undefined: informational, no target. */
  ok?: boolean | undefined;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;

export function tempDataFile(name = 'db.json'): string {
  return join(mkdtempSync(join(tmpdir(), 'onboard-bench-')), name);
}

export { modalValues, waitFor as until } from '../src/sandbox/driver.ts';

export type Rig = SandboxSession;

/** The real bot (HTTP mode) against a fresh world of simulators (the same session as the tests). */
export const startRig = (world?: World): Promise<Rig> =>
  startSandboxSession(world ? { world } : {});

let personSeq = 0;
/** Distinct valid modal values: login 7–15 characters, unique e-mail. */
export function uniqueValues() {
  personSeq += 1;
  const n = String(personSeq).padStart(6, '0');
  return modalValues({
    first: 'Bench',
    last: `Person${n}`,
    login: `bench${n}`,
    email: `bench${n}@example.com`,
  });
}

/**
 * Opens `count` onboarding modals as the admin (slash commands to the real
 * bot) and returns their view ids. Untimed set-up.
 */
export async function openModals(
  driver: SlackDriver,
  world: World,
  count: number,
): Promise<string[]> {
  const slack = world.slack;
  const before = new Set(slack.views.map((v) => v.id));
  const responses = await Promise.all(
    Array.from({ length: count }, () => driver.command(SANDBOX.admin, '')),
  );
  const bad = responses.find((r) => r.status !== 200);
  if (bad) throw new Error(`/onboard answered ${bad.status}: ${bad.text}`);
  return until(() => {
    const fresh = slack.views.filter((v) => v.type === 'modal' && !v.closed && !before.has(v.id));
    return fresh.length >= count ? fresh.slice(0, count).map((v) => v.id) : undefined;
  }, 15_000);
}

let recordSeq = 0;
const BASE = Date.parse('2026-11-24T09:00:00Z');
const STATE_MIX: OnboardingState[] = [
  'pending',
  'pending',
  'pending',
  'accepted',
  'accepted',
  'accepted',
  'expired',
  'revoked',
  'failed',
  'pending',
];

/**
 * A plausible stored record (the shape of makeRecord in test/helpers/records.ts),
 * spread over states, ages and expiry dates around `now`.
 */
export function makeRecord(now = BASE): OnboardingRecord {
  recordSeq += 1;
  const i = recordSeq;
  const state = STATE_MIX[i % STATE_MIX.length]!;
  const created = new Date(now - (i % 30) * 86_400_000 - (i % 1440) * 60_000);
  const createdIso = created.toISOString();
  const expires = new Date(created.getTime() + 7 * 86_400_000).toISOString();
  const login = `user${String(i).padStart(6, '0')}`;
  const smsFailed = state === 'failed' || i % 37 === 0;
  const record: OnboardingRecord = {
    id: randomUUID(),
    submissionKey: `V${String(i).padStart(10, '0')}`,
    createdAt: createdIso,
    updatedAt: createdIso,
    requestedBy: 'U0ADMIN01',
    person: {
      firstName: 'Ada',
      lastName: `Lovelace${i}`,
      email: `${login}@example.com`,
      phone: '+4915112345678',
      login,
    },
    lifetimeDays: 7,
    channels: ['sms', 'email'],
    state,
    steps: newSteps(),
    sipUser: { uuid: randomUUID(), login, active: state !== 'revoked', removed: false },
    invite: { uuid: randomUUID(), expiresAt: expires },
    slykCode: `code-${i}`,
    deliveries: {
      sms: smsFailed
        ? {
            status: 'failed',
            reason: 'UserMgmt answered 502',
            attempts: [
              { at: createdIso, ok: false, by: 'system', reason: 'UserMgmt answered 502' },
            ],
          }
        : {
            status: 'sent',
            sentAt: createdIso,
            attempts: [{ at: createdIso, ok: true, by: 'system' }],
          },
      email: {
        status: 'sent',
        sentAt: createdIso,
        attempts: [{ at: createdIso, ok: true, by: 'system' }],
      },
    },
    slack: {
      viewId: `V${i}`,
      channel: 'D0ADMIN01',
      ts: `${Math.floor(created.getTime() / 1000)}.000100`,
    },
    audit: [
      { at: createdIso, by: 'U0ADMIN01', action: 'requested', detail: 'channels: SMS, E-mail' },
      { at: createdIso, by: 'system', action: 'sip_user_created', detail: login },
      { at: createdIso, by: 'system', action: 'invited', detail: 'sent by SMS and E-mail' },
    ],
  };
  for (const step of ['sip_user', 'invite', 'sms', 'email'] as const) {
    record.steps[step] = {
      status: 'done',
      startedAt: createdIso,
      finishedAt: createdIso,
      attempts: 1,
    };
  }
  if (state === 'failed') {
    record.failedStep = 'sms';
    record.steps.sms = { status: 'failed', reason: 'UserMgmt answered 502', attempts: 1 };
  }
  if (state === 'expired') record.expiredAt = new Date(now - (i % 48) * 3_600_000).toISOString();
  if (state === 'accepted') record.acceptedAt = createdIso;
  if (state === 'revoked') record.revokedAt = createdIso;
  if (i % 101 === 0) record.drift = 'SIP user missing upstream';
  return record;
}

export function makeRecords(count: number, now = BASE): OnboardingRecord[] {
  return Array.from({ length: count }, () => makeRecord(now));
}
