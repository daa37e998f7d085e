import { Low } from 'lowdb';
import {
  type Database,
  DatabaseSchema,
  type DriftItem,
  emptyDatabase,
  type OnboardingRecord,
} from '../onboarding/model.ts';
import { JournalCorruptError, type JournalEntry, JournalWriter, readJournal } from './journal.ts';
import { acquireLock, ChunkedJsonFile } from './json-file.ts';

export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
}

/** A change attempted after close (a step still running at shutdown): it resumes at the next start. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
}

export type JobRun = Database['jobs'][string];

/**
 * The only owner of the data file: one `Low` instance for the snapshot, one
 * append-only journal for changes, one write queue.
 *
 * A change is applied in memory, appended to the journal (`<file>.journal`,
 * fsync'ed; concurrent changes share one flush) and resolves when it is on
 * disk, so its cost does not grow with the number of records. Every
 * `compactEvery` changes, and at close, the snapshot is rewritten through lowdb
 * in the background and the journal emptied.
 *
 * Records are immutable once stored: every change replaces the record and the
 * array holding it, so a snapshot in progress serialises a consistent state.
 */
export class Store {
  readonly file: string;
  private readonly low: Low<Database>;
  private readonly releaseLock: () => void;
  private readonly byId = new Map<string, number>();
  private readonly bySubmission = new Map<string, string>();
  /** Lower-case SIP login → ids of the records using it (the modal's clash check is on the ack path). */
  private readonly byLogin = new Map<string, Set<string>>();
  private readonly journal: JournalWriter;
  private readonly compactEvery: number;
  private compacting: Promise<void> | undefined;
  private closed = false;

  private constructor(
    file: string,
    low: Low<Database>,
    releaseLock: () => void,
    compactEvery: number,
  ) {
    this.file = file;
    this.low = low;
    this.releaseLock = releaseLock;
    this.journal = new JournalWriter(`${file}.journal`);
    this.compactEvery = compactEvery;
    this.reindex();
  }

  /**
   * Opens (or creates) the data file. A file that is not valid JSON or not the
   * expected shape stops the start with a message naming the file, and is never
   * written to.
   */
  static async open(
    file: string,
    options: { sliceSize?: number; compactEvery?: number } = {},
  ): Promise<Store> {
    const release = acquireLock(file);
    try {
      const low = new Low<Database>(new ChunkedJsonFile(file, options.sliceSize), emptyDatabase());
      try {
        await low.read();
      } catch (error) {
        throw new StoreCorruptError(
          `${file} is not valid JSON (${(error as Error).message}). It was left untouched; ` +
            'restore it from a backup or move it away to start with an empty store.',
        );
      }
      const parsed = DatabaseSchema.safeParse(low.data);
      if (!parsed.success) {
        const where = parsed.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
          .join('; ');
        throw new StoreCorruptError(
          `${file} does not have the expected shape (${where}). It was left untouched; ` +
            'restore it from a backup or move it away to start with an empty store.',
        );
      }
      low.data = parsed.data;
      let entries: JournalEntry[];
      try {
        entries = readJournal(`${file}.journal`);
      } catch (error) {
        if (!(error instanceof JournalCorruptError)) throw error;
        throw new StoreCorruptError(
          `${error.message}. The data files were left untouched; restore them from a backup.`,
        );
      }
      const store = new Store(file, low, release, options.compactEvery ?? 1000);
      store.replay(entries);
      if (entries.length > 0) store.compactSoon();
      return store;
    } catch (error) {
      release();
      throw error;
    }
  }

  get size(): number {
    return this.low.data.onboardings.length;
  }

  /** Every record, oldest first. The array must not be mutated. */
  all(): readonly OnboardingRecord[] {
    return this.low.data.onboardings;
  }

  get(id: string): OnboardingRecord | undefined {
    const index = this.byId.get(id);
    return index === undefined ? undefined : this.low.data.onboardings[index];
  }

  findBySubmission(key: string): OnboardingRecord | undefined {
    const id = this.bySubmission.get(key);
    return id ? this.get(id) : undefined;
  }

  /** The newest record whose e-mail or SIP login matches (case-insensitive). */
  findByEmailOrLogin(query: string): OnboardingRecord | undefined {
    const q = query.trim().toLowerCase();
    const records = this.low.data.onboardings;
    for (let i = records.length - 1; i >= 0; i -= 1) {
      const record = records[i]!;
      if (record.person.email.toLowerCase() === q || record.person.login.toLowerCase() === q) {
        return record;
      }
    }
    return undefined;
  }

  /** Every record whose SIP login is `login` (case-insensitive). */
  findByLogin(login: string): OnboardingRecord[] {
    const ids = this.byLogin.get(login.toLowerCase());
    return ids ? [...ids].map((id) => this.get(id)!).filter(Boolean) : [];
  }

  private indexLogin(record: OnboardingRecord, previous?: OnboardingRecord): void {
    if (previous && previous.person.login.toLowerCase() !== record.person.login.toLowerCase()) {
      this.byLogin.get(previous.person.login.toLowerCase())?.delete(previous.id);
    }
    const key = record.person.login.toLowerCase();
    let ids = this.byLogin.get(key);
    if (!ids) {
      ids = new Set();
      this.byLogin.set(key, ids);
    }
    ids.add(record.id);
  }

  async insert(record: OnboardingRecord): Promise<OnboardingRecord> {
    this.assertOpen();
    if (this.byId.has(record.id)) throw new Error(`record ${record.id} exists already`);
    // Typed by construction; the journal and the load validate what is read back.
    const stored = Object.freeze(record);
    this.low.data.onboardings = [...this.low.data.onboardings, stored];
    this.byId.set(stored.id, this.low.data.onboardings.length - 1);
    this.bySubmission.set(stored.submissionKey, stored.id);
    this.indexLogin(stored);
    await this.persist({ t: 'record', record: stored });
    return stored;
  }

  /** Applies `change` to a copy of the record, stores the copy, and persists. */
  async update(
    id: string,
    change: (draft: OnboardingRecord) => void,
    now: Date = new Date(),
  ): Promise<OnboardingRecord> {
    this.assertOpen();
    const index = this.byId.get(id);
    if (index === undefined) throw new Error(`no onboarding record ${id}`);
    const draft = structuredClone(this.low.data.onboardings[index]!) as OnboardingRecord;
    change(draft);
    draft.updatedAt = now.toISOString();
    const stored = Object.freeze(draft);
    const next = this.low.data.onboardings.slice();
    const previous = next[index];
    next[index] = stored;
    this.low.data.onboardings = next;
    this.indexLogin(stored, previous);
    await this.persist({ t: 'record', record: stored });
    return stored;
  }

  jobRun(name: string): JobRun {
    return this.low.data.jobs[name] ?? {};
  }

  async setJobRun(name: string, run: JobRun): Promise<void> {
    this.assertOpen();
    this.low.data.jobs = { ...this.low.data.jobs, [name]: run };
    await this.persist({ t: 'job', name, run });
  }

  drift(): readonly DriftItem[] {
    return this.low.data.drift;
  }

  async setDrift(items: DriftItem[]): Promise<void> {
    this.assertOpen();
    this.low.data.drift = items;
    await this.persist({ t: 'drift', items });
  }

  /** Resolves when everything changed so far is on disk. */
  async flush(): Promise<void> {
    await this.journal.drain();
    await this.compacting;
  }

  /** Folds the journal into the snapshot (also done in the background and at close). */
  async compact(): Promise<void> {
    while (this.compacting) await this.compacting;
    const run = (async () => {
      await this.journal.rotate();
      await this.low.write();
      await this.journal.dropRotated();
    })();
    this.compacting = run;
    try {
      await run;
    } finally {
      this.compacting = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.compact();
    await this.journal.close();
    this.releaseLock();
  }

  private persist(entry: JournalEntry): Promise<void> {
    const written = this.journal.append(entry);
    if (this.journal.entries >= this.compactEvery) this.compactSoon();
    return written;
  }

  private compactSoon(): void {
    if (this.compacting) return;
    this.compact().catch(() => {
      // The journal still holds every change; the next compaction retries.
    });
  }

  /** Applies journal entries (idempotent upserts) read at open. */
  private replay(entries: JournalEntry[]): void {
    const records = this.low.data.onboardings.slice();
    const index = new Map(records.map((r, i) => [r.id, i]));
    for (const entry of entries) {
      if (entry.t === 'record') {
        const at = index.get(entry.record.id);
        if (at === undefined) {
          index.set(entry.record.id, records.length);
          records.push(entry.record);
        } else records[at] = entry.record;
      } else if (entry.t === 'job') {
        this.low.data.jobs = { ...this.low.data.jobs, [entry.name]: entry.run };
      } else {
        this.low.data.drift = entry.items;
      }
    }
    this.low.data.onboardings = records.map((r) => Object.freeze(r));
    this.reindex();
  }

  private reindex(): void {
    this.byId.clear();
    this.bySubmission.clear();
    this.byLogin.clear();
    this.low.data.onboardings.forEach((record, index) => {
      this.byId.set(record.id, index);
      this.bySubmission.set(record.submissionKey, record.id);
      this.indexLogin(record);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('the store is closed');
  }
}
