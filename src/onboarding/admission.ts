/**
 * A bounded number of onboardings in flight; the rest wait in arrival order.
 * Waiting work is already recorded (`provisioning`), so nothing is lost if
 * the process stops: it resumes at the next start. Acks and /health never
 * wait behind it.
 *
 * Background work (a cohort's rows) waits in a lane of its own that gets a
 * free slot only when no single onboarding is waiting: a person who submits
 * the form during a 500-row upload is not queued behind it.
 */
export class Admission {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly background: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  async run<T>(
    work: () => Promise<T>,
    lane: 'foreground' | 'background' = 'foreground',
  ): Promise<T> {
    if (this.running >= this.limit) {
      const queue = lane === 'background' ? this.background : this.waiting;
      await new Promise<void>((resolve) => queue.push(resolve));
    } else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift() ?? this.background.shift();
      if (next)
        next(); // the slot passes straight to the next in line
      else this.running -= 1;
    }
  }

  get depth(): { inFlight: number; waiting: number; background: number; limit: number } {
    return {
      inFlight: this.running,
      waiting: this.waiting.length,
      background: this.background.length,
      limit: this.limit,
    };
  }
}
