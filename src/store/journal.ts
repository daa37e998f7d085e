import { existsSync, readFileSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { z } from 'zod';
import { DriftItemSchema, JobRunSchema, OnboardingRecordSchema } from '../onboarding/model.ts';

/**
 * An append-only journal beside the lowdb snapshot. Every change appends one
 * JSON line (the whole new record, a job run, or the drift list) and is
 * fsync'ed, so a change costs the same with 50 records or 50k. Entries are
 * idempotent upserts: replaying one twice changes nothing.
 *
 * Compaction (a new snapshot) rotates the journal first (`journal` →
 * `journal.old`), writes the snapshot, then deletes `journal.old`; whatever
 * the moment of a crash, snapshot + old journal + journal rebuild the state.
 */

export const JournalEntrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('record'), record: OnboardingRecordSchema }),
  z.object({ t: z.literal('job'), name: z.string(), run: JobRunSchema }),
  z.object({ t: z.literal('drift'), items: z.array(DriftItemSchema) }),
]);
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

export class JournalCorruptError extends Error {
  override name = 'JournalCorruptError';
}

/** Reads `file.old` then `file`. A torn last line (a crash mid-append) is ignored. */
export function readJournal(file: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const path of [`${file}.old`, file]) {
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    // The piece after the last newline is '' or a line torn by a crash mid-append.
    const complete = text.split('\n').slice(0, -1);
    complete.forEach((line, index) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new JournalCorruptError(`${path} line ${index + 1} is not valid JSON`);
      }
      const entry = JournalEntrySchema.safeParse(parsed);
      if (!entry.success) {
        const issue = entry.error.issues[0];
        throw new JournalCorruptError(
          `${path} line ${index + 1} does not have the expected shape (${issue?.path.join('.')}: ${issue?.message})`,
        );
      }
      entries.push(entry.data);
    });
  }
  return entries;
}

/** The writer: batches appends that arrive while one is being flushed. */
export class JournalWriter {
  readonly file: string;
  private handle: FileHandle | undefined;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** While rotating, appends wait in memory. */
  private paused = false;
  /** Entries appended since the last compaction. */
  entries = 0;

  constructor(file: string) {
    this.file = file;
  }

  append(entry: JournalEntry): Promise<void> {
    this.pending.push(`${JSON.stringify(entry)}\n`);
    this.entries += 1;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing && !this.paused) this.flushing = this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const text = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        this.handle ??= await open(this.file, 'a');
        await this.handle.write(text);
        await this.handle.datasync();
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.flushing = undefined;
  }

  /** Resolves when every append so far is on disk. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Moves the current journal aside; later appends go to a fresh one. */
  async rotate(): Promise<void> {
    this.paused = true;
    try {
      await this.drain();
      await this.handle?.close();
      this.handle = undefined;
      if (existsSync(this.file)) await rename(this.file, `${this.file}.old`);
      this.entries = this.pending.length;
    } finally {
      this.paused = false;
      if (this.pending.length > 0 && !this.flushing) this.flushing = this.flush();
    }
  }

  /** Deletes the rotated journal once the snapshot that covers it is on disk. */
  async dropRotated(): Promise<void> {
    await rm(`${this.file}.old`, { force: true });
  }

  async close(): Promise<void> {
    await this.drain();
    await this.handle?.close();
    this.handle = undefined;
  }
}
