import type { Config } from './config.ts';
import { Jobs } from './jobs/jobs.ts';
import { createLogger, errorFields, type Logger } from './log.ts';
import { BotMetrics } from './metrics/metrics.ts';
import { type Clock, systemClock } from './onboarding/clock.ts';
import type { CohortListener } from './onboarding/cohort/runner.ts';
import type { Providers } from './onboarding/ports.ts';
import { OnboardingService } from './onboarding/service.ts';
import type { HttpTuning } from './providers/http.ts';
import { createOpentactClient } from './providers/opentact.ts';
import { createSlykClient } from './providers/slyk.ts';
import { createUserMgmtClient } from './providers/usermgmt.ts';
import { createSlackApp, registerListeners, type Serve } from './slack/app.ts';
import { Authorizer } from './slack/authz.ts';
import { Binder } from './slack/binding.ts';
import { CohortReporter } from './slack/cohort/reporter.ts';
import { DialogMemory } from './slack/listeners/actions/container.ts';
import { Notifier } from './slack/notifier.ts';
import { requestClosedText } from './slack/views/approval.ts';
import { type OpenedStore, openStore } from './store/open.ts';
import { Store } from './store/store.ts';

export type BotOptions = {
  clock?: Clock;
  logger?: Logger;
  /** Start the cron schedules (the tests drive the jobs directly). */
  schedule?: boolean;
  /** Minimum spacing of posts to one channel. */
  postIntervalMs?: number;
  /** What the start-up checks (src/preflight.ts) learnt of each dependency; /health reports it. */
  preflight?: { dependencies: Record<string, string> };
  /** How often a replica on a shared store looks for work whose lease lapsed. */
  resumeEveryMs?: number;
  /** Where the HTTP server runs: in this thread by default (main.ts: the main thread, src/thread/). */
  serve?: Serve;
};

export type Bot = {
  config: Config;
  /** The record store: lowdb by default, PostgreSQL when DATABASE_URL is set. */
  store: OpenedStore;
  /** The lowdb store itself when that is the one in use (tests and tools read it directly). */
  lowdb: Store | undefined;
  service: OnboardingService;
  jobs: Jobs;
  notifier: Notifier;
  /** The HTTP port: /slack/events in HTTP mode, /health and /metrics in both. */
  port: number | undefined;
  /** This bot's metrics (its own registry), served on GET /metrics. */
  metrics: BotMetrics;
  /** Stop taking work, finish or record in-flight steps, flush the store. */
  stop(timeoutMs?: number): Promise<void>;
};

export function createProviders(config: Config, http: HttpTuning = {}): Providers {
  return {
    opentact: createOpentactClient({
      baseUrl: config.opentact.apiUrl,
      token: config.opentact.token,
      sipConnectionUuid: config.opentact.sipConnectionUuid,
      ...(config.opentact.sipDomain ? { sipDomain: config.opentact.sipDomain } : {}),
      http,
    }),
    usermgmt: config.usermgmt
      ? createUserMgmtClient({
          baseUrl: config.usermgmt.apiUrl,
          token: config.usermgmt.token,
          http,
        })
      : undefined,
    slyk: config.slyk
      ? createSlykClient({ baseUrl: config.slyk.apiUrl, apiKey: config.slyk.apiKey, http })
      : undefined,
  };
}

/**
 * Straight down: config → store → providers → service → Slack app → notifier → jobs →
 * listeners. The same path
 * runs in production, in the tests and in the demo; only the URLs differ.
 */
export async function startBot(config: Config, options: BotOptions = {}): Promise<Bot> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const startedAt = Date.now();
  const metrics = new BotMetrics({ now: clock, slackApiUrl: config.slack.apiUrl });
  const store = await openStore(config, logger);
  // The cohort reporter needs the Slack client, made below; the domain is told whom to call now.
  let cohortProgress: CohortListener = () => {};
  const providers = createProviders(config, { onError: metrics.upstreamError });
  const service = new OnboardingService({
    store,
    providers,
    clock,
    logger,
    concurrency: config.onboardingConcurrency,
    leaseMs: config.leaseSeconds * 1000,
    cohortConcurrency: config.bulk.concurrency,
    onCohortProgress: (run, tally, final) => cohortProgress(run, tally, final),
    observer: metrics.observer,
  });
  metrics.watch(service);
  metrics.queue('admission', () => service.queue);
  metrics.queue('bulk', () => ({ waiting: service.queue.background }));
  const slack = createSlackApp(
    config,
    logger,
    () => ({
      mode: config.slack.mode,
      store: store.kind,
      ...(store.reachable === false ? { ok: false, storeReachable: false } : {}),
      queue: service.queue,
      accepting: service.isAccepting,
      ...(options.preflight ? { dependencies: options.preflight.dependencies } : {}),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    }),
    service.shared ? (key) => service.claimJobSlot('click', key) : undefined,
    {
      render: () => metrics.render(),
      observeFetch: metrics.observeSlackFetch,
      slackFailed: metrics.slackFailed,
    },
  );
  const { app } = slack;
  // Buttons and dialogs are bound to what the bot rendered, under a key derived from the app's secret.
  const binder = new Binder(
    config.slack.signingSecret ?? config.slack.appToken ?? config.slack.botToken,
  );
  const seal = binder.seal.bind(binder);
  const notifier = new Notifier({
    client: app.client,
    remember: (id, where) => service.rememberSlack(id, where),
    seal,
    sharedPace: service.shared
      ? {
          reserve: (channel, ms) => service.reservePostSlot(channel, ms),
          waitAfterAnswer: (channel, ms) => service.waitAfterAnswer(channel, ms),
          answered: (channel) => service.postAnswered(channel),
        }
      : undefined,
    logger,
    clock,
    auditChannel: config.digest.channel,
    outbox: store,
  });
  if (options.postIntervalMs !== undefined) notifier.minIntervalMs = options.postIntervalMs;
  const cohorts = new CohortReporter({ client: app.client, service, seal, logger });
  cohortProgress = cohorts.progress;
  metrics.queue('outbox', () => ({ waiting: notifier.outboxDepth }));
  const jobs = new Jobs({
    config,
    service,
    clock,
    logger,
    seal,
    report: (record) => notifier.reportOnboarding(record),
    post: (channel, text, blocks) => notifier.post(channel, text, blocks),
    onRun: metrics.jobRan,
    requestsExpired: async (records) => {
      for (const record of records) {
        await notifier.updateApprovalMessage(record);
        await notifier.tellRequester(record, requestClosedText(record));
      }
    },
  });
  registerListeners(app, {
    config,
    service,
    logger,
    clock,
    notifier,
    slack: app.client,
    authz: new Authorizer(config.admins, app.client, logger, undefined, {
      users: config.approvals.requesters,
      groups: config.approvals.requesterGroups,
    }),
    dialogs: new DialogMemory(),
    binder,
    postDigest: (by) => jobs.digest({ requestedBy: by }),
  });

  let port: number | undefined;
  try {
    port = await slack.start(options.serve);
  } catch (error) {
    await store.close();
    throw error;
  }
  const channels = service.enabledChannels();
  logger.info(
    `bot ready in ${config.slack.mode === 'socket' ? `Socket Mode (health on port ${port})` : `HTTP mode on port ${port}`}; ` +
      `invitations by ${channels.length ? channels.join(' and ') : 'no channel (SMS and e-mail both disabled)'}; ` +
      `data in ${store.kind === 'postgres' ? 'PostgreSQL' : config.dataFile}`,
    { startupMs: Date.now() - startedAt },
  );

  // Unfinished onboardings resume where they stopped; their requesters get the result. With a
  // shared store this repeats, so work whose replica died (its lease lapsed) is taken over.
  const resume = () =>
    service
      .resumeUnfinished()
      .then((records) => Promise.all(records.map((r) => notifier.reportOnboarding(r))))
      .catch((error) => logger.error('resuming unfinished onboardings failed', errorFields(error)));
  // Cohorts resume at their own pace, not in this chain: a run can take minutes.
  const resumeCohorts = () =>
    void service.cohorts
      .resume()
      .catch((error) => logger.error('resuming cohorts failed', errorFields(error)));
  let resuming: Promise<unknown> = resume().then(resumeCohorts);
  const failover = service.shared
    ? setInterval(
        () => {
          resuming = resuming.then(resume).then(resumeCohorts);
        },
        options.resumeEveryMs ?? (config.leaseSeconds * 1000 * 2) / 3,
      )
    : undefined;
  failover?.unref();

  // Audit lines left in the outbox by an earlier run (or a stopped replica) go out now.
  notifier.start();

  // node-cron never replays a missed run: the digest catches up, and timed work due while the
  // bot was down (scheduled onboardings, reminders) runs now, once.
  if (options.schedule !== false) {
    jobs.start();
    void jobs
      .catchUp()
      .catch((error) => logger.error('digest catch-up failed', errorFields(error)));
  }
  void resuming
    .then(() => jobs.timed())
    .catch((error) => logger.error('timed jobs at start failed', errorFields(error)));

  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    lowdb: store instanceof Store ? store : undefined,
    service,
    jobs,
    notifier,
    port,
    metrics,
    stop(timeoutMs = 8_000) {
      stopping ??= (async () => {
        const deadline = Date.now() + timeoutMs;
        clearInterval(failover);
        await slack.stop(timeoutMs);
        await jobs.stop();
        const finished = await service.drain(Math.max(0, deadline - Date.now()));
        if (!finished)
          logger.warn('stopped with steps still running; they resume at the next start');
        await cohorts.flush();
        const unposted = await notifier.stop(Math.max(0, deadline - Date.now()));
        if (unposted > 0)
          logger.info(
            'audit lines not posted before the stop; they are posted after the next start',
            {
              count: unposted,
            },
          );
        await store.close();
      })();
      return stopping;
    },
  };
}
