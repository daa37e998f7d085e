import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { systemClock } from '../../src/onboarding/clock.ts';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { allowedActions } from '../../src/onboarding/policy.ts';
import { OnboardingService } from '../../src/onboarding/service.ts';
import { createOpentactClient } from '../../src/providers/opentact.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { makeRecord } from '../helpers/records.ts';
import { type Domain, FAST_HTTP, request, startDomain } from './setup.ts';

let d: Domain | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

async function accepted(domain: Domain): Promise<OnboardingRecord> {
  const { record } = await domain.service.submit(request());
  const pending = await domain.service.run(record.id);
  expect(pending.state).toBe('pending');
  domain.world.opentact.acceptInvite(pending.invite!.uuid);
  await domain.service.reconcile();
  const after = (await domain.service.get(record.id))!;
  expect(after.state).toBe('accepted');
  return after;
}

const at = '2026-12-01T10:00:00.000Z';
const part = (status: 'todo' | 'done' | 'failed') => ({ status, attempts: 1 });

describe('offboarding policy', () => {
  test('which buttons each state shows', () => {
    expect(allowedActions(makeRecord({ state: 'accepted' }))).toEqual(['offboard']);
    expect(allowedActions(makeRecord({ state: 'pending' }))).not.toContain('offboard');
    const offboarded = (
      parts: ('todo' | 'done' | 'failed')[],
      sipUser: OnboardingRecord['sipUser'],
    ) =>
      makeRecord({
        state: 'offboarded',
        sipUser,
        offboarding: {
          mode: 'deactivate',
          by: SANDBOX.admin,
          at,
          parts: { sip_user: part(parts[0]!), invites: part(parts[1]!), email: part(parts[2]!) },
        },
      });
    const inactive = { uuid: 'u', login: 'x', active: false, removed: false };
    expect(allowedActions(offboarded(['done', 'done', 'done'], inactive))).toEqual(['reactivate']);
    expect(allowedActions(offboarded(['done', 'failed', 'done'], inactive))).toEqual([
      'retryOffboard',
      'reactivate',
    ]);
    // The SIP user still active (its part failed): only the retry.
    expect(
      allowedActions(offboarded(['failed', 'done', 'done'], { ...inactive, active: true })),
    ).toEqual(['retryOffboard']);
    expect(
      allowedActions(offboarded(['done', 'done', 'done'], { ...inactive, removed: true })),
    ).toEqual([]);
  });
});

describe('offboard action', () => {
  test('a removal whose answer is lost is recorded failed; the retry finds it gone and finishes', async () => {
    d = await startDomain();
    const record = await accepted(d);
    // The DELETE lands, but the answer comes after the client gave up (twice, with the retry).
    d.world.opentact.server.addFault({
      method: 'DELETE',
      route: '/sip/connection/user/:uuid',
      after: 'late',
      delayMs: 600,
      times: 2,
    });
    const first = await d.service.offboard(record.id, SANDBOX.admin, 'remove');
    expect(first.partial).toBe(true);
    expect(first.record.offboarding!.parts.sip_user.status).toBe('failed');
    expect(first.record.offboarding!.parts.sip_user.detail).toContain('did not answer in time');
    expect(first.record.sipUser!.removed).toBe(false);
    expect(d.world.opentact.state.users.has(record.sipUser!.uuid)).toBe(false);

    const second = await d.service.retryOffboard(record.id, SANDBOX.admin);
    expect(second.partial).toBeUndefined();
    expect(second.record.offboarding!.parts.sip_user).toMatchObject({
      status: 'done',
      detail: 'was already gone',
      attempts: 2,
    });
    expect(second.record.sipUser!.removed).toBe(true);
    expect(second.record.offboarding!.finishedAt).toBeDefined();
    await expect(d.service.retryOffboard(record.id, SANDBOX.admin)).rejects.toThrow(
      'Nothing to retry',
    );
  });

  test('a SIP user deleted upstream meanwhile: offboarded, and not reactivatable', async () => {
    d = await startDomain();
    const record = await accepted(d);
    d.world.opentact.state.users.delete(record.sipUser!.uuid);
    const outcome = await d.service.offboard(record.id, SANDBOX.admin, 'deactivate');
    expect(outcome.record.offboarding!.parts.sip_user.detail).toBe('no longer exists at Opentact');
    expect(outcome.record.sipUser!.removed).toBe(true);
    await expect(d.service.reactivate(record.id, SANDBOX.admin)).rejects.toThrow(
      'cannot be reactivated',
    );
  });

  test('without the SIP domain, deactivating is refused before anything changes', async () => {
    d = await startDomain();
    const record = await accepted(d);
    const service = new OnboardingService({
      store: d.store,
      providers: {
        ...d.providers,
        opentact: createOpentactClient({
          baseUrl: d.world.opentact.server.url,
          token: SANDBOX.opentactToken,
          sipConnectionUuid: SANDBOX.connection,
          http: FAST_HTTP,
        }),
      },
      clock: systemClock,
      logger: createLogger('error'),
    });
    await expect(service.offboard(record.id, SANDBOX.admin, 'deactivate')).rejects.toThrow(
      'OPENTACT_SIP_DOMAIN',
    );
    expect((await service.get(record.id))!.state).toBe('accepted');
    const removed = await service.offboard(record.id, SANDBOX.admin, 'remove');
    expect(removed.record.state).toBe('offboarded');
  });
});
