import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSteps, type OnboardingRecord } from '../../src/onboarding/model.ts';

/** A temp directory for a data file. */
export function tempDataFile(name = 'db.json'): string {
  return join(mkdtempSync(join(tmpdir(), 'onboard-')), name);
}

let counter = 0;

/** A plausible record in the `pending` state; override anything. */
export function makeRecord(overrides: Partial<OnboardingRecord> = {}): OnboardingRecord {
  counter += 1;
  const now = new Date('2026-11-24T09:00:00Z');
  const login = `user${String(counter).padStart(4, '0')}`;
  const base: OnboardingRecord = {
    id: randomUUID(),
    submissionKey: `V${counter}`,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    requestedBy: 'U0ADMIN01',
    person: {
      firstName: 'Ada',
      lastName: `Lovelace${counter}`,
      email: `${login}@example.com`,
      phone: '+4915112345678',
      login,
    },
    lifetimeDays: 7,
    channels: ['sms', 'email'],
    state: 'pending',
    steps: newSteps(),
    sipUser: { uuid: randomUUID(), login, active: true, removed: false },
    invite: {
      uuid: randomUUID(),
      expiresAt: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
    },
    deliveries: {
      sms: { status: 'sent', attempts: [] },
      email: { status: 'sent', attempts: [] },
    },
    slack: {},
    audit: [{ at: now.toISOString(), by: 'U0ADMIN01', action: 'requested' }],
  };
  return { ...base, ...overrides };
}
