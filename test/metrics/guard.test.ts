import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { scrapeGuard } from '../../src/metrics/guard.ts';

/** Scrape-time reads: bounded in time, shared by concurrent scrapes, failures counted. */

test('a read that never answers is given up after the time-out and counted', async () => {
  const registry = new Registry();
  const guard = scrapeGuard(registry, 50);
  const started = performance.now();
  expect(await guard('onboardings', () => new Promise<number>(() => undefined))).toBeUndefined();
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(await registry.metrics()).toContain(
    'telephony_onboarding_metrics_read_errors_total{source="onboardings"} 1',
  );
});

test('concurrent scrapes share one read; the next scrape reads again', async () => {
  const guard = scrapeGuard(new Registry());
  let reads = 0;
  const read = async () => {
    reads += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return reads;
  };
  expect(await Promise.all([guard('x', read), guard('x', read), guard('x', read)])).toEqual([
    1, 1, 1,
  ]);
  expect(await guard('x', read)).toBe(2);
});

test('a failing read yields nothing instead of failing the scrape', async () => {
  const registry = new Registry();
  const guard = scrapeGuard(registry);
  expect(await guard('job:digest', () => Promise.reject(new Error('down')))).toBeUndefined();
  expect(await registry.metrics()).toContain('source="job:digest"} 1');
});
