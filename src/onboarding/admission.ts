/**
 * A bounded number of onboardings in flight; the rest wait in arrival order.
 * Waiting work is already recorded (`provisioning`), so nothing is lost if
 * the process stops: it resumes at the next start. Acks and /health never
 * wait behind it.
 */
export class Admission {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next in line
      else this.running -= 1;
    }
  }

  get depth(): { inFlight: number; waiting: number; limit: number } {
    return { inFlight: this.running, waiting: this.waiting.length, limit: this.limit };
  }
}
