import { afterEach, describe, expect, test } from 'vitest';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const HEADER = 'first_name,last_name,email,mobile,channels';
const row = (i: number, channels = 'sms+email') =>
  `Person${i},Cohort,person${i}@example.com,+44770090${String(i).padStart(4, '0')},${channels}`;

const modal = (callbackId: string) =>
  eventually(() =>
    h.world.slack.views.find(
      (v) => !v.closed && v.type === 'modal' && v.view.callback_id === callbackId,
    ),
  );

/** `/onboard bulk`, then the file (uploaded into the file_input) or the pasted text. */
async function upload(input: { file?: string; text?: string }, user: string = SANDBOX.admin) {
  await h.driver.command(user, 'bulk');
  const view = await modal('cohort_upload');
  const fileState = input.file
    ? h.world.slack.uploadUserFile(user, 'cohort.csv', input.file)
    : { type: 'file_input', files: [] };
  return {
    view,
    response: await h.driver.submitView(view.id, user, {
      cohort_file: { cohort_file_input: fileState },
      cohort_text: { cohort_text_input: { type: 'plain_text_input', value: input.text ?? null } },
    }),
  };
}

/** The preview's "Onboard N": ticks "skip invalid rows" when asked to. */
async function confirm(viewId: string, skipInvalid = false) {
  const values: Record<string, Record<string, unknown>> = skipInvalid
    ? {
        cohort_skip: {
          cohort_skip_input: { type: 'checkboxes', selected_options: [{ value: 'skip' }] },
        },
      }
    : {};
  return h.driver.submitView(viewId, SANDBOX.admin, values);
}

const dm = () => eventually(() => h.world.slack.dmWith(SANDBOX.admin));
const summary = async () => {
  const channel = await dm();
  return eventually(
    () => h.world.slack.messagesIn(channel).find((m) => m.text?.startsWith('Cohort finished')),
    10_000,
  );
};

function perPerson() {
  const w = h.world;
  const logins = [...w.opentact.state.users.values()].map((u) => u.login);
  const emails = w.slyk.outbox.map((m) => m.email);
  return { logins, emails, sms: w.usermgmt.sent.length };
}

describe('cohorts: /onboard bulk', () => {
  test('an uploaded file of 12 (one duplicate): preview, live progress, summary and results file', async () => {
    h = await startHarness();
    const rows = Array.from({ length: 11 }, (_, i) => row(i + 1));
    const file = `\uFEFF${[HEADER, ...rows, row(3)].join('\r\n')}\r\n`;
    const { view } = await upload({ file });
    // Downloaded with files.info + the bot token, then the preview replaces the "checking" view.
    const preview = await modal('cohort_confirm');
    // Pushed over the form: closing it would go back to choose another file.
    expect(h.world.slack.viewStack(view.id)).toEqual([view.id, preview.id]);
    expect(h.world.slack.callsTo('files.info')).toHaveLength(1);
    const text = JSON.stringify(preview.view.blocks);
    expect(text).toContain('*11 people* will be onboarded, invited by SMS and E-mail');
    expect(text).toContain('Row 13 · Person3 Cohort: same e-mail as row 4');
    expect(perPerson().logins).toHaveLength(0); // nothing before the confirmation

    expect((await confirm(preview.id)).viewErrors).toEqual([]);
    const done = await summary();
    expect(done.text).toBe('Cohort finished: 11 invited, 1 skipped, 0 failed.');
    const { logins, emails, sms } = perPerson();
    expect(logins).toHaveLength(11);
    expect(new Set(logins).size).toBe(11);
    expect(new Set(emails).size).toBe(11);
    expect(sms).toBe(11);
    // One progress message, updated in place at most about once a second.
    const updates = h.world.slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === done.ts)
      .map((c) => c.at);
    for (let i = 1; i < updates.length; i++)
      expect(updates[i]! - updates[i - 1]!).toBeGreaterThanOrEqual(950);
    // The results file, in the summary's thread.
    const [results] = await eventually(() => {
      const shared = h.world.slack.filesIn(done.channel);
      return shared.length > 0 ? shared : undefined;
    });
    const csv = results!.content.toString('utf8');
    expect(csv.split('\r\n')[0]).toBe(
      '\uFEFFrow,person,email,login,state,sms,email_invitation,reason',
    );
    expect(csv).toContain('2,Person1 Cohort,person1@example.com,person1.cohort,pending,sent,sent,');
    expect(csv).toContain('13,Person3 Cohort,person3@example.com,,skipped,,,same e-mail as row 4');
    const share = h.world.slack.messages.find((m) => m.files?.includes(results!.id));
    expect(share?.threadTs).toBe(done.ts);
  });

  test('an uploaded file that cannot be used: the problem pushed, the form below it', async () => {
    h = await startHarness();
    const { view } = await upload({ file: 'just,some\nwords,here\n' });
    const problem = await eventually(() => {
      const stack = h.world.slack.viewStack(view.id);
      const top = h.world.slack.views.find((v) => v.id === stack.at(-1));
      return stack.length === 2 && JSON.stringify(top?.view.blocks).includes('Nothing was created')
        ? top
        : undefined;
    });
    expect(JSON.stringify(problem.view.blocks)).toContain('The first row must be the header');
    expect(perPerson().logins).toHaveLength(0);
  });

  test('pasted CSV with invalid rows: the problems on the field, nothing created', async () => {
    h = await startHarness();
    const text = [
      'First Name;Last_Name;E-mail;Phone',
      'Ada;Lovelace;not-an-email;+4915112345601',
      'Grace;Hopper;grace@example.com;12345',
    ].join('\n');
    const { response } = await upload({ text });
    expect(response.body).toMatchObject({ response_action: 'errors' });
    const error = (response.body as { errors: Record<string, string> }).errors.cohort_text!;
    expect(error).toContain('Nothing was created.');
    expect(error).toContain('Row 2, email: This is not an e-mail address');
    expect(error).toContain('Row 3, mobile:');
    expect(perPerson().logins).toHaveLength(0);
  });

  test('file-level problems are named; a mix of valid and invalid rows needs "skip"', async () => {
    h = await startHarness();
    const unknown = await upload({ text: 'name,email\nAda,ada@example.com' });
    expect(JSON.stringify(unknown.response.body)).toMatch(/Unknown column \\"name\\"/);
    await h.world.slack.closeView(unknown.view.id);

    const mixed = [HEADER, row(1), 'Bad,Row,bad@example.com,123,sms', row(2)].join('\n');
    await upload({ text: mixed });
    const preview = await modal('cohort_confirm');
    expect(JSON.stringify(preview.view.blocks)).toContain('Row 3, mobile:');
    const refused = await confirm(preview.id);
    expect(refused.body).toMatchObject({ response_action: 'errors' });
    expect(perPerson().logins).toHaveLength(0);
    await confirm(preview.id, true);
    expect((await summary()).text).toBe('Cohort finished: 2 invited, 1 skipped, 0 failed.');
  });

  test('one SMS keeps failing: named in the summary; Retry failed sends only that one', async () => {
    h = await startHarness({ BULK_CONCURRENCY: '1' });
    // Rows run one at a time: the first SMS is row 2's.
    h.world.usermgmt.addFault({ method: 'POST', route: '/UserMgmt/SendSmsInvite', status: 500 });
    await upload({ text: [HEADER, row(1), row(2), row(3, 'email')].join('\n') });
    await confirm((await modal('cohort_confirm')).id);
    const done = await summary();
    expect(done.text).toBe('Cohort finished: 2 invited, 0 skipped, 1 failed.');
    expect(JSON.stringify(done.blocks)).toMatch(/Row 2 · Person1 Cohort: SMS invitation failed/);
    const sent = h.world.usermgmt.sent.length;
    const retry = findButton(done.blocks, 'cohort_retry:')!;
    expect(retry.value).toMatch(/\./); // sealed
    await h.driver.click(SANDBOX.admin, retry, { channel: done.channel, ts: done.ts });
    await eventually(() => {
      const m = h.world.slack.messagesIn(done.channel).find((x) => x.ts === done.ts);
      return m?.text === 'Cohort finished: 3 invited, 0 skipped, 0 failed.';
    }, 10_000);
    expect(h.world.usermgmt.sent.length).toBe(sent + 1);
    expect(perPerson().logins).toHaveLength(3);
    expect(perPerson().emails).toHaveLength(3);
  });

  test("Slack's rate limit on chat.update is waited out: the summary still arrives", async () => {
    h = await startHarness({ BULK_CONCURRENCY: '1' });
    h.world.slack.setUpdateRateLimit({ max: 1, windowMs: 2_000 });
    h.world.opentact.server.setLatency(300); // a few seconds: several progress updates
    await upload({ text: [HEADER, row(1), row(2), row(3)].join('\n') });
    await confirm((await modal('cohort_confirm')).id);
    const done = await summary();
    expect(done.text).toBe('Cohort finished: 3 invited, 0 skipped, 0 failed.');
    const limited = h.world.slack.callsTo('chat.update').filter((c) => c.status === 429);
    expect(limited.length).toBeGreaterThan(0);
  }, 20_000);

  test('a forged Retry failed and a member are refused; export sends a CSV without secrets', async () => {
    h = await startHarness();
    await upload({ text: [HEADER, row(1)].join('\n') });
    await confirm((await modal('cohort_confirm')).id);
    const done = await summary();
    const forged = { action_id: 'cohort_retry:nope', value: 'nope.AAAAAAAAAAAAAAAAAAAAAA' };
    await h.driver.click(SANDBOX.admin, forged, { channel: done.channel, ts: done.ts });
    await eventually(() =>
      h.world.slack.allCallText().includes('That button could not be verified'),
    );
    await h.driver.command(SANDBOX.member, 'bulk');
    await eventually(() => h.world.slack.allCallText().includes('Only'));
    expect(h.world.slack.views.some((v) => v.userId === SANDBOX.member)).toBe(false);

    await h.driver.command(SANDBOX.admin, 'export all');
    const exported = await eventually(() =>
      h.world.slack.files.find((f) => f.name.startsWith('onboardings-all-') && f.completed),
    );
    const csv = exported.content.toString('utf8');
    expect(csv).toContain('person1@example.com');
    expect(csv).toContain(',pending,');
    for (const secret of [SANDBOX.slackBotToken, SANDBOX.opentactToken, SANDBOX.slykApiKey])
      expect(csv).not.toContain(secret);
    // The SIP password is generated by the bot and sent to Opentact only: not in the export.
    const created = h.world.opentact.server.callsTo('POST', '/sip/connection/user')[0]!;
    const password = (created.body as { password?: string }).password;
    expect(password).toBeTruthy();
    expect(csv).not.toContain(password!);
  });
});
