import type { CohortRun } from '../onboarding/cohort/model.ts';
import type { DriftItem, JobRun, OutboxLine } from '../onboarding/model.ts';
import type { JournalEntry } from './journal.ts';
import { deepFreeze } from './plain.ts';
import type { Database } from './schema.ts';

/** What the lowdb store keeps beside the records: job runs, drift, cohort runs, the outbox (frozen). */
export class SideState {
  jobs: Readonly<Record<string, JobRun>>;
  drift: readonly DriftItem[];
  cohorts: Readonly<Record<string, CohortRun>>;
  outbox: Map<string, readonly OutboxLine[]>;

  constructor(data: Pick<Database, 'jobs' | 'drift' | 'cohorts' | 'outbox'>) {
    this.jobs = deepFreeze(data.jobs);
    this.drift = deepFreeze(data.drift);
    this.cohorts = deepFreeze(data.cohorts);
    this.outbox = new Map(Object.entries(deepFreeze(data.outbox ?? {})));
  }

  /** The next outbox line's number (one sequence for all channels). */
  nextOutboxSeq(): number {
    let last = 0;
    for (const lines of this.outbox.values()) last = Math.max(last, lines.at(-1)?.seq ?? 0);
    return last + 1;
  }

  /** Applies a journal entry about side state; false for entries about records. */
  apply(entry: JournalEntry): boolean {
    switch (entry.t) {
      case 'job':
        this.jobs = Object.freeze({ ...this.jobs, [entry.name]: deepFreeze(entry.run) });
        return true;
      case 'drift':
        this.drift = deepFreeze(entry.items);
        return true;
      case 'cohort':
        this.cohorts = Object.freeze({ ...this.cohorts, [entry.run.id]: deepFreeze(entry.run) });
        return true;
      case 'outbox': {
        // Idempotent on replay: a line already there (same seq) is not added again.
        const lines = this.outbox.get(entry.channel) ?? [];
        if (!lines.some((l) => l.seq === entry.line.seq)) {
          this.outbox.set(entry.channel, [...lines, deepFreeze(entry.line)]);
        }
        return true;
      }
      case 'outbox-done': {
        const left = (this.outbox.get(entry.channel) ?? []).filter((l) => l.seq > entry.upTo);
        if (left.length > 0) this.outbox.set(entry.channel, left);
        else this.outbox.delete(entry.channel);
        return true;
      }
      default:
        return false;
    }
  }

  snapshot(): Pick<Database, 'jobs' | 'drift' | 'cohorts' | 'outbox'> {
    const outbox = Object.fromEntries(
      [...this.outbox].map(([channel, lines]) => [channel, [...lines]]),
    );
    return { jobs: this.jobs, drift: [...this.drift], cohorts: this.cohorts, outbox };
  }
}
