import type { CohortRun } from '../onboarding/cohort/model.ts';
import type { DriftItem, JobRun } from '../onboarding/model.ts';
import type { JournalEntry } from './journal.ts';
import { deepFreeze } from './live-set.ts';
import type { Database } from './schema.ts';

/** What the lowdb store keeps beside the records: job runs, drift, cohort runs (frozen). */
export class SideState {
  jobs: Readonly<Record<string, JobRun>>;
  drift: readonly DriftItem[];
  cohorts: Readonly<Record<string, CohortRun>>;

  constructor(data: Pick<Database, 'jobs' | 'drift' | 'cohorts'>) {
    this.jobs = deepFreeze(data.jobs);
    this.drift = deepFreeze(data.drift);
    this.cohorts = deepFreeze(data.cohorts);
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
      default:
        return false;
    }
  }

  snapshot(): Pick<Database, 'jobs' | 'drift' | 'cohorts'> {
    return { jobs: this.jobs, drift: [...this.drift], cohorts: this.cohorts };
  }
}
