import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import type { Clock } from './clock.ts';
import { ActionRefused } from './errors.ts';
import type { OnboardingRecord } from './model.ts';
import type { Providers, RecordStore } from './ports.ts';

export type CoreOptions = {
  store: RecordStore;
  providers: Providers;
  clock: Clock;
  logger: Logger;
  /** Called after a pipeline run or an action changed a record. */
  onChange?: ((record: OnboardingRecord) => void) | undefined;
};

/**
 * What every part of the domain shares: the ports, the clock, and the one way
 * to act on a record — `perform(id, fn)`: the shutdown check, the per-record
 * lock and the in-flight tracking that shutdown waits for.
 */
export class Core {
  readonly store: RecordStore;
  readonly providers: Providers;
  readonly clock: Clock;
  readonly log: Logger;
  private readonly onChange: ((record: OnboardingRecord) => void) | undefined;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private accepting = true;

  constructor(options: CoreOptions) {
    this.store = options.store;
    this.providers = options.providers;
    this.clock = options.clock;
    this.log = options.logger;
    this.onChange = options.onChange;
  }

  /** Runs `fn` on the current record, after every earlier operation on it, unless shutting down. */
  perform<T>(id: string, fn: (record: OnboardingRecord) => Promise<T>): Promise<T> {
    this.assertAccepting();
    return this.track(this.withLock(id, async () => fn(await this.mustGet(id))));
  }

  /** Like perform, but also while draining (bookkeeping that must not be lost at shutdown). */
  performAlways<T>(id: string, fn: (record: OnboardingRecord) => Promise<T>): Promise<T> {
    return this.track(this.withLock(id, async () => fn(await this.mustGet(id))));
  }

  update(id: string, change: (draft: OnboardingRecord) => void): Promise<OnboardingRecord> {
    return this.store.update(id, change, this.clock());
  }

  async mustGet(id: string): Promise<OnboardingRecord> {
    const record = await this.store.get(id);
    if (!record) throw new ActionRefused('That onboarding no longer exists.');
    return record;
  }

  nowIso(): string {
    return this.clock().toISOString();
  }

  changed(record: OnboardingRecord): OnboardingRecord {
    try {
      this.onChange?.(record);
    } catch (error) {
      this.log.warn('change listener failed', errorFields(error));
    }
    return record;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  assertAccepting(): void {
    if (!this.accepting)
      throw new ActionRefused('The bot is shutting down; try again in a minute.');
  }

  /** Stops taking new work; resolves true when everything in flight finished within `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return finished;
  }

  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.locks.set(id, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.locks.get(id) === next) this.locks.delete(id);
      });
    return next;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inFlight.delete(promise));
    return promise;
  }
}
