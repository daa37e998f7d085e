import { Gauge, type Registry } from 'prom-client';
import type { OnboardingState } from '../onboarding/model.ts';
import { PREFIX } from './prefix.ts';

/** A queue whose length is read at scrape time (admission, audit outbox; bulk later). */
export type QueueSource = () => { waiting: number; inFlight?: number };

/** Gauges read at scrape time: onboardings by state, queue depths. */
export function stateMetrics(
  registry: Registry,
  options: {
    counts: () => Promise<Record<OnboardingState, number>>;
    guard: <T>(source: string, read: () => Promise<T>) => Promise<T | undefined>;
  },
) {
  const queues = new Map<string, QueueSource>();
  new Gauge({
    name: `${PREFIX}onboardings`,
    help: 'Live onboardings by state (archived ones are not counted).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      // No answer (a store outage) leaves the series absent rather than stale.
      this.reset();
      const counts = await options.guard('onboardings', options.counts);
      for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
    },
  });
  new Gauge({
    name: `${PREFIX}queue_depth`,
    help: 'Items waiting in a queue: admission (onboardings waiting for a pipeline slot), outbox (audit lines waiting to be posted).',
    labelNames: ['queue'] as const,
    registers: [registry],
    collect() {
      for (const [queue, read] of queues) this.set({ queue }, read().waiting);
    },
  });
  new Gauge({
    name: `${PREFIX}queue_in_flight`,
    help: 'Items of a queue being worked on now (admission: pipelines running).',
    labelNames: ['queue'] as const,
    registers: [registry],
    collect() {
      for (const [queue, read] of queues) {
        const { inFlight } = read();
        if (inFlight !== undefined) this.set({ queue }, inFlight);
      }
    },
  });
  return {
    /** Adds a queue to the depth gauges (a new queue is one call in bot.ts). */
    queue(name: string, read: QueueSource): void {
      queues.set(name, read);
    },
  };
}
