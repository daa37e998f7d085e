import { afterEach, describe, expect, test } from 'vitest';
import { ActionRefused } from '../../src/onboarding/errors.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { type Domain, request, startDomain } from './setup.ts';

/** The approval actions in the domain: who may decide, what a restart resumes, what expires. */

let d: Domain;
afterEach(async () => {
  await d?.close();
});

const later = (days: number) => new Date(Date.now() + days * 86_400_000);

describe('approve and reject', () => {
  test('a request is not resumed; once approved it is, and runs exactly once after a restart', async () => {
    d = await startDomain();
    const ask = request({ requestedBy: SANDBOX.member });
    const { record } = await d.service.request(ask, later(7));
    expect(record.state).toBe('requested');
    expect(await d.service.resumeUnfinished()).toEqual([]);
    expect(d.counts(ask.person)).toEqual({ sipUsers: 0, invites: 0, sms: 0, emails: 0 });

    // The requester may not approve their own request, whatever the Slack side let through.
    await expect(d.service.approve(record.id, SANDBOX.member)).rejects.toThrow(ActionRefused);
    const approved = await d.service.approve(record.id, SANDBOX.admin);
    expect(approved.state).toBe('provisioning');
    // The bot stops before running it: the restart picks it up like any unfinished onboarding.
    await d.restart();
    const [resumed] = await d.service.resumeUnfinished();
    expect(resumed?.state).toBe('pending');
    expect(d.counts(ask.person)).toEqual({ sipUsers: 1, invites: 1, sms: 1, emails: 1 });
    await expect(d.service.approve(record.id, SANDBOX.owner)).rejects.toThrow('already approved');
    await expect(d.service.reject(record.id, SANDBOX.owner)).rejects.toThrow('already approved');
  });

  test('a decided request never expires; an undecided one does, once', async () => {
    d = await startDomain();
    const soon = new Date(Date.now() - 1_000);
    const rejected = (await d.service.request(request({ requestedBy: SANDBOX.member }), soon))
      .record;
    await d.service.reject(rejected.id, SANDBOX.admin, '  ');
    const waiting = (await d.service.request(request({ requestedBy: SANDBOX.member }), soon))
      .record;
    const notYet = (await d.service.request(request({ requestedBy: SANDBOX.member }), later(1)))
      .record;
    const expired = await d.service.expireRequests();
    expect(expired.map((r) => r.id)).toEqual([waiting.id]);
    expect(await d.service.expireRequests()).toEqual([]);
    expect((await d.service.get(rejected.id))?.approval?.reason).toBeUndefined(); // blank → none
    expect((await d.service.get(rejected.id))?.state).toBe('rejected');
    expect((await d.service.get(notYet.id))?.state).toBe('requested');
    await expect(d.service.retry(waiting.id, SANDBOX.admin)).rejects.toThrow('Nothing was created');
  });
});
