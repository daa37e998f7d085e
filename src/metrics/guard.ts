import { Counter, type Registry } from 'prom-client';
import { PREFIX } from './prefix.ts';

export type Guard = <T>(source: string, read: () => Promise<T>) => Promise<T | undefined>;

/**
 * Store reads made at scrape time: concurrent scrapes share one read, and a
 * read that fails or takes longer than `timeoutMs` (a database outage) leaves
 * its series out of that scrape instead of stalling it.
 */
export function scrapeGuard(registry: Registry, timeoutMs = 1_000): Guard {
  const failures = new Counter({
    name: `${PREFIX}metrics_read_errors_total`,
    help: 'Scrape-time reads (store counts, stored job runs) that failed or timed out; their series were left out.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const reading = new Map<string, Promise<unknown>>();
  return async <T>(source: string, read: () => Promise<T>): Promise<T | undefined> => {
    let pending = reading.get(source) as Promise<T | undefined> | undefined;
    if (!pending) {
      pending = bounded(read, timeoutMs)
        .catch(() => {
          failures.inc({ source });
          return undefined;
        })
        .finally(() => reading.delete(source));
      reading.set(source, pending);
    }
    return pending;
  };
}

async function bounded<T>(read: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
