import { Counter, Gauge, type Registry } from 'prom-client';
import { PREFIX } from './prefix.ts';

export type JobResult = 'success' | 'failure' | 'skipped';

export const JOB_NAMES = ['digest', 'expiry-sweep', 'reconcile'] as const;

/**
 * Job runs by result, and when each job last succeeded. A job that records its
 * own last run in the store (the digest) is read from there at scrape time, so
 * the time survives a restart and covers a run by another replica.
 */
export function jobMetrics(
  registry: Registry,
  options: {
    now: () => Date;
    /** Unix milliseconds of the last successful run stored for `job`, if the job stores one. */
    persisted: (job: string) => Promise<number | undefined>;
    guard: <T>(source: string, read: () => Promise<T>) => Promise<T | undefined>;
  },
) {
  const runs = new Counter({
    name: `${PREFIX}job_runs_total`,
    help: 'Job runs by result (success; failure: it threw or could not check everything; skipped: nothing to do, e.g. a digest slot already posted).',
    labelNames: ['job', 'result'] as const,
    registers: [registry],
  });
  const lastSuccess = new Map<string, number>();
  // The known jobs, and any other that reports a run (a job added later needs no change here).
  const jobs = new Set<string>(JOB_NAMES);
  new Gauge({
    name: `${PREFIX}job_last_success_timestamp_seconds`,
    help: 'When each job last succeeded (unix seconds); absent until it has.',
    labelNames: ['job'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const job of jobs) {
        const stored = await options.guard(`job:${job}`, () => options.persisted(job));
        const ms = Math.max(lastSuccess.get(job) ?? 0, stored ?? 0);
        if (ms > 0) this.set({ job }, Math.floor(ms / 1000));
      }
    },
  });
  for (const job of JOB_NAMES) {
    for (const result of ['success', 'failure', 'skipped'] as const) runs.inc({ job, result }, 0);
  }
  return (job: string, result: JobResult) => {
    jobs.add(job);
    runs.inc({ job, result });
    if (result === 'success') lastSuccess.set(job, options.now().getTime());
  };
}
