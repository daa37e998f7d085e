import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { OnboardingRecord, StepName } from '../../src/onboarding/model.ts';
import { type Domain, request, startDomain } from './setup.ts';

/**
 * The step engine without Slack: what a resume does with each step an
 * interruption can leave behind, per-channel Retry and Resend, and the lock
 * that keeps the jobs from overwriting an action.
 */

let d: Domain;
beforeEach(async () => {
  d = await startDomain();
});
afterEach(() => d.close());

/** Leaves `step` as a kill would: `running` (optionally at a stage), the record provisioning. */
async function interruptAt(record: OnboardingRecord, step: StepName, stage?: string) {
  await d.store.update(
    record.id,
    (draft) => {
      draft.state = 'provisioning';
      draft.steps[step] = { status: 'running', attempts: 1, ...(stage ? { stage } : {}) };
      if (step === 'sms' || step === 'email')
        draft.deliveries[step] = { status: 'pending', attempts: [] };
    },
    new Date(),
  );
}

describe('resume after an interruption', () => {
  test('an SMS left running is never sent again: it becomes "not confirmed"', async () => {
    const req = request();
    const { record } = await d.service.submit(req);
    const done = await d.service.run(record.id);
    await interruptAt(done, 'sms');
    await d.restart();
    const [resumed] = await d.service.resumeUnfinished();
    expect(resumed!.deliveries.sms.status).toBe('unknown');
    expect(resumed!.state).toBe('pending');
    expect(d.counts(req.person).sms).toBe(1);
    await expect(d.service.retry(record.id, 'U1')).rejects.toThrow(/Nothing to retry/);
  });

  test('an e-mail interrupted before sending is sent; one interrupted while sending is not', async () => {
    const before = request({ channels: ['email'] });
    const a = (await d.service.submit(before)).record;
    await d.store.update(
      a.id,
      (x) => {
        x.steps.sip_user.status = 'running';
      },
      new Date(),
    );
    // Nothing ran yet: the SIP user is looked up (absent), created, and the rest follows.
    await d.restart();
    await d.service.resumeUnfinished();
    expect(d.counts(before.person)).toMatchObject({ sipUsers: 1, invites: 1, emails: 1 });

    const ran = await d.service.get(a.id);
    await interruptAt(ran!, 'email'); // no stage: the send was never issued
    await d.restart();
    const [again] = await d.service.resumeUnfinished();
    expect(again!.deliveries.email.status).toBe('sent');
    expect(d.counts(before.person).emails).toBe(2); // the interrupted attempt had sent nothing

    await interruptAt(again!, 'email', 'sending');
    await d.restart();
    const [unknown] = await d.service.resumeUnfinished();
    expect(unknown!.deliveries.email.status).toBe('unknown');
    expect(d.counts(before.person).emails).toBe(2);
  });

  test('a SIP user and invite that landed before the kill are adopted, not created again', async () => {
    const req = request();
    const { record } = await d.service.submit(req);
    const done = await d.service.run(record.id);
    await d.store.update(
      done.id,
      (x) => {
        x.state = 'provisioning';
        x.steps.sip_user.status = 'running';
        x.steps.invite.status = 'todo';
        delete x.sipUser;
        delete x.invite;
      },
      new Date(),
    );
    await d.restart();
    const [resumed] = await d.service.resumeUnfinished();
    expect(resumed!.sipUser?.uuid).toBe(done.sipUser!.uuid);
    expect(resumed!.audit.some((a) => a.detail?.includes('found after a restart'))).toBe(true);
    // The invite step was todo: it is created; the name look-up on a lost answer keeps it single.
    expect(d.counts(req.person).sipUsers).toBe(1);
  });

  test('a 409 for a login that is ours (same e-mail) is adopted; someone else’s is a failure', async () => {
    const ours = request();
    d.world.opentact.seedUser({
      login: ours.person.login,
      email: ours.person.email,
      connectionUuid: d.providers.opentact.sipConnectionUuid,
    });
    const adopted = await d.service.run((await d.service.submit(ours)).record.id);
    expect(adopted.steps.sip_user.status).toBe('done');
    expect(adopted.audit.some((a) => a.detail?.includes('it existed already'))).toBe(true);

    const theirs = request();
    d.world.opentact.seedUser({
      login: theirs.person.login,
      email: 'someone.else@example.com',
      connectionUuid: d.providers.opentact.sipConnectionUuid,
    });
    const failed = await d.service.run((await d.service.submit(theirs)).record.id);
    expect(failed.state).toBe('failed');
    expect(failed.steps.sip_user.fields).toBeDefined();
  });
});

describe('one write between steps', () => {
  test("a step's outcome and the next step's intent are one write; a kill right after it repeats nothing", async () => {
    const req = request();
    const { record } = await d.service.submit(req);
    // What each write of the run left in the store.
    const writes: OnboardingRecord[] = [];
    const update = d.store.update.bind(d.store);
    d.store.update = async (...args) => {
      const written = await update(...args);
      writes.push(structuredClone(written));
      return written;
    };
    await d.service.run(record.id);
    const status = (w: OnboardingRecord) =>
      Object.fromEntries(Object.entries(w.steps).map(([name, step]) => [name, step.status]));
    const sipDone = writes.find((w) => w.steps.sip_user.status === 'done')!;
    expect(status(sipDone)).toEqual({
      sip_user: 'done',
      invite: 'running',
      sms: 'todo',
      email: 'todo',
    });
    const inviteDone = writes.find((w) => w.steps.invite.status === 'done')!;
    // The e-mail has an effect stage, so its mark is harmless; an SMS marks itself just before it is sent.
    expect(status(inviteDone)).toMatchObject({ invite: 'done', sms: 'todo', email: 'running' });
    // SIP user running; its outcome with the invite's intent; the invite's outcome with the
    // e-mail's; the SMS running; the e-mail's code with "sending"; the SMS outcome; the e-mail
    // outcome (the later of the two) with the record's state (11 writes before these merges).
    expect(writes).toHaveLength(7);
    expect(writes.at(-1)!.state).toBe('pending');
    expect(writes.at(-2)!.state).toBe('provisioning');

    // Killed right after that write, before the invite's call: the restart looks the invite up
    // (absent), creates it once, and goes on.
    const other = request();
    const second = (await d.service.submit(other)).record;
    let frozen: () => void = () => {};
    const killed = new Promise<void>((resolve) => {
      frozen = resolve;
    });
    d.store.update = async (...args) => {
      const written = await update(...args);
      if (written.steps.sip_user.status !== 'done') return written;
      frozen();
      return new Promise<never>(() => {}); // the process is gone: nothing after this write runs
    };
    void d.service.run(second.id);
    await killed;
    expect(status((await d.store.get(second.id))!)).toEqual({
      sip_user: 'done',
      invite: 'running',
      sms: 'todo',
      email: 'todo',
    });
    expect(d.counts(other.person)).toEqual({ sipUsers: 1, invites: 0, sms: 0, emails: 0 });
    await d.restart();
    const [resumed] = await d.service.resumeUnfinished();
    expect(resumed!.state).toBe('pending');
    expect(d.counts(other.person)).toEqual({ sipUsers: 1, invites: 1, sms: 1, emails: 1 });
  });
});

describe('per-channel Retry and Resend', () => {
  test('SMS failed, e-mail sent: Retry sends only the SMS; Resend offers the unconfirmed by default', async () => {
    const req = request();
    d.world.usermgmt.addFault({ method: 'POST', route: '/UserMgmt/SendSmsInvite', status: 500 });
    const first = await d.service.run((await d.service.submit(req)).record.id);
    expect(first.state).toBe('pending');
    expect(first.deliveries).toMatchObject({
      sms: { status: 'failed' },
      email: { status: 'sent' },
    });
    const retried = await d.service.retry(first.id, 'U1');
    expect(retried.deliveries.sms.status).toBe('sent');
    expect(d.counts(req.person)).toMatchObject({ sms: 1, emails: 1 });

    // Everything confirmed: Resend sends all requested channels; a pick sends only that one.
    await d.service.resend(first.id, 'U1', ['email']);
    expect(d.counts(req.person)).toMatchObject({ sms: 1, emails: 2 });
  });

  test('Resend of a not-confirmed SMS sends only the SMS (the admin chose it)', async () => {
    const req = request();
    d.world.usermgmt.addFault({
      method: 'POST',
      route: '/UserMgmt/SendSmsInvite',
      after: 'truncate',
    });
    const first = await d.service.run((await d.service.submit(req)).record.id);
    expect(first.deliveries.sms.status).toBe('unknown');
    const outcome = await d.service.resend(first.id, 'U1');
    expect(outcome.summary).toMatch(/SMS sent/);
    expect(d.counts(req.person)).toMatchObject({ sms: 2, emails: 1 });
  });
});

describe('one lock for actions and jobs', () => {
  test('reconciliation waits for a revoke in flight and does not overwrite it with accepted', async () => {
    const req = request();
    const record = await d.service.run((await d.service.submit(req)).record.id);
    // Slyk reports the invite accepted while an admin revokes (slowly).
    d.world.slyk.accept(record.slykCode!);
    d.world.opentact.server.addFault({ method: 'DELETE', delayMs: 300 });
    const revoking = d.service.revoke(record.id, 'U1', 'keep');
    const reconciling = d.service.reconcile();
    await Promise.all([revoking, reconciling]);
    const after = await d.service.get(record.id);
    expect(after!.state).toBe('revoked');
    // Unlocked, reconciliation would have written "accepted" between the revoke's read and write.
    expect(after!.audit.map((a) => a.action)).not.toContain('accepted');
  });

  test('the expiry sweep marks only pending invites past their expiry', async () => {
    const req = request({ lifetimeDays: 1 });
    const record = await d.service.run((await d.service.submit(req)).record.id);
    await d.store.update(
      record.id,
      (x) => {
        x.invite!.expiresAt = new Date(Date.now() - 1000).toISOString();
      },
      new Date(),
    );
    expect(await d.service.sweepExpired()).toBe(1);
    expect((await d.service.get(record.id))!.state).toBe('expired');
    expect(await d.service.sweepExpired()).toBe(0);
  });
});

test('a resume cut short during its look-up still counts as "may have landed"', async () => {
  const req = request({ channels: ['email'] });
  const ran = await d.service.run((await d.service.submit(req)).record.id);
  await interruptAt(ran, 'email', 'sending');
  // The resume's look-up is killed too: it leaves the step running again.
  d.world.slyk.addFault({ method: 'GET', route: '/invites/:code', hang: true });
  await d.restart();
  const resuming = d.service.resumeUnfinished();
  await new Promise((r) => setTimeout(r, 100));
  const mid = await d.service.get(ran.id);
  expect(mid!.steps.email).toMatchObject({ status: 'running', stage: 'sending' });
  d.world.slyk.clearFaults();
  await d.restart();
  await d.service.resumeUnfinished();
  expect((await d.service.get(ran.id))!.deliveries.email.status).toBe('unknown');
  expect(d.counts(req.person).emails).toBe(1);
  await resuming.catch(() => undefined);
});

test('admission control: at most N onboardings provision at once, the rest wait in order', async () => {
  const { OnboardingService } = await import('../../src/onboarding/service.ts');
  const { createLogger } = await import('../../src/log.ts');
  const service = new OnboardingService({
    store: d.store,
    providers: d.providers,
    clock: () => new Date(),
    logger: createLogger('error'),
    concurrency: 2,
  });
  d.world.opentact.server.setLatency(30);
  const ids = [];
  for (let i = 0; i < 6; i += 1) ids.push((await service.submit(request())).record.id);
  const finished: string[] = [];
  const runs = ids.map((id) => service.run(id).then(() => finished.push(id)));
  await new Promise((r) => setTimeout(r, 20));
  expect(service.queue).toMatchObject({ inFlight: 2, waiting: 4, limit: 2 });
  await Promise.all(runs);
  d.world.opentact.server.setLatency(0);
  expect(service.queue).toMatchObject({ inFlight: 0, waiting: 0 });
  expect(finished.slice(0, 2).sort()).toEqual(ids.slice(0, 2).sort()); // the first two went first
  for (const id of ids) expect((await d.store.get(id))!.state).toBe('pending');
});
