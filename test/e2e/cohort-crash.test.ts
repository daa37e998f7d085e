import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { waitFor } from '../../src/sandbox/driver.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { driverOn, duplicates, freePort, Supervisor, writeDotEnv } from './crash-helpers.ts';

/**
 * A cohort run killed (SIGKILL) in the middle: the next process resumes it,
 * the same progress message carries on to the summary, and nobody is onboarded
 * twice.
 */

let supervisor: Supervisor | undefined;
let world: World | undefined;
afterAll(async () => {
  supervisor?.killAll();
  await world?.close();
});

const ROWS = 16;

test('a cohort killed mid-run resumes after the restart: nothing doubled, one message', async () => {
  world = await startWorld();
  const w = world;
  for (const sim of [w.opentact.server, w.usermgmt, w.slyk]) sim.setLatency(40);
  const dir = mkdtempSync(join(tmpdir(), 'onboard-cohort-crash-'));
  const port = await freePort();
  const env = {
    ...w.env,
    PORT: String(port),
    DATA_FILE: join(dir, 'db.json'),
    LOG_LEVEL: 'info',
    BULK_CONCURRENCY: '2',
  };
  writeDotEnv(dir, env);
  const sup = new Supervisor(dir);
  supervisor = sup;
  const driver = driverOn(port, w.slack);
  // Killed as the 5th SIP user is being created: that call lands on a dead bot.
  let created = 0;
  w.opentact.server.onArrival((call) => {
    if (call.method === 'POST' && call.path === '/sip/connection/user' && ++created === 5)
      sup.kill();
  });
  sup.spawn();
  await sup.whenUp();

  const csv = [
    'first_name,last_name,email,mobile',
    ...Array.from(
      { length: ROWS },
      (_, i) => `Crash${i},Cohort,crash${i}@example.com,+44770090${String(i).padStart(4, '0')}`,
    ),
  ].join('\n');
  await driver.command(SANDBOX.admin, 'bulk');
  const upload = await waitFor(() =>
    w.slack.views.find((v) => v.view.callback_id === 'cohort_upload'),
  );
  await driver.submitView(upload.id, SANDBOX.admin, {
    cohort_file: { cohort_file_input: { type: 'file_input', files: [] } },
    cohort_text: { cohort_text_input: { type: 'plain_text_input', value: csv } },
  });
  const preview = await waitFor(() =>
    w.slack.views.find((v) => !v.closed && v.view.callback_id === 'cohort_confirm'),
  );
  await driver.submitView(preview.id, SANDBOX.admin, {});

  await waitFor(() => sup.lives.length === 2 && sup.up, 15_000);
  const dm = await waitFor(() => w.slack.dmWith(SANDBOX.admin));
  const done = await waitFor(
    () => w.slack.messagesIn(dm).find((m) => m.text?.startsWith('Cohort finished')),
    30_000,
  );
  expect(sup.fatal).toBeUndefined();
  expect(done.text).toBe(`Cohort finished: ${ROWS} invited, 0 skipped, 0 failed.`);
  // One progress message from start to end: posted once, then only updated.
  const posted = w.slack.messagesIn(dm).filter((m) => m.via === 'chat.postMessage');
  expect(posted.map((m) => m.ts)).toEqual([done.ts]);
  // Nobody twice upstream.
  const users = [...w.opentact.state.users.values()];
  expect(users).toHaveLength(ROWS);
  expect(duplicates(users, (u) => u.login)).toEqual([]);
  expect(duplicates(w.opentact.state.invites.values(), (i) => i.name)).toEqual([]);
  expect(duplicates(w.slyk.outbox, (m) => m.email)).toEqual([]);
  expect(duplicates(w.usermgmt.sent, (s) => s.id)).toEqual([]);
  expect(w.usermgmt.sent).toHaveLength(ROWS);
  expect(w.slyk.outbox).toHaveLength(ROWS);
}, 60_000);
