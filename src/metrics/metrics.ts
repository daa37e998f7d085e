import { Registry } from 'prom-client';
import type { JobRun, OnboardingState } from '../onboarding/model.ts';
import type { DomainObserver } from '../onboarding/ports.ts';
import type { UpstreamError } from '../providers/http.ts';
import { scrapeGuard } from './guard.ts';
import { type JobResult, jobMetrics } from './jobs.ts';
import { processRegistry } from './process.ts';
import { slackMetrics } from './slack.ts';
import { type QueueSource, stateMetrics } from './state.ts';
import { stepMetrics } from './steps.ts';
import { upstreamMetrics } from './upstream.ts';

export type { JobResult, QueueSource };

/** What the gauges read at scrape time (the onboarding service). */
export type MetricsReads = {
  counts(): Promise<Record<OnboardingState, number>>;
  jobRun(name: string): Promise<JobRun>;
};

/**
 * The metrics of one bot, in its own registry (several bots in one process
 * never share a series), and the hooks that feed them: the domain's observer,
 * the upstream clients' error hook, Slack's fetch, the jobs. Rendered for
 * GET /metrics together with the process metrics.
 */
export class BotMetrics {
  readonly registry = new Registry();
  readonly observer: DomainObserver;
  readonly upstreamError: (error: UpstreamError) => void;
  readonly jobRan: (job: string, result: JobResult) => void;
  readonly observeSlackFetch: (inner: typeof fetch) => typeof fetch;
  readonly slackFailed: (method: string, error: string) => void;
  private reads: MetricsReads | undefined;
  private readonly queues: { queue(name: string, read: QueueSource): void };

  constructor(options: { now: () => Date; slackApiUrl: string }) {
    const { registry } = this;
    const guard = scrapeGuard(registry);
    this.observer = stepMetrics(registry);
    this.upstreamError = upstreamMetrics(registry);
    const slack = slackMetrics(registry, options.slackApiUrl);
    this.observeSlackFetch = slack.observe;
    this.slackFailed = slack.failed;
    this.jobRan = jobMetrics(registry, {
      now: options.now,
      guard,
      persisted: async (job) => {
        const at = this.reads && (await this.reads.jobRun(job)).lastRunAt;
        return at ? Date.parse(at) : undefined;
      },
    });
    this.queues = stateMetrics(registry, {
      guard,
      counts: async () => {
        if (!this.reads) throw new Error('not wired yet');
        return this.reads.counts();
      },
    });
  }

  /** The reads behind the gauges, once the service exists. */
  watch(reads: MetricsReads): void {
    this.reads = reads;
  }

  /** Adds a queue to the queue gauges (admission, outbox; the bulk queue when it exists). */
  queue(name: string, read: QueueSource): void {
    this.queues.queue(name, read);
  }

  /** The Prometheus text: process metrics, then the bot's. */
  async render(): Promise<{ contentType: string; body: string }> {
    const [process, own] = await Promise.all([
      processRegistry().metrics(),
      this.registry.metrics(),
    ]);
    return { contentType: this.registry.contentType, body: `${process}\n${own}` };
  }
}
