import { randomUUID } from 'node:crypto';
import { InTurn } from '../in-turn.ts';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import type { Clock } from './clock.ts';
import { ActionRefused } from './errors.ts';
import type { OnboardingRecord } from './model.ts';
import type { DomainObserver, Providers, RecordStore, StepObservation } from './ports.ts';

export type CoreOptions = {
  store: RecordStore;
  providers: Providers;
  clock: Clock;
  logger: Logger;
  /** Called after a pipeline run or an action changed a record. */
  onChange?: ((record: OnboardingRecord) => void) | undefined;
  /** How long a lease on a record lasts without renewal (shared stores only). */
  leaseMs?: number | undefined;
  /** Told about step outcomes (metrics). */
  observer?: DomainObserver | undefined;
};

/** Another process holds the record's lease: it is working on it right now. */
export class LeaseHeld extends ActionRefused {
  override name = 'LeaseHeld';
}

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
  private readonly locks = new InTurn();
  private readonly inFlight = new Set<Promise<unknown>>();
  private accepting = true;
  /** This process, as the owner of the leases it takes. */
  readonly owner = randomUUID();
  readonly leaseMs: number;
  private readonly observer: DomainObserver | undefined;

  constructor(options: CoreOptions) {
    this.store = options.store;
    this.providers = options.providers;
    this.clock = options.clock;
    this.log = options.logger;
    this.onChange = options.onChange;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.observer = options.observer;
  }

  /**
   * Runs `fn` on the current record, after every earlier operation on it in
   * this process and — on a shared store — while holding the record's lease, so
   * no other replica works on it at the same time. Refused while shutting down.
   */
  perform<T>(id: string, fn: (record: OnboardingRecord) => Promise<T>): Promise<T> {
    this.assertAccepting();
    return this.track(
      this.withLock(id, async () => {
        if (!this.store.shared) return fn(await this.mustGet(id));
        const record = await this.lease(id);
        const renew = setInterval(() => {
          this.lease(id).catch((error) =>
            this.log.warn('could not renew a lease', errorFields(error)),
          );
        }, this.leaseMs / 3);
        try {
          return await fn(record);
        } finally {
          clearInterval(renew);
          await this.release(id).catch(() => undefined);
        }
      }),
    );
  }

  /**
   * Bookkeeping that calls nothing upstream (where a message lives in Slack): after this
   * process's earlier operations on the record, also while draining, so it is not lost at a
   * shutdown. No lease: the store's update is atomic, and a lease only keeps two replicas from
   * working on one record at once (taking and releasing it cost two more writes).
   */
  note(id: string, change: (draft: OnboardingRecord) => void): Promise<OnboardingRecord> {
    return this.track(this.withLock(id, () => this.update(id, change)));
  }

  /** Whether a record's lease is held by another live process. */
  leasedElsewhere(record: OnboardingRecord, now = this.clock()): boolean {
    const lease = record.lease;
    return (
      lease !== undefined && lease.owner !== this.owner && Date.parse(lease.until) > now.getTime()
    );
  }

  /** Takes or renews the lease atomically (the store's update is one locked transaction). */
  private lease(id: string): Promise<OnboardingRecord> {
    const now = this.clock();
    return this.update(id, (draft) => {
      if (this.leasedElsewhere(draft, now)) {
        throw new LeaseHeld(
          'Another replica is working on this onboarding right now; try again in a moment.',
        );
      }
      draft.lease = {
        owner: this.owner,
        until: new Date(now.getTime() + this.leaseMs).toISOString(),
      };
    });
  }

  private release(id: string): Promise<OnboardingRecord> {
    return this.update(id, (draft) => {
      if (draft.lease?.owner === this.owner) delete draft.lease;
    });
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

  observeStep(observation: StepObservation): void {
    try {
      this.observer?.stepFinished?.(observation);
    } catch (error) {
      this.log.warn('step observer failed', errorFields(error));
    }
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
    return this.locks.run(id, fn);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inFlight.delete(promise));
    return promise;
  }
}
