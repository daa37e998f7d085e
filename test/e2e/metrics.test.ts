import { afterEach, describe, expect, test } from 'vitest';
import { modalValues, waitFor } from '../../src/sandbox/driver.ts';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, SANDBOX_CREDENTIALS, startWorld, type World } from '../../src/sandbox/world.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';

/**
 * GET /metrics of the real bot against the simulators, in both modes: an
 * onboarding whose SMS fails, a failed and a successful digest, a
 * reconciliation cut short by rate limits — and the series that say so.
 */

const sessions: SandboxSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});

async function start(
  socketMode: boolean,
  options: { world?: World; env?: Record<string, string> } = {},
): Promise<SandboxSession> {
  const s = await startSandboxSession({ socketMode, ...options });
  sessions.push(s);
  return s;
}

async function scrape(s: SandboxSession): Promise<{ type: string; text: string }> {
  const response = await fetch(`http://127.0.0.1:${s.bot.port}/metrics`);
  expect(response.status).toBe(200);
  return { type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** The value of the sample `name` whose labels include `labels`; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** The admin onboards the default person; resolves once the requester has the result DM. */
async function onboard(s: SandboxSession) {
  await s.driver.command(SANDBOX.admin, '');
  const modal = await waitFor(() => s.world.slack.views.find((v) => v.type === 'modal'));
  const submitted = await s.driver.submitView(modal.id, SANDBOX.admin, modalValues({}));
  expect(submitted.body).toMatchObject({ response_action: 'update' });
  return waitFor(async () => {
    const r = await s.bot.service.lookup('ada.lovelace');
    return r && r.state !== 'provisioning' && r.slack.ts ? r : undefined;
  }, 10_000);
}

describe.each([
  ['HTTP mode', false],
  ['Socket Mode', true],
])('GET /metrics (%s)', (_mode, socketMode) => {
  test('counts steps, upstream and Slack errors, jobs, queues and states', async () => {
    const s = await start(socketMode);
    const { world, bot } = s;

    // Before anything happened, the series exist at zero (rate() and ratios work from the start).
    const first = (await scrape(s)).text;
    expect(
      sample(first, 'telephony_onboarding_step_outcomes_total', { step: 'sms', outcome: 'failed' }),
    ).toBe(0);
    expect(
      sample(first, 'telephony_onboarding_upstream_errors_total', {
        api: 'usermgmt',
        kind: 'failed',
      }),
    ).toBe(0);

    // An onboarding whose SMS fails for certain (a 500): the e-mail still goes out.
    world.usermgmt.addFault({ method: 'POST', route: '/UserMgmt/SendSmsInvite', status: 500 });
    const record = await onboard(s);
    expect(record.state).toBe('pending');
    expect(record.steps.sms.status).toBe('failed');
    expect(await bot.notifier.flush(5_000)).toBe(0);

    // The digest: its post refused once (the bot was removed from the channel), then posted.
    world.slack.addFault({ method: 'chat.postMessage', error: 'not_in_channel' });
    await expect(bot.jobs.digest()).rejects.toThrow(/not_in_channel/);
    expect((await bot.jobs.digest()).posted).toBe(true);
    await bot.jobs.sweep();
    // Reconciliation: Opentact rate-limits every attempt, so it cannot check the invites.
    world.opentact.server.addFault({ method: 'GET', status: 429, retryAfter: 0, times: 3 });
    const report = await bot.jobs.reconcile();
    expect(report.errors).toHaveLength(1);

    const { type, text } = await scrape(s);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const value = (name: string, labels: Record<string, string> = {}) =>
      sample(text, `telephony_onboarding_${name}`, labels);

    expect(value('onboardings', { state: 'pending' })).toBe(1);
    expect(value('onboardings', { state: 'failed' })).toBe(0);

    for (const [step, api] of [
      ['sip_user', 'opentact'],
      ['invite', 'opentact'],
      ['email', 'slyk'],
    ]) {
      expect(value('step_outcomes_total', { step: step!, api: api!, outcome: 'done' })).toBe(1);
      expect(value('step_duration_seconds_count', { step: step!, api: api! })).toBe(1);
    }
    expect(value('step_outcomes_total', { step: 'sms', api: 'usermgmt', outcome: 'failed' })).toBe(
      1,
    );
    expect(value('step_outcomes_total', { step: 'sms', api: 'usermgmt', outcome: 'done' })).toBe(0);
    expect(value('step_duration_seconds_count', { step: 'sms', api: 'usermgmt' })).toBe(1);
    const sipSeconds = value('step_duration_seconds_sum', { step: 'sip_user' })!;
    expect(sipSeconds).toBeGreaterThan(0);
    expect(sipSeconds).toBeLessThan(10);

    expect(value('upstream_errors_total', { api: 'usermgmt', kind: 'failed' })).toBe(1);
    expect(value('upstream_errors_total', { api: 'opentact', kind: 'rate_limited' })).toBe(1);
    expect(value('upstream_errors_total', { api: 'opentact', kind: 'failed' })).toBe(0);
    expect(value('upstream_errors_total', { api: 'slyk', kind: 'unknown' })).toBe(0);

    expect(
      value('slack_api_errors_total', { method: 'chat.postMessage', error: 'not_in_channel' }),
    ).toBe(1);

    expect(value('job_runs_total', { job: 'digest', result: 'failure' })).toBe(1);
    expect(value('job_runs_total', { job: 'digest', result: 'success' })).toBe(1);
    expect(value('job_runs_total', { job: 'expiry-sweep', result: 'success' })).toBe(1);
    expect(value('job_runs_total', { job: 'reconcile', result: 'failure' })).toBe(1);
    expect(value('job_runs_total', { job: 'reconcile', result: 'success' })).toBe(0);
    const lastDigest = value('job_last_success_timestamp_seconds', { job: 'digest' })!;
    expect(Math.abs(lastDigest - Date.now() / 1000)).toBeLessThan(60);
    expect(value('job_last_success_timestamp_seconds', { job: 'expiry-sweep' })).toBeDefined();
    expect(value('job_last_success_timestamp_seconds', { job: 'reconcile' })).toBeUndefined();

    expect(value('queue_depth', { queue: 'admission' })).toBe(0);
    expect(value('queue_in_flight', { queue: 'admission' })).toBe(0);
    expect(value('queue_depth', { queue: 'outbox' })).toBe(0);

    // The process metrics, under their standard names.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeDefined();

    // Nothing secret: no token, key, signing secret, nor the person's data.
    for (const secret of [...SANDBOX_CREDENTIALS, record.person.email, record.person.login]) {
      expect(text).not.toContain(secret);
    }
    // /health answers as before.
    expect((await fetch(`http://127.0.0.1:${bot.port}/health`)).status).toBe(200);
  });
});

test('each bot keeps its own registry: a second bot in the process starts at zero', async () => {
  const a = await start(false);
  a.world.usermgmt.addFault({ method: 'POST', route: '/UserMgmt/SendSmsInvite', status: 500 });
  await onboard(a);
  const b = await start(false);
  const [ta, tb] = [(await scrape(a)).text, (await scrape(b)).text];
  const smsFailed = { step: 'sms', outcome: 'failed' };
  expect(sample(ta, 'telephony_onboarding_step_outcomes_total', smsFailed)).toBe(1);
  expect(sample(tb, 'telephony_onboarding_step_outcomes_total', smsFailed)).toBe(0);
  expect(sample(tb, 'telephony_onboarding_onboardings', { state: 'pending' })).toBe(0);
  // Scraping stays quick while the other bot works (HEAD too, for probes).
  const started = performance.now();
  await Promise.all(Array.from({ length: 20 }, () => scrape(b)));
  expect(performance.now() - started).toBeLessThan(2_000);
  const head = await fetch(`http://127.0.0.1:${b.bot.port}/metrics`, { method: 'HEAD' });
  expect(head.status).toBe(200);
});

test('on PostgreSQL, a replica reports the shared counts and the digest another replica posted', async () => {
  const world = await startWorld();
  try {
    const env = { DATABASE_URL: await freshDatabaseUrl('metrics') };
    const a = await start(false, { world, env });
    const b = await start(false, { world, env });
    await onboard(a);
    expect((await a.bot.jobs.digest()).posted).toBe(true);
    const text = (await scrape(b)).text;
    expect(sample(text, 'telephony_onboarding_onboardings', { state: 'pending' })).toBe(1);
    // B ran nothing itself: its digest time is the one stored by A.
    expect(
      sample(text, 'telephony_onboarding_job_runs_total', { job: 'digest', result: 'success' }),
    ).toBe(0);
    const last = sample(text, 'telephony_onboarding_job_last_success_timestamp_seconds', {
      job: 'digest',
    })!;
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(60);
    expect(sample(text, 'telephony_onboarding_metrics_read_errors_total')).toBeUndefined();
  } finally {
    for (const s of sessions.splice(0)) await s.close();
    await world.close();
  }
});
