/**
 * One gate per upstream API origin, shared by every request the process makes
 * to it: after a 429 with Retry-After, nothing more is sent to that API until
 * the time has passed. A cohort run then slows down to the service's pace
 * instead of failing rows, and a single onboarding waits the same short time
 * instead of spending its retries on 429s.
 */
export class RateGate {
  private until = 0;

  /** Resolves once the API may be called again (at once when it is not held back). */
  async wait(): Promise<void> {
    for (;;) {
      const ms = this.until - Date.now();
      if (ms <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }

  /** Holds requests back for `ms` (a later deadline wins). */
  block(ms: number): void {
    this.until = Math.max(this.until, Date.now() + ms);
  }

  get heldForMs(): number {
    return Math.max(0, this.until - Date.now());
  }
}

const gates = new Map<string, RateGate>();

export function gateFor(baseUrl: string): RateGate {
  const origin = new URL(baseUrl).origin;
  let gate = gates.get(origin);
  if (!gate) {
    gate = new RateGate();
    gates.set(origin, gate);
  }
  return gate;
}

/** Retry-After in ms (seconds or an HTTP date), capped; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null, capMs: number): number {
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, capMs);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.min(Math.max(0, date - Date.now()), capMs);
  }
  return Math.min(1_000, capMs);
}
