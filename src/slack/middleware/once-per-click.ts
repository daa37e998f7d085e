import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../../log.ts';

/** Slack's own window: a request older than this fails signature verification anyway. */
const WINDOW_MS = 5 * 60_000;
const MAX_KEYS = 50_000;

/**
 * One action per click. A block action with the same identity — user, action,
 * message or view, `action_ts` — is acted on once within Slack's 5-minute
 * window; a second arrival (a double click, Slack's retry, a replay) is
 * acknowledged and does nothing. Kept in memory, bounded; on a shared store
 * also claimed there, for the replicas behind one load balancer.
 */
export function oncePerClick(
  log: Logger,
  /** With several replicas: the store records the click, so a retry on another replica is caught too. */
  claim?: (key: string) => Promise<boolean>,
  now: () => number = Date.now,
): Middleware<AnyMiddlewareArgs> {
  const seen = new Map<string, number>();
  return async (args) => {
    const key = clickKey(args.body);
    if (!key) return args.next();
    const at = now();
    const first = seen.get(key);
    const repeated =
      (first !== undefined && at - first < WINDOW_MS) ||
      (claim !== undefined && !(await claim(key)));
    if (repeated) {
      log.info('ignored a repeated click', { action: key.split('|')[1] });
      if ('ack' in args && typeof args.ack === 'function')
        await (args.ack as () => Promise<void>)();
      return;
    }
    seen.set(key, at);
    // Forget what has left the window (Map iterates oldest first).
    for (const [k, t] of seen) {
      if (at - t < WINDOW_MS && seen.size <= MAX_KEYS) break;
      seen.delete(k);
    }
    await args.next();
  };
}

function clickKey(body: unknown): string | undefined {
  const b = body as {
    type?: string;
    user?: { id?: string };
    actions?: { action_id?: string; action_ts?: string }[];
    container?: { message_ts?: string; view_id?: string };
  };
  if (b?.type !== 'block_actions') return undefined;
  const action = b.actions?.[0];
  if (!action?.action_ts || !action.action_id) return undefined;
  const where = b.container?.message_ts ?? b.container?.view_id ?? '';
  return [b.user?.id, action.action_id, where, action.action_ts].join('|');
}
