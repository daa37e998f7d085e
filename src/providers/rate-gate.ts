/**
 * One gate per upstream API origin, shared by every request the process makes
 * to it. After a 429 nothing more is sent until Retry-After has passed, and
 * the gate learns the pace the API allows — the answers it accepted in the
 * second before the 429 — and from then on starts at most that many requests
 * in any second (less a small margin), so a cohort run flows at the API's limit instead of bursting
 * into it (Retry-After is whole seconds: each burst would cost up to one).
 * The learnt pace is forgotten after a minute without a 429.
 */

const WINDOW_MS = 1_000;
/** Answers arrive a little after they start: a margin keeps the API's own window from seeing one too many. */
const MARGIN_MS = 25;
const FORGET_AFTER_MS = 60_000;

export class RateGate {
  private until = 0;
  private limit: number | undefined;
  private learnedAt = 0;
  /** Start times of the requests of the last second, and times of accepted answers. */
  private readonly starts: number[] = [];
  private readonly accepted: number[] = [];

  /** Resolves once a request may be sent now (and counts it as started). */
  async wait(): Promise<void> {
    for (;;) {
      const now = Date.now();
      prune(this.starts, now, WINDOW_MS + MARGIN_MS);
      if (this.limit !== undefined && now - this.learnedAt > FORGET_AFTER_MS)
        this.limit = undefined;
      let ms = this.until - now;
      if (this.limit !== undefined && this.starts.length >= this.limit) {
        ms = Math.max(
          ms,
          this.starts[this.starts.length - this.limit]! + WINDOW_MS + MARGIN_MS - now,
        );
      }
      if (ms <= 0) {
        this.starts.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }

  /** Every answer: a 429 holds requests back for `retryAfterMs` and sets the pace. */
  answered(status: number, retryAfterMs: number): void {
    const now = Date.now();
    prune(this.accepted, now);
    if (status !== 429) {
      this.accepted.push(now);
      return;
    }
    this.until = Math.max(this.until, now + retryAfterMs);
    // The most the API accepted in a second: a 429 while pacing at it does not lower it. A 429
    // with nothing accepted just before says nothing about the pace: only Retry-After holds.
    if (this.accepted.length === 0 && this.limit === undefined) return;
    this.limit = Math.max(this.limit ?? 1, this.accepted.length);
    this.learnedAt = now;
  }

  get heldForMs(): number {
    return Math.max(0, this.until - Date.now());
  }

  /** Requests per second allowed since the last 429, if one was seen lately. */
  get pace(): number | undefined {
    return this.limit;
  }
}

function prune(times: number[], now: number, windowMs = WINDOW_MS): void {
  while (times.length > 0 && now - times[0]! >= windowMs) times.shift();
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
