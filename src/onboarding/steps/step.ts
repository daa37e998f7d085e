import type { OnboardingRecord, StepName } from '../model.ts';
import type { Providers } from '../ports.ts';

/** What a look-up learnt: the object exists, it certainly does not, or nothing can tell. */
export type Lookup<T> = { found: T } | 'absent' | 'unknown';

/** What a step sees while it runs. */
export type StepRun = {
  record: OnboardingRecord;
  providers: Providers;
  now: () => Date;
  /** Persists a change mid-step (e.g. an id that a later call of the same step needs). */
  save(change: (draft: OnboardingRecord) => void): Promise<OnboardingRecord>;
  /** Records how far the attempt got (see `effectStage`), with `change` in the same write. */
  checkpoint(stage: string, change?: (draft: OnboardingRecord) => void): Promise<void>;
};

/**
 * A declared step of the pipeline. The engine (pipeline.ts) runs every step
 * the same way: running → look up if an earlier attempt may have landed →
 * create → look up if this attempt's outcome is unknown → adopt, or record
 * failed / unknown.
 */
export type StepDef<T> = {
  name: StepName;
  /** Why the step does not apply to this record (not requested, not configured). */
  skip?: (record: OnboardingRecord, providers: Providers) => string | undefined;
  /**
   * Whether an earlier attempt took effect. Absent: it cannot be looked up
   * (an SMS), so an uncertain attempt is never repeated automatically.
   */
  find?: (run: StepRun) => Promise<Lookup<T>>;
  /**
   * Set when the attempt has a point before which it cannot have had effect
   * (the e-mail step creates its Slyk invite, idempotently, before `sending`).
   */
  effectStage?: string;
  create: (run: StepRun) => Promise<T>;
  /** Writes what was created into the record; returns the audit detail. */
  adopt: (draft: OnboardingRecord, value: T) => string;
  /** For people: what the step does, as a noun phrase. */
  label: string;
};
