import { Low } from 'lowdb';
import type { CohortRun } from '../onboarding/cohort/model.ts';
import type {
  DriftItem,
  JobRun,
  OnboardingRecord,
  OnboardingState,
  OutboxLine,
} from '../onboarding/model.ts';
import { ARCHIVABLE_STATES } from '../onboarding/policy.ts';
import type { RecordStore } from '../onboarding/ports.ts';
import { archiveFileFor, archiveInBatches } from './archive.ts';
import { ArchiveIndex } from './archive-index.ts';
import { Compactor } from './compactor.ts';
import {
  RecordNotFoundError,
  StoreClosedError,
  StoreCorruptError,
  type StoreOptions,
} from './errors.ts';
import { JournalCorruptError, type JournalEntry, JournalWriter, loadJournal } from './journal.ts';
import { LiveSet } from './live-set.ts';
import { acquireLock } from './lock.ts';
import { copyPlain } from './plain.ts';
import { emptyDatabase } from './schema.ts';
import { SideState } from './side-state.ts';
import { type Snapshot, SnapshotFile } from './snapshot-file.ts';

export type { StoreOptions } from './errors.ts';
export { RecordNotFoundError, StoreClosedError, StoreCorruptError } from './errors.ts';

/** Records appended to the archive per fsync. */
const ARCHIVE_BATCH = 500;

/**
 * The lowdb implementation of the port, and the only owner of the data file:
 * `db.json` (the lowdb snapshot), `db.json.journal` (+ `.old` while a
 * snapshot is written), `db.archive.jsonl`, `db.json.lock`.
 *
 * A change is applied in memory, appended to the journal (fsync'ed; concurrent
 * changes share one flush) and resolves when it is on disk, so its cost does
 * not grow with the number of records. When the snapshot is written is
 * compactor.ts's business, how it is written snapshot-file.ts's.
 */
export class Store implements RecordStore {
  readonly kind = 'lowdb' as const;
  readonly shared = false;
  readonly file: string;
  readonly archiveFile: string;
  private readonly archive: ArchiveIndex;
  private readonly releaseLock: () => void;
  private readonly live = new LiveSet();
  private readonly side: SideState;
  private readonly snapshots: Compactor;
  private archiving: Promise<number> = Promise.resolve(0);
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    file: string,
    adapter: SnapshotFile,
    low: Low<Snapshot>,
    releaseLock: () => void,
    options: StoreOptions,
  ) {
    this.file = file;
    this.archiveFile = archiveFileFor(file);
    this.archive = new ArchiveIndex(this.archiveFile);
    this.releaseLock = releaseLock;
    this.side = new SideState(low.data.side);
    this.live.load(low.data.rows);
    this.snapshots = new Compactor({
      file,
      journal: new JournalWriter(`${file}.journal`),
      low,
      adapter,
      take: () => {
        const rows = this.live.capture();
        return {
          data: { side: this.side.snapshot(), rows },
          written: (written) => this.live.rebase(rows, written.lines),
        };
      },
      compactEvery: options.compactEvery,
      compactAfterMs: options.compactAfterMs,
      log: options.log,
    });
  }

  /**
   * Opens (or creates) the data file. A file that is not valid JSON or not the
   * expected shape stops the start with a message naming the file, and is never
   * written to.
   */
  static async open(file: string, options: StoreOptions = {}): Promise<Store> {
    const release = acquireLock(file);
    try {
      const adapter = new SnapshotFile(file, options.sliceSize);
      const { onboardings: _, version: __, ...side } = emptyDatabase();
      const low = new Low<Snapshot>(adapter, { side, rows: [] });
      // A snapshot the store wrote itself (it matches its index) is neither parsed nor validated
      // again: at 50k records that was most of two seconds of start-up. Anything else is
      // validated in full, and refused, untouched, when wrong.
      await low.read();
      let entries: JournalEntry[];
      try {
        entries = loadJournal(`${file}.journal`);
      } catch (error) {
        if (!(error instanceof JournalCorruptError)) throw error;
        throw new StoreCorruptError(
          `${error.message}. The data files were left untouched; restore them from a backup.`,
        );
      }
      const store = new Store(file, adapter, low, release, options);
      for (const entry of entries) store.apply(entry);
      // The first digest or list after a start then finds the open records parsed.
      void store.live.warmOpen(() => store.closed);
      // A file the store did not write is rewritten in its own form (with the index) at once,
      // so the next start need not parse and validate it again.
      store.snapshots.opened(entries.length, !adapter.trusted && store.size > 0);
      return store;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** How many live records. */ get size(): number {
    return this.live.size;
  }

  /** Every live record, oldest first (a fresh array; the records are frozen). */
  all(): OnboardingRecord[] {
    return this.live.all();
  }

  async get(id: string): Promise<OnboardingRecord | undefined> {
    return this.live.get(id);
  }

  async findBySubmission(key: string) {
    return this.live.bySubmissionKey(key);
  }

  async findByEmailOrLogin(query: string): Promise<OnboardingRecord | undefined> {
    const live = this.live.findContact(query);
    if (live) return live;
    return this.archive.find(query.trim().toLowerCase(), (id) => this.live.has(id));
  }

  /** Back in the live set by a journal entry: a live record always wins over its archived lines. */
  async restoreArchived(id: string): Promise<OnboardingRecord | undefined> {
    const archived = this.live.has(id) ? undefined : await this.archive.findId(id);
    return archived && !this.live.has(id)
      ? (await this.insert(archived)).record
      : this.live.get(id);
  }

  async findOpen(by: { login?: string; email?: string }): Promise<OnboardingRecord[]> {
    return this.live.findOpen(by);
  }

  async listOpen(): Promise<readonly OnboardingRecord[]> {
    return this.live.listOpen();
  }

  async recent(limit: number): Promise<readonly OnboardingRecord[]> {
    return this.live.recent(limit);
  }

  async countByState(): Promise<Record<OnboardingState, number>> {
    return this.live.countByState();
  }

  async insert(record: OnboardingRecord): Promise<{ record: OnboardingRecord; created: boolean }> {
    this.assertOpen();
    // Checked and claimed synchronously: a concurrent insert with the same key sees this one.
    const existing = this.live.bySubmissionKey(record.submissionKey);
    if (existing) {
      await this.snapshots.sync(); // it may still be on its way to the disk
      return { record: existing, created: false };
    }
    if (this.live.has(record.id)) throw new Error(`record ${record.id} exists already`);
    const stored = this.live.put(copyPlain(record));
    await this.persist({ t: 'record', record: stored });
    return { record: stored, created: true };
  }

  async update(
    id: string,
    change: (draft: OnboardingRecord) => void,
    now: Date,
  ): Promise<OnboardingRecord> {
    this.assertOpen();
    const current = this.live.get(id);
    if (!current) throw new RecordNotFoundError(`no live onboarding record ${id}`);
    const draft = copyPlain(current) as OnboardingRecord;
    const result: unknown = change(draft);
    if (result instanceof Promise) throw new TypeError('a store change must be synchronous');
    if (draft.id !== id) throw new Error(`a change may not alter the record id (${id})`);
    draft.updatedAt = now.toISOString();
    const stored = this.live.put(draft);
    await this.persist({ t: 'record', record: stored });
    return stored;
  }

  async jobRun(name: string): Promise<JobRun> {
    return this.side.jobs[name] ?? {};
  }

  setJobRun(name: string, run: JobRun): Promise<void> {
    return this.change({ t: 'job', name, run: copyPlain(run) });
  }

  /** One process owns the file: the notifier's own lanes keep the pace. */
  reservePostSlot = async (): Promise<number> => 0;
  waitAfterAnswer = async (): Promise<number> => 0;
  postAnswered = async (): Promise<void> => {};

  /** One process owns the file, so the in-memory check is the whole claim; it is persisted. */
  async claimJobSlot(job: string, slot: string): Promise<boolean> {
    const key = `slot:${job}`;
    if (this.side.jobs[key]?.lastSlot === slot) return false;
    await this.setJobRun(key, { lastSlot: slot, lastRunAt: new Date().toISOString() });
    return true;
  }

  async cohortRun(id: string): Promise<CohortRun | undefined> {
    return this.side.cohorts[id];
  }

  saveCohortRun(run: CohortRun): Promise<void> {
    return this.change({ t: 'cohort', run: copyPlain(run) });
  }

  async runningCohorts(): Promise<readonly CohortRun[]> {
    // ISO timestamps sort as plain strings; localeCompare would load ICU's collation data.
    const byAge = (a: CohortRun, b: CohortRun) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
    return Object.values(this.side.cohorts)
      .filter((run) => run.state === 'running')
      .sort(byAge);
  }

  async drift(): Promise<readonly DriftItem[]> {
    return this.side.drift;
  }

  setDrift(items: DriftItem[]): Promise<void> {
    return this.change({ t: 'drift', items: copyPlain(items) });
  }

  async addToOutbox(channel: string, text: string): Promise<void> {
    await this.change({ t: 'outbox', channel, line: { seq: this.side.nextOutboxSeq(), text } });
  }

  async outboxChannels(): Promise<readonly string[]> {
    return [...this.side.outbox.keys()];
  }

  /** One process owns the file: an in-memory flag per channel is the whole exclusion. */
  async drainOutbox(
    channel: string,
    limit: number,
    post: (lines: readonly OutboxLine[]) => Promise<void>,
  ): Promise<number | 'busy'> {
    if (this.draining.has(channel)) return 'busy';
    const lines = (this.side.outbox.get(channel) ?? []).slice(0, limit);
    if (lines.length === 0) return 0;
    this.draining.add(channel);
    try {
      await post(lines);
      await this.change({ t: 'outbox-done', channel, upTo: lines.at(-1)!.seq });
      return lines.length;
    } finally {
      this.draining.delete(channel);
    }
  }

  private readonly draining = new Set<string>();

  /** A change of side state: applied, then durable when it resolves. */
  private async change(entry: JournalEntry): Promise<void> {
    this.assertOpen();
    this.apply(entry);
    await this.persist(entry);
  }

  archiveClosed(before: Date): Promise<number> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    // One archive run at a time, so a record is never appended twice by two runs.
    const run = this.archiving.catch(() => 0).then(() => this.archiveNow(before));
    this.archiving = run;
    return run;
  }

  private archiveNow(before: Date): Promise<number> {
    const cutoff = before.getTime();
    const due = this.live
      .idsWhere((m) => ARCHIVABLE_STATES.includes(m.state) && Date.parse(m.updatedAt) < cutoff)
      .map((id) => this.live.get(id)!);
    return archiveInBatches(this.archive, due, ARCHIVE_BATCH, async (batch) => {
      // A record changed meanwhile stays live; its archived line is an older copy, ignored.
      const ids = batch.filter((r) => this.live.get(r.id) === r).map((r) => r.id);
      if (ids.length === 0) return 0;
      const entry: JournalEntry = { t: 'archived', ids };
      this.apply(entry);
      await this.persist(entry);
      return ids.length;
    });
  }

  async flush(): Promise<void> {
    await this.snapshots.sync();
  }

  /**
   * Writes a snapshot covering every change so far (also done in the
   * background and at close). Joins a compaction that has not started yet.
   */
  compact(): Promise<void> {
    return this.snapshots.compact();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      try {
        await this.archiving.catch(() => {});
        await this.snapshots.close();
      } finally {
        this.releaseLock();
      }
    })();
    return this.closing;
  }

  private persist(entry: JournalEntry): Promise<void> {
    return this.snapshots.persist(entry);
  }

  /** Applies an entry to memory (a change, or one replayed at open). */
  private apply(entry: JournalEntry): void {
    if (this.side.apply(entry)) return;
    switch (entry.t) {
      case 'record':
        this.live.put(entry.record);
        break;
      case 'archived':
        this.live.remove(entry.ids);
        break;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('the store is closed');
  }
}
