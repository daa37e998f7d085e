import { Agent } from 'undici';
import { lightFetch } from './light-fetch.ts';

/**
 * Connection reuse for every outgoing HTTP call (the upstream APIs through ky,
 * Slack's Web API through its `fetch` option). Node's default dispatcher
 * subtracts a 2 s safety margin from the server's `Keep-Alive: timeout=N`
 * hint, so any server that advertises ≤ 2 s (the simulators say 1 s) gets a
 * new TCP (and TLS) connection for every call.
 */

export type KeepAliveOptions = {
  /** Idle time before we close a socket, when the server gives no hint. */
  keepAliveTimeoutMs?: number;
  /** Margin kept below the server's hint, so we never send on a socket it is closing. */
  keepAliveThresholdMs?: number;
  /** Sockets per origin; further requests queue in the pool (bounded load on each upstream). */
  connections?: number;
};

export const KEEP_ALIVE_DEFAULTS = {
  // Below Node's 5 s server default, far below nginx's 75 s.
  keepAliveTimeoutMs: 4_000,
  // A POST on a socket the server has just closed fails with an unknown outcome: keep a margin
  // well above local round trips, small enough to leave most of a 1 s hint usable.
  keepAliveThresholdMs: 300,
  // Above the onboarding concurrency (8 by default, × 2 for the parallel SMS and e-mail).
  connections: 32,
} as const;

export function keepAliveAgent(options: KeepAliveOptions = {}): Agent {
  const o = { ...KEEP_ALIVE_DEFAULTS, ...options };
  return new Agent({
    keepAliveTimeout: o.keepAliveTimeoutMs,
    keepAliveTimeoutThreshold: o.keepAliveThresholdMs,
    keepAliveMaxTimeout: 60_000,
    connections: o.connections,
  });
}

let shared: Agent | undefined;

/**
 * One pool per process (undici keeps one per origin inside it). Never closed: idle sockets do
 * not hold the process open, and several bots in one process (the tests) share it.
 */
export function sharedAgent(): Agent {
  shared ??= keepAliveAgent();
  return shared;
}

/**
 * A `fetch` through `dispatcher` (default: the shared pool), for clients that take a fetch
 * function; on undici's `request` for the small bodies the bot sends (light-fetch.ts).
 */
export function keepAliveFetch(dispatcher: Agent = sharedAgent()): typeof fetch {
  return lightFetch(dispatcher);
}
