import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, startHarness } from './harness.ts';

const SIP_USER_POST = ['POST', '/sip/connection/user'] as const;
const SIP_USER_LIST = ['GET', '/sip/connection/:uuid/users'] as const;
const INVITE_POST = ['POST', '/sip/connection/:sip_connection_uuid/invites'] as const;
const SMS_POST = ['POST', '/UserMgmt/SendSmsInvite'] as const;

let h: Harness | undefined;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await h?.close();
  h = undefined;
});

function harness(): Harness {
  if (!h) throw new Error('no harness');
  return h;
}

/** Opens the modal as the admin, submits `values`, and returns the view id. */
async function submit(values: Parameters<typeof modalValues>[0] = {}): Promise<string> {
  const { driver, world } = harness();
  const before = world.slack.callsTo('views.open').length;
  expect((await driver.command(SANDBOX.admin, '')).status).toBe(200);
  const call = await eventually(() => world.slack.callsTo('views.open')[before]);
  const viewId = await eventually(
    () =>
      world.slack.views.find((v) => v.type === 'modal' && v.history[0] === call.args.view)?.id ??
      world.slack.views.at(-1)?.id,
  );
  const submitted = await driver.submitView(viewId, SANDBOX.admin, modalValues(values));
  expect(submitted.body).toMatchObject({ response_action: 'update' });
  return viewId;
}

/** The record for `login` once its pipeline finished and the requester got the DM. */
async function finished(login = 'ada.lovelace'): Promise<OnboardingRecord> {
  const { bot } = harness();
  return eventually(() => {
    const r = bot.lowdb!.all().find((x) => x.person.login === login);
    return r && r.state !== 'provisioning' && r.slack.ts ? r : undefined;
  });
}

/** The requester's result DM (the bot's message in the DM with the admin). */
function resultDm(record: OnboardingRecord) {
  const { world } = harness();
  const message = world.slack.messages.find(
    (m) => m.channel === record.slack.channel && m.ts === record.slack.ts,
  );
  if (!message) throw new Error('no result DM');
  return message;
}

/** The last views.update of the modal, as JSON text. */
async function modalUpdate(viewId: string): Promise<string> {
  const { world } = harness();
  const call = await eventually(() =>
    world.slack.callsTo('views.update').findLast((c) => c.args.view_id === viewId),
  );
  return JSON.stringify(call.args.view);
}

describe('each upstream step failing', () => {
  test('SIP user creation 500: one POST, no look-up (a definite answer), nothing downstream', async () => {
    h = await startHarness();
    h.world.opentact.server.addFault({ method: 'POST', route: SIP_USER_POST[1], status: 500 });
    const viewId = await submit();
    const record = await finished();

    expect(record.state).toBe('failed');
    expect(record.failedStep).toBe('sip_user');
    expect(record.steps.sip_user.status).toBe('failed');
    expect(record.steps.sip_user.reason).toMatch(/Opentact said: .*\[HTTP 500\]/);
    expect(record.sipUser).toBeUndefined();
    expect(record.steps.invite.status).toBe('todo');

    const opentact = h.world.opentact.server;
    expect(opentact.callsTo(...SIP_USER_POST)).toHaveLength(1); // a POST is never retried
    expect(opentact.callsTo(...SIP_USER_LIST)).toHaveLength(0); // a 500 is an answer: nothing to look up
    expect(h.world.opentact.state.users.size).toBe(0);
    expect(opentact.callsTo(...INVITE_POST)).toHaveLength(0);
    expect(h.world.usermgmt.calls).toHaveLength(0);
    expect(h.world.slyk.calls).toHaveLength(0);

    const dm = JSON.stringify(resultDm(record).blocks);
    expect(dm).toContain('SIP user failed');
    expect(dm).toContain('HTTP 500');
    expect(dm).toContain('no SIP user was created');
    expect(findButton(resultDm(record).blocks, 'retry')).toBeDefined();
    const modal = await modalUpdate(viewId);
    expect(modal).toContain('Onboarding failed');
    expect(modal).toContain('SIP user failed');
  });

  test('invite creation 400: the SIP user exists, no delivery is attempted', async () => {
    h = await startHarness();
    h.world.opentact.server.addFault({ method: 'POST', route: INVITE_POST[1], status: 400 });
    const viewId = await submit();
    const record = await finished();

    expect(record.state).toBe('failed');
    expect(record.failedStep).toBe('invite');
    expect(record.steps.sip_user.status).toBe('done');
    expect(record.steps.invite.status).toBe('failed');
    expect(record.steps.invite.reason).toMatch(/Opentact said: .*\[HTTP 400\]/);
    expect(record.sipUser?.uuid).toBeDefined();
    expect(record.invite).toBeUndefined();
    expect(record.deliveries.sms.status).toBe('pending');
    expect(record.deliveries.email.status).toBe('pending');

    const opentact = h.world.opentact.server;
    expect(opentact.callsTo(...SIP_USER_POST)).toHaveLength(1);
    expect(opentact.callsTo(...INVITE_POST)).toHaveLength(1); // a 400 is final
    expect(h.world.opentact.state.invites.size).toBe(0);
    expect(h.world.usermgmt.calls).toHaveLength(0);
    expect(h.world.slyk.calls).toHaveLength(0);

    const dm = JSON.stringify(resultDm(record).blocks);
    expect(dm).toContain('SIP user invite failed');
    expect(dm).toContain('ada.lovelace');
    expect(dm).toContain('no SIP user invite was created');
    expect(await modalUpdate(viewId)).toContain('SIP user invite failed');
  });

  test.each([
    {
      name: '200 with an Error',
      fault: {
        status: 200,
        body: { Result: null, Error: { Message: 'SMS gateway unavailable' } },
      },
      reason: /Identity platform said: SMS gateway unavailable/,
    },
    { name: '500', fault: { status: 500 }, reason: /Identity platform said: .*\[HTTP 500\]/ },
  ])(
    'SMS failing ($name) while e-mail succeeds: pending, SMS failed with the reason',
    async ({ fault, reason }) => {
      h = await startHarness();
      h.world.usermgmt.addFault({ method: 'POST', route: SMS_POST[1], ...fault });
      const viewId = await submit();
      const record = await finished();

      expect(record.state).toBe('pending');
      expect(record.failedStep).toBeUndefined();
      expect(record.deliveries.sms.status).toBe('failed');
      expect(record.deliveries.sms.reason).toMatch(reason);
      expect(record.deliveries.sms.attempts).toMatchObject([{ ok: false }]);
      expect(record.steps.sms.status).toBe('failed');
      expect(record.deliveries.email.status).toBe('sent');
      expect(h.world.usermgmt.callsTo(...SMS_POST)).toHaveLength(1); // a POST is never retried
      expect(h.world.usermgmt.sent).toHaveLength(0);
      expect(h.world.slyk.outbox.map((m) => m.email)).toEqual(['ada@example.com']);

      const dm = JSON.stringify(resultDm(record).blocks);
      expect(dm).toContain('is invited');
      expect(dm).toContain('SMS: failed');
      expect(dm).toContain('E-mail: sent');
      expect(await modalUpdate(viewId)).toContain('SMS: failed');
    },
  );

  test('both deliveries failing: failed, with the invite still recorded', async () => {
    h = await startHarness();
    h.world.usermgmt.addFault({ method: 'POST', route: SMS_POST[1], status: 500 });
    h.world.slyk.addFault({ method: 'POST', route: '/invites', status: 400 });
    await submit();
    const record = await finished();

    expect(record.state).toBe('failed');
    expect(record.failedStep).toBe('sms');
    expect(record.deliveries.sms.status).toBe('failed');
    expect(record.deliveries.email.status).toBe('failed');
    expect(record.deliveries.email.reason).toMatch(/Slyk said: .*\[HTTP 400\]/);
    expect(record.steps.invite.status).toBe('done');
    expect(record.invite?.uuid).toBeDefined();
    expect(h.world.usermgmt.sent).toHaveLength(0);
    expect(h.world.slyk.outbox).toHaveLength(0);
    expect(h.world.slyk.callsTo('POST', '/invites/send')).toHaveLength(0);
    expect(record.audit.at(-1)).toMatchObject({
      action: 'failed',
      detail: 'no invitation could be delivered',
    });

    const dm = JSON.stringify(resultDm(record).blocks);
    expect(dm).toContain('SMS invitation failed');
    expect(dm).toContain('E-mail: failed');
    expect(dm).toContain('the SIP user invite exists');
  });

  test('Slyk down: e-mail delivery failed with a clear reason, SMS sent', async () => {
    h = await startHarness();
    await h.world.slyk.close();
    await submit();
    const record = await finished();

    expect(record.state).toBe('pending');
    expect(record.deliveries.sms.status).toBe('sent');
    expect(record.deliveries.email.status).toBe('failed');
    expect(record.deliveries.email.reason).toMatch(/^Slyk could not be reached/);
    expect(record.steps.email.reason).toBe(record.deliveries.email.reason);
    expect(JSON.stringify(resultDm(record).blocks)).toContain('Slyk could not be reached');
  });
});

describe('Retry', () => {
  test('re-runs only the failed step: invite fails once, Retry → pending, one SIP user POST', async () => {
    h = await startHarness();
    h.world.opentact.server.addFault({
      method: 'POST',
      route: INVITE_POST[1],
      status: 400,
      times: 1,
    });
    await submit();
    const failed = await finished();
    expect(failed.failedStep).toBe('invite');

    const message = resultDm(failed);
    const button = findButton(message.blocks, 'retry');
    expect(button).toBeDefined();
    const clicked = await h.driver.click(SANDBOX.admin, button!, {
      channel: message.channel,
      ts: message.ts,
    });
    expect(clicked.status).toBe(200);

    const record = await eventually(() => {
      const r = h!.bot.lowdb!.all().find((x) => x.id === failed.id);
      return r?.state === 'pending' ? r : undefined;
    });
    expect(record.failedStep).toBeUndefined();
    expect(record.steps.sip_user.attempts).toBe(1);
    expect(record.steps.invite.attempts).toBe(2);
    expect(record.sipUser?.uuid).toBe(failed.sipUser?.uuid);
    expect(record.deliveries.sms.status).toBe('sent');
    expect(record.deliveries.email.status).toBe('sent');
    expect(record.audit.map((a) => a.action)).toContain('retried');

    const opentact = h.world.opentact.server;
    expect(opentact.callsTo(...SIP_USER_POST)).toHaveLength(1);
    expect(opentact.callsTo(...INVITE_POST)).toHaveLength(2);
    expect(h.world.opentact.state.users.size).toBe(1);
    expect(h.world.opentact.state.invites.size).toBe(1);
    // The result message is updated in place.
    await eventually(() =>
      JSON.stringify(
        h!.world.slack.messages.find((m) => m.ts === message.ts && m.channel === message.channel)
          ?.blocks,
      ).includes('is invited'),
    );
  });
});

describe('restart', () => {
  test('a bot stopped mid-pipeline resumes after restart on the same data file', async () => {
    h = await startHarness();
    const world = h.world;
    world.opentact.server.addFault({ method: 'POST', route: INVITE_POST[1], hang: true });
    await submit();
    const stuck = await eventually(() => {
      const r = h!.bot.lowdb!.all()[0];
      return r?.steps.invite.status === 'running' &&
        world.opentact.server.callsTo(...INVITE_POST).length === 1
        ? r
        : undefined;
    });
    expect(stuck.steps.sip_user.status).toBe('done');
    expect(stuck.state).toBe('provisioning');

    await h.bot.stop(200);
    const onDisk = JSON.parse(readFileSync(world.env.DATA_FILE!, 'utf8')) as {
      onboardings: OnboardingRecord[];
    };
    expect(onDisk.onboardings[0]?.steps.invite.status).toBe('running');
    expect(onDisk.onboardings[0]?.steps.sip_user.status).toBe('done');
    world.opentact.server.clearFaults();

    const second = await startHarness({}, { world, dataFile: world.env.DATA_FILE! });
    cleanups.push(() => second.close());
    const record = await eventually(() => {
      const r = second.bot.lowdb!.all().find((x) => x.id === stuck.id);
      return r?.state === 'pending' && r.slack.ts ? r : undefined;
    });
    expect(record.deliveries.sms.status).toBe('sent');
    expect(record.deliveries.email.status).toBe('sent');
    expect(world.opentact.server.callsTo(...SIP_USER_POST)).toHaveLength(1);
    expect(world.opentact.state.users.size).toBe(1);
    expect(world.opentact.state.invites.size).toBe(1);
    const dm = world.slack.messagesIn(world.slack.dmWith(SANDBOX.admin) ?? '').at(-1);
    expect(dm?.ts).toBe(record.slack.ts);
    expect(JSON.stringify(dm?.blocks)).toContain('is invited');
  });
});

describe('the audit outbox', () => {
  test('a line still waiting for its slot at a stop is posted after the restart, once and in order', async () => {
    // One post per minute in the audit channel: the second line must wait for the next slot.
    h = await startHarness({}, { postIntervalMs: 60_000 });
    const world = h.world;
    const audit = () =>
      world.slack
        .messagesIn(SANDBOX.digestChannel)
        .filter((m) => (m.text ?? '').includes('onboarded'));
    await submit({ login: 'ada.first' });
    await finished('ada.first');
    await eventually(() => audit().length === 1);
    await submit({ login: 'ada.second', email: 'ada.second@example.com' });
    await finished('ada.second');
    expect(await h.bot.store.outboxChannels()).toEqual([SANDBOX.digestChannel]);
    await h.bot.stop(300);
    expect(audit()).toHaveLength(1);

    const second = await startHarness({}, { world, dataFile: world.env.DATA_FILE! });
    cleanups.push(() => second.close());
    await eventually(() => audit().length === 2);
    expect(audit()[1]!.text).toContain('ada.second');
    await new Promise((r) => setTimeout(r, 300));
    const lines = audit().flatMap((m) => (m.text ?? '').split('\n'));
    expect(lines.filter((l) => l.includes('ada.second'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('ada.first'))).toHaveLength(1);
    expect(await second.bot.store.outboxChannels()).toEqual([]);
  });
});

describe('/onboard subcommands', () => {
  /** Sends a command and returns the body posted to its response_url. */
  async function ask(text: string) {
    const { driver, world } = harness();
    const before = world.slack.responses.length;
    const response = await driver.command(SANDBOX.admin, text);
    expect(response.status).toBe(200);
    const reply = await eventually(() => world.slack.responses[before]);
    return JSON.stringify(reply.body);
  }

  test('list, status by e-mail and login, help, unknown subcommand, unknown person', async () => {
    h = await startHarness();
    await submit();
    await finished();

    const list = await ask('list');
    expect(list).toContain('Ada Lovelace');
    expect(list).toContain('ada.lovelace');

    for (const query of ['ada@example.com', 'ada.lovelace', 'ADA@Example.com']) {
      const status = await ask(`status ${query}`);
      expect(status).toContain('Onboarding of `ada.lovelace`');
      expect(status).toContain('ada@example.com');
    }

    const help = await ask('help');
    expect(help).toContain('/onboard list');
    expect(help).toContain('/onboard status');
    expect(help).not.toContain("I don't know");

    const unknown = await ask('frobnicate');
    expect(unknown).toContain("I don't know `frobnicate`");
    expect(unknown).toContain('/onboard list');

    const nobody = await ask('status nobody@example.com');
    expect(nobody).toContain('No onboarding found for `nobody@example.com`');

    const usage = await ask('status');
    expect(usage).toContain('Usage');
  });
});

describe('secrets', () => {
  test('no credential, SIP password, invite token or Slyk link reaches Slack', async () => {
    h = await startHarness();
    await submit();
    expect((await finished()).state).toBe('pending');
    // A failure path: the SIP user exists, the invite is refused.
    h.world.opentact.server.addFault({ method: 'POST', route: INVITE_POST[1], status: 400 });
    await submit({ first: 'Bob', last: 'Builder', email: 'bob@example.com' });
    const failed = await finished('bob.builder');
    expect(failed.state).toBe('failed');
    // And the Retry of it, which creates the invite and sends it.
    const message = resultDm(failed);
    await h.driver.click(SANDBOX.admin, findButton(message.blocks, 'retry')!, {
      channel: message.channel,
      ts: message.ts,
    });
    await eventually(
      () => h!.bot.lowdb!.all().find((x) => x.id === failed.id)?.state === 'pending',
    );
    await eventually(() => h!.world.slack.callsTo('chat.update').length > 0);

    const secrets: string[] = [
      SANDBOX.slackBotToken,
      SANDBOX.signingSecret,
      SANDBOX.opentactToken,
      SANDBOX.usermgmtToken,
      SANDBOX.slykApiKey,
    ];
    const passwords = h.world.opentact.server
      .callsTo(...SIP_USER_POST)
      .map((c) => (c.body as { password?: string }).password);
    expect(passwords).toHaveLength(2);
    for (const password of passwords) {
      expect(password).toBeTruthy();
      secrets.push(password!);
    }
    const tokens = [...h.world.opentact.state.invites.values()].map((i) => i.token);
    expect(tokens).toHaveLength(2);
    secrets.push(...tokens);
    const slykInvites = h.world.slyk.invites();
    expect(slykInvites).toHaveLength(2);
    for (const invite of slykInvites) secrets.push(invite.code, invite.url);

    const text = h.world.slack.allCallText();
    expect(text).toContain('ada.lovelace'); // the text is really there
    for (const secret of secrets) expect(text).not.toContain(secret);
    // The record holds none either.
    const stored = JSON.stringify(h.bot.lowdb!.all());
    for (const secret of [...passwords, ...tokens]) expect(stored).not.toContain(secret);
  });
});

// ——— the process: node src/main.ts ———

type Exit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

function runMain(env: Record<string, string>): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, exit };
}

describe('the process', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  test('a corrupt data file stops the start (78) and is left byte for byte', async () => {
    world = await startWorld();
    const file = join(mkdtempSync(join(tmpdir(), 'onboard-corrupt-')), 'db.json');
    const content = '{"onboardings": [ {"id": "x", \n';
    writeFileSync(file, content);
    const { exit } = runMain({ ...world.env, DATA_FILE: file });
    const result = await exit;
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('not valid JSON');
    expect(readFileSync(file, 'utf8')).toBe(content);
    // Only the read-only start-up check (auth.test) reached Slack before the store refused the file.
    expect(world.slack.calls.filter((c) => c.method !== 'auth.test')).toHaveLength(0);
  });

  test('a missing required variable stops the start (78) naming it, with no secret', async () => {
    world = await startWorld();
    const { OPENTACT_TOKEN: _, ...env } = world.env;
    const result = await runMain(env).exit;
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^\s*- OPENTACT_TOKEN is required/m);
    for (const secret of [
      SANDBOX.slackBotToken,
      SANDBOX.signingSecret,
      SANDBOX.opentactToken,
      SANDBOX.usermgmtToken,
      SANDBOX.slykApiKey,
    ]) {
      expect(result.stderr).not.toContain(secret);
    }
  });

  test('SIGTERM stops cleanly with exit 0', async () => {
    world = await startWorld();
    const { child, exit } = runMain({ ...world.env, LOG_LEVEL: 'info' });
    let stderr = '';
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    await eventually(() => stderr.includes('bot ready'), 10_000);
    const sent = Date.now();
    child.kill('SIGTERM');
    const result = await exit;
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    expect(result.stderr).toContain('SIGTERM received');
    expect(result.stderr).toContain('stopped cleanly');
  }, 20_000);
});

describe('health', () => {
  test('GET /health answers 200 JSON', async () => {
    h = await startHarness();
    const response = await fetch(`http://127.0.0.1:${h.bot.port}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, mode: 'http', store: 'lowdb', accepting: true });
    expect(typeof body.uptimeSeconds).toBe('number');
  });
});
