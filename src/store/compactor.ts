import { existsSync } from 'node:fs';
import type { Low } from 'lowdb';
import { errorFields, type Logger } from '../log.ts';
import type { JournalEntry, JournalWriter } from './journal.ts';
import type { Snapshot, SnapshotFile, Written } from './snapshot-file.ts';

export type CompactorOptions = {
  file: string;
  journal: JournalWriter;
  low: Low<Snapshot>;
  adapter: SnapshotFile;
  /** The data as it is now (taken synchronously), and what to do with the lines written. */
  take: () => { data: Snapshot; written: (written: Written) => void };
  /** A snapshot after this many changes not yet in it (default 1000)… */
  compactEvery?: number | undefined;
  /** …or this long after the first of them (default 10 s), whichever comes first. */
  compactAfterMs?: number | undefined;
  log?: Logger | undefined;
};

/**
 * When and how the lowdb store's snapshot is written: every change is
 * appended to the journal (durable when it resolves); a snapshot follows
 * `compactEvery` changes or `compactAfterMs` after the first one, and at
 * close. The journal is rotated between two write batches, so appends never
 * wait for a snapshot and sustained load never postpones one.
 */
export class Compactor {
  private readonly o: CompactorOptions;
  private readonly compactEvery: number;
  private readonly compactAfterMs: number;
  /** Changes applied since the data of the last snapshot was taken. */
  private dirty = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Compactions run one after the other; `queued` is one that has not started yet. */
  private compactions: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private closed = false;

  constructor(options: CompactorOptions) {
    this.o = options;
    this.compactEvery = options.compactEvery ?? 1000;
    this.compactAfterMs = options.compactAfterMs ?? 10_000;
  }

  /** At open: `replayed` journal entries (or a journal left over) are folded by the usual triggers. */
  opened(replayed: number, rewrite: boolean): void {
    if (rewrite) this.compactSoon();
    if (!this.journalExists()) return;
    this.dirty = Math.max(1, replayed);
    if (this.dirty >= this.compactEvery) this.compactSoon();
    else this.armTimer();
  }

  /** Appends the entry; resolves once it is on disk. */
  persist(entry: JournalEntry): Promise<void> {
    const written = this.o.journal.append(entry);
    this.dirty += 1;
    if (this.dirty >= this.compactEvery) this.compactSoon();
    else this.armTimer();
    return written;
  }

  /** Resolves when every change so far is durable. */
  sync(): Promise<void> {
    return this.o.journal.sync();
  }

  /** Writes a snapshot covering every change so far. Joins one that has not started yet. */
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

  /** A last snapshot when anything is not in it yet, then the journal is closed. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      if (this.dirty > 0 || this.journalExists()) await this.compact();
      else await this.compactions;
    } finally {
      clearTimeout(this.timer);
      await this.o.journal.close();
    }
  }

  private async compactNow(): Promise<void> {
    const { journal, low, adapter } = this.o;
    try {
      // Between two write batches: appends go on into a fresh journal meanwhile.
      await journal.rotate();
    } catch (error) {
      this.armTimer();
      throw error;
    }
    // Taken synchronously: everything in journal.old is in memory, so in this data.
    const taken = this.dirty;
    this.dirty = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    const { data, written } = this.o.take();
    low.data = data;
    try {
      await low.write();
    } catch (error) {
      this.dirty += taken;
      this.armTimer();
      throw error;
    }
    if (adapter.written) written(adapter.written);
    // Failing here is harmless: the next rotation folds the journal into journal.old.
    await journal.dropRotated();
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
      this.o.log?.warn('store snapshot failed; the journal keeps every change', {
        file: this.o.file,
        ...errorFields(error),
      });
    });
  }

  private journalExists(): boolean {
    return existsSync(this.o.journal.file) || existsSync(this.o.journal.oldFile);
  }
}
