import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import type { Fault, SimServer } from '../../src/sandbox/http.ts';
import { type Domain, request, startDomain } from './setup.ts';

/**
 * Every upstream call of an onboarding, under every kind of fault: each ends
 * recorded (with a reason the requester is shown), and Retry — where the
 * policy offers it — completes with nothing doubled.
 */

let d: Domain;
beforeAll(async () => {
  d = await startDomain();
});
afterAll(() => d.close());

type Call = {
  name: string;
  sim: () => SimServer;
  method: string;
  route: string;
  step: 'sip_user' | 'invite' | 'sms' | 'email';
};
const CALLS: Call[] = [
  {
    name: 'CreateSIPUser',
    sim: () => d.world.opentact.server,
    method: 'POST',
    route: '/sip/connection/user',
    step: 'sip_user',
  },
  {
    name: 'CreateSIPUserInvite',
    sim: () => d.world.opentact.server,
    method: 'POST',
    route: '/sip/connection/:sip_connection_uuid/invites',
    step: 'invite',
  },
  {
    name: 'SendSmsInvite',
    sim: () => d.world.usermgmt,
    method: 'POST',
    route: '/UserMgmt/SendSmsInvite',
    step: 'sms',
  },
  {
    name: 'Slyk POST /invites',
    sim: () => d.world.slyk,
    method: 'POST',
    route: '/invites',
    step: 'email',
  },
  {
    name: 'Slyk POST /invites/send',
    sim: () => d.world.slyk,
    method: 'POST',
    route: '/invites/send',
    step: 'email',
  },
];

/** The request took effect; only its answer was damaged. */
const LANDED = new Set(['truncated 2xx', 'late answer']);
const FAULTS: { name: string; fault: Omit<Fault, 'method' | 'route'> }[] = [
  { name: 'truncated 2xx', fault: { after: 'truncate' } },
  { name: 'late answer', fault: { after: 'late', delayMs: 700 } },
  { name: '500', fault: { status: 500 } },
  { name: '503 once', fault: { status: 503, times: 1 } },
  { name: '429 with Retry-After', fault: { status: 429, retryAfter: 1 } },
  { name: '401', fault: { status: 401 } },
];

const cells = CALLS.flatMap((call) =>
  FAULTS.map((f) => ({ ...f, call, label: `${call.name} · ${f.name}` })),
);

describe('fault matrix', () => {
  test.each(cells)('$label', async ({ call, fault, name }) => {
    const req = request();
    call.sim().addFault({ method: call.method, route: call.route, ...fault });
    const { record } = await d.service.submit(req);
    let after = await d.service.run(record.id);
    call.sim().clearFaults();
    expect(after.state, 'never left half-done').not.toBe('provisioning');
    const step = after.steps[call.step];
    if (name === '429 with Retry-After') {
      expect(step.status).toBe('done'); // repeated after the wait: nothing was processed the first time
    } else if (call.step === 'sip_user' || call.step === 'invite') {
      // Looked up after a lost answer: adopted; a definite failure fails the record.
      expect(step.status).toBe(LANDED.has(name) ? 'done' : 'failed');
    } else if (LANDED.has(name) && call.route !== '/invites') {
      expect(step.status, 'a delivery that may have gone out is not confirmed').toBe('unknown');
      expect(after.deliveries[call.step].status).toBe('unknown');
    } else {
      expect(step.status).toBe(LANDED.has(name) ? 'done' : 'failed');
    }
    if (step.status !== 'done') expect(step.reason, 'the requester is told why').toBeTruthy();

    if (after.state === 'failed' || hasFailedDelivery(after)) {
      after = await d.service.retry(after.id, 'U0ADMIN01');
    } else {
      await expect(d.service.retry(after.id, 'U0ADMIN01')).rejects.toThrow(/Nothing to retry/);
    }
    expect(after.state).toBe('pending');
    const counts = d.counts(req.person);
    expect(counts, 'nothing doubled').toEqual({ sipUsers: 1, invites: 1, sms: 1, emails: 1 });
  });
});

const hasFailedDelivery = (r: OnboardingRecord) =>
  r.deliveries.sms.status === 'failed' || r.deliveries.email.status === 'failed';
