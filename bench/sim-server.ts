import type { SimView } from '../src/sandbox/slack/index.ts';
import { SANDBOX, startWorld } from '../src/sandbox/world.ts';

/**
 * The simulators (Slack Web API, Opentact, UserMgmt, Slyk) in a process of
 * their own, so that their work does not share the event loop of the bot
 * under test or of the sender that times it. Forked by bench/sim.ts: sends
 * `{ env }` when ready, then answers requests `{ id, op, ...args }` with
 * `{ id, result }` or `{ id, error }`: the Slack-side state a signed request
 * needs (trigger ids, response_urls, view payloads) and the signal that an
 * onboarding has finished (the bot updated its modal with the result).
 *
 * Run directly (`node bench/sim-server.ts`), it prints its env as JSON and
 * keeps serving until killed.
 */

const world = await startWorld();
const slack = world.slack;

/** The bot's open modals in creation order, each handed out once (not the bare app's). */
let viewCursor = 0;
let modalQueue: SimView[] = [];
function collectModals() {
  for (; viewCursor < slack.views.length; viewCursor += 1) {
    const view = slack.views[viewCursor]!;
    const bare = view.view.callback_id === 'bare_modal';
    if (view.type === 'modal' && view.rootViewId === view.id && !bare) modalQueue.push(view);
  }
}

/** View ids the bot has sent views.update for (its result after the pipeline ran). */
let callCursor = 0;
const updated = new Set<string>();
function collectUpdates() {
  for (; callCursor < slack.calls.length; callCursor += 1) {
    const call = slack.calls[callCursor]!;
    if (call.method === 'views.update' && typeof call.args.view_id === 'string') {
      updated.add(call.args.view_id);
    }
  }
}

async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`sim-server: ${what} not seen in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

type Request = { id: number; op: string; [key: string]: unknown };

const ops: Record<string, (r: Request) => unknown> = {
  mint: ({ userId, n }) =>
    Array.from({ length: n as number }, () => ({
      triggerId: slack.mintTriggerId({ userId: userId as string }),
      responseUrl: slack.responseUrl({ channel: 'C0GENERAL', userId: userId as string }),
    })),
  takeModals: ({ n, timeoutMs }) =>
    until(
      () => {
        collectModals();
        modalQueue = modalQueue.filter((v) => !v.closed);
        if (modalQueue.length < (n as number)) return undefined;
        return modalQueue.splice(0, n as number).map((v) => v.id);
      },
      (timeoutMs as number | undefined) ?? 15_000,
      `${n} open modals`,
    ),
  openModals: () => {
    collectModals();
    modalQueue = modalQueue.filter((v) => !v.closed);
    return modalQueue.length;
  },
  prepare: ({ viewIds, userId }) =>
    (viewIds as string[]).map((viewId) => ({
      viewId,
      view: slack.viewPayload(viewId),
      triggerId: slack.mintTriggerId({ userId: userId as string, viewId }),
    })),
  applyViewAck: ({ viewId, ack }) =>
    slack.applyViewAck(viewId as string, ack as Record<string, unknown> | undefined),
  finished: ({ viewIds, timeoutMs }) =>
    until(
      () => {
        collectUpdates();
        return (viewIds as string[]).every((id) => updated.has(id)) ? true : undefined;
      },
      (timeoutMs as number | undefined) ?? 60_000,
      'the result of every onboarding',
    ),
  counts: () => ({
    slack: slack.calls.length,
    opentact: world.opentact.server.calls.length,
    usermgmt: world.usermgmt.calls.length,
    slyk: world.slyk.calls.length,
    rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
  }),
  // What the onboardings created upstream (for duplicate checks; not cleared by 'forget').
  tally: () => ({
    sipUsers: world.opentact.state.users.size,
    sipLogins: new Set([...world.opentact.state.users.values()].map((u) => u.login)).size,
    sms: world.usermgmt.sent.length,
  }),
  // Cohorts (bench/cohort.ts): rate-limited upstreams, an uploaded CSV, the run's outcome.
  rateLimit: ({ perSecond }) => {
    for (const sim of [world.opentact.server, world.usermgmt, world.slyk])
      sim.setRateLimit(perSecond as number | undefined);
    return true;
  },
  uploadCsv: ({ userId, csv }) =>
    slack.uploadUserFile(userId as string, 'cohort.csv', csv as string),
  // The view (by id, or by external_id for a pushed one) once it shows `callbackId`: its id.
  viewIs: ({ viewId, externalId, callbackId, timeoutMs }) =>
    until(
      () => {
        const view = slack.views.find((v) =>
          externalId ? v.externalId === externalId : v.id === viewId,
        );
        return view && view.view.callback_id === callbackId ? view.id : undefined;
      },
      (timeoutMs as number | undefined) ?? 15_000,
      `view ${callbackId}`,
    ),
  cohortDone: ({ userId, timeoutMs }) =>
    until(
      () => {
        const dm = slack.dmWith(userId as string);
        const done = dm
          ? slack.messagesIn(dm).find((m) => m.text?.startsWith('Cohort finished'))
          : undefined;
        if (!done) return undefined;
        const updates = slack.calls
          .filter((c) => c.method === 'chat.update' && c.args.ts === done.ts)
          .map((c) => c.at);
        return { text: done.text, updates };
      },
      (timeoutMs as number | undefined) ?? 600_000,
      'the cohort summary',
    ),
  served: () =>
    Object.fromEntries(
      [world.opentact.server, world.usermgmt, world.slyk].map((sim) => [
        sim.name,
        {
          served: sim.calls.filter((c) => c.status !== 429).length,
          limited: sim.calls.filter((c) => c.status === 429).length,
        },
      ]),
    ),
  // The call logs grow with every onboarding; the benchmarks never read old entries.
  forget: () => {
    collectUpdates();
    collectModals();
    for (const log of [world.opentact.server.calls, world.usermgmt.calls, world.slyk.calls]) {
      log.length = 0;
    }
    slack.calls.length = 0;
    callCursor = 0;
    return true;
  },
};

if (process.send) {
  process.on('message', async (message) => {
    const request = message as Request;
    if (request.op === 'close') {
      await world.close();
      process.exit(0);
    }
    try {
      const handler = ops[request.op];
      if (!handler) throw new Error(`unknown op ${request.op}`);
      process.send!({ id: request.id, result: await handler(request) });
    } catch (error) {
      process.send!({ id: request.id, error: String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ env: world.env, admin: SANDBOX.admin });
} else {
  console.log(JSON.stringify(world.env));
}
