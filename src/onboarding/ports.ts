import type { OpentactClient } from '../providers/opentact.ts';
import type { SlykClient } from '../providers/slyk.ts';
import type { UserMgmtClient } from '../providers/usermgmt.ts';
import type { CohortRun } from './cohort/model.ts';
import type {
  DriftItem,
  JobRun,
  OnboardingRecord,
  OnboardingState,
  OutboxLine,
  StepName,
} from './model.ts';

/**
 * What the domain needs from storage. `src/store/` implements it (lowdb
 * today, PostgreSQL for several replicas); the domain never sees a file, a
 * journal or a connection.
 *
 * Every write resolves only once it is durable (fsync'ed or committed): the
 * domain tells a person that something happened only after that.
 */
export interface RecordStore {
  get(id: string): Promise<OnboardingRecord | undefined>;
  findBySubmission(key: string): Promise<OnboardingRecord | undefined>;
  /** The newest record, live or archived, whose e-mail or SIP login matches (case-insensitive). */
  findByEmailOrLogin(query: string): Promise<OnboardingRecord | undefined>;
  /**
   * Moves an archived record back into the live set, unchanged (its updatedAt too, so a later
   * archive run takes it again unless it changes): for an action on a long-closed record, such
   * as offboarding. Returns the live record, or undefined when no record has this id.
   */
  restoreArchived(id: string): Promise<OnboardingRecord | undefined>;
  /** Open records (policy.OPEN_STATES) using this SIP login or this e-mail (case-insensitive). */
  findOpen(by: { login?: string; email?: string }): Promise<OnboardingRecord[]>;
  /** Every open record (policy.OPEN_STATES), oldest first. */
  listOpen(): Promise<readonly OnboardingRecord[]>;
  /** The newest live records of any state, newest first. */
  recent(limit: number): Promise<readonly OnboardingRecord[]>;
  /** How many live records are in each state. */
  countByState(): Promise<Record<OnboardingState, number>>;
  /**
   * Stores a new record unless one with the same submission key exists, which
   * is returned instead (`created: false`). Durable when it resolves.
   */
  insert(record: OnboardingRecord): Promise<{ record: OnboardingRecord; created: boolean }>;
  /**
   * Applies `change` to a copy of the record and stores it atomically; durable
   * when it resolves. `change` must be synchronous and free of I/O.
   */
  update(
    id: string,
    change: (draft: OnboardingRecord) => void,
    now: Date,
  ): Promise<OnboardingRecord>;
  jobRun(name: string): Promise<JobRun>;
  setJobRun(name: string, run: JobRun): Promise<void>;
  /**
   * Reserves the next moment to post to `channel`, `intervalMs` after the
   * previous reservation by any process; resolves with how long to wait.
   */
  reservePostSlot(channel: string, intervalMs: number): Promise<number>;
  /** How long to wait so a post lands `intervalMs` after the channel's last answered one. */
  waitAfterAnswer(channel: string, intervalMs: number): Promise<number>;
  /** Records that Slack answered a post to `channel` now (read by waitAfterAnswer). */
  postAnswered(channel: string): Promise<void>;
  /** Records that `slot` of `job` is being run; true for the first caller only, across replicas. */
  claimJobSlot(job: string, slot: string): Promise<boolean>;
  cohortRun(id: string): Promise<CohortRun | undefined>;
  /** Stores the run (insert or replace); durable when it resolves. */
  saveCohortRun(run: CohortRun): Promise<void>;
  /** Runs in state `running`, oldest first (resumed at start). */
  runningCohorts(): Promise<readonly CohortRun[]>;
  drift(): Promise<readonly DriftItem[]>;
  setDrift(items: DriftItem[]): Promise<void>;
  /** Adds a line to `channel`'s outbox; durable when it resolves. */
  addToOutbox(channel: string, text: string): Promise<void>;
  /** Channels whose outbox holds lines. */
  outboxChannels(): Promise<readonly string[]>;
  /**
   * Hands the oldest `limit` lines of `channel`'s outbox to `post` and removes
   * them once it resolves; a `post` that throws leaves them for the next drain.
   * One drain per channel at a time, across replicas, so lines go out in order:
   * `'busy'` when another drain holds the channel (it may not take lines added
   * after it began: look again later). Else resolves with how many lines were
   * posted. A crash during `post` leaves its lines to be posted again (at least once).
   */
  drainOutbox(
    channel: string,
    limit: number,
    post: (lines: readonly OutboxLine[]) => Promise<void>,
  ): Promise<number | 'busy'>;
  /**
   * Moves closed records (policy.ARCHIVABLE_STATES) last changed before
   * `before` out of the live set; they stay findable by findByEmailOrLogin.
   * Returns how many moved.
   */
  archiveClosed(before: Date): Promise<number>;
  /** Resolves when every change so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** True when other processes may share the store (the domain then leases records it works on). */
  readonly shared: boolean;
}

/** The upstream APIs the domain calls (implemented by src/providers/). */
export type Providers = {
  opentact: OpentactClient;
  /** Absent when the SMS channel is not configured. */
  usermgmt?: UserMgmtClient | undefined;
  /** Absent when the e-mail channel is not configured. */
  slyk?: SlykClient | undefined;
};

/** One step attempt that reached an outcome (not a step found already settled). */
export type StepObservation = {
  step: StepName;
  outcome: 'done' | 'failed' | 'unknown' | 'skipped';
  /** Wall time of the attempt, look-ups and store writes included. */
  seconds: number;
};

/**
 * Whoever watches the domain's work (src/metrics/ in the bot). Optional; called
 * synchronously, so it must be cheap, and its failures never reach the domain.
 */
export type DomainObserver = {
  stepFinished?(observation: StepObservation): void;
};
