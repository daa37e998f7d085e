import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * Process metrics (CPU, memory, event-loop lag, GC, handles) in one registry
 * per process, not per bot: they describe the process, and each
 * collectDefaultMetrics call starts its own event-loop monitor and GC
 * observer, which several bots in one process (the tests) would pile up.
 * Never prom-client's global registry, which anything else may also fill.
 */
export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
