import { existsSync } from 'node:fs';
import { Low } from 'lowdb';
import { errorFields, type Logger } from '../log.ts';
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
 * not grow with the number of records. A snapshot is written in the background
 * after `compactEvery` changes or `compactAfterMs`, whichever first, and at
 * close; the journal is rotated between two write batches, so sustained load
 * neither blocks nor postpones it.
 */
export class Store implements RecordStore {
  readonly kind = 'lowdb' as const;
  readonly shared = false;
  readonly file: string;
  readonly archiveFile: string;
  private readonly archive: ArchiveIndex;
  private readonly low: Low<Snapshot>;
  private readonly adapter: SnapshotFile;
  private readonly releaseLock: () => void;
  private readonly live = new LiveSet();
  private readonly side: SideState;
  private readonly journal: JournalWriter;
  private readonly compactEvery: number;
  private readonly compactAfterMs: number;
  private readonly log: Logger | undefined;
  /** Changes applied since the data of the last snapshot was taken. */
  private dirty = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Compactions run one after the other; `queued` is one that has not started yet. */
  private compactions: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
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
    this.adapter = adapter;
    this.low = low;
    this.releaseLock = releaseLock;
    this.journal = new JournalWriter(`${file}.journal`);
    this.compactEvery = options.compactEvery ?? 1000;
    this.compactAfterMs = options.compactAfterMs ?? 10_000;
    this.log = options.log;
    this.side = new SideState(low.data.side);
    this.live.load(low.data.rows);
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
      if (!adapter.trusted && store.size > 0) store.compactSoon();
      if (store.journalExists()) {
        // Folded by the usual triggers, like any change not yet in the snapshot.
        store.dirty = Math.max(1, entries.length);
        if (store.dirty >= store.compactEvery) store.compactSoon();
        else store.armTimer();
      }
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
      await this.journal.sync(); // it may still be on its way to the disk
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
    return Object.values(this.side.cohorts)
      .filter((run) => run.state === 'running')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
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
  ): Promise<number> {
    const lines = (this.side.outbox.get(channel) ?? []).slice(0, limit);
    if (lines.length === 0 || this.draining.has(channel)) return 0;
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
    await this.journal.sync();
  }

  /**
   * Writes a snapshot covering every change so far (also done in the
   * background and at close). Joins a compaction that has not started yet.
   */
  compact(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.compactions.then(() => {
      this.queued = undefined;
      return this.compactNow();
    });
    this.queued = run;
    this.compactions = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      try {
        await this.archiving.catch(() => {});
        if (this.dirty > 0 || this.journalExists()) await this.compact();
        else await this.compactions;
      } finally {
        clearTimeout(this.timer);
        try {
          await this.journal.close();
        } finally {
          this.releaseLock();
        }
      }
    })();
    return this.closing;
  }

  private async compactNow(): Promise<void> {
    try {
      // Between two write batches: appends go on into a fresh journal meanwhile.
      await this.journal.rotate();
    } catch (error) {
      this.armTimer();
      throw error;
    }
    // Taken synchronously: everything in journal.old is in memory, so in this data.
    const taken = this.dirty;
    this.dirty = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.live.capture();
    this.low.data = { side: this.side.snapshot(), rows };
    try {
      await this.low.write();
    } catch (error) {
      this.dirty += taken;
      this.armTimer();
      throw error;
    }
    const written = this.adapter.written;
    if (written) this.live.rebase(rows, written.lines);
    // Failing here is harmless: the next rotation folds the journal into journal.old.
    await this.journal.dropRotated();
  }

  private persist(entry: JournalEntry): Promise<void> {
    const written = this.journal.append(entry);
    this.dirty += 1;
    if (this.dirty >= this.compactEvery) this.compactSoon();
    else this.armTimer();
    return written;
  }

  private armTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.compactSoon();
    }, this.compactAfterMs);
    this.timer.unref();
  }

  private compactSoon(): void {
    this.compact().catch((error) => {
      // The journal still holds every change; the timer retries.
      this.log?.warn('store snapshot failed; the journal keeps every change', {
        file: this.file,
        ...errorFields(error),
      });
    });
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

  private journalExists(): boolean {
    return existsSync(this.journal.file) || existsSync(this.journal.oldFile);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('the store is closed');
  }
}
