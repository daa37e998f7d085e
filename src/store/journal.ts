import { constants, existsSync, readFileSync, truncateSync } from 'node:fs';
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { z } from 'zod';
import { CohortRunSchema } from '../onboarding/cohort/model.ts';
import {
  DriftItemSchema,
  JobRunSchema,
  OnboardingRecordSchema,
  OutboxLineSchema,
} from '../onboarding/model.ts';

/**
 * An append-only journal beside the lowdb snapshot. Every change appends one
 * JSON line (the whole new record, a job run, the drift list, or the ids moved
 * to the archive) and is fsync'ed, so a change costs the same with 50 records
 * or 50k. Entries are idempotent upserts and deletes: replaying a sequence
 * twice in a row ends in the same state as replaying it once.
 *
 * Compaction rotates the journal (`journal` → `journal.old`) between two
 * write batches, writes the snapshot, then deletes `journal.old`; whatever the
 * moment of a crash, snapshot + `journal.old` + `journal` rebuild the state.
 */

export const JournalEntrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('record'), record: OnboardingRecordSchema }),
  z.object({ t: z.literal('job'), name: z.string(), run: JobRunSchema }),
  z.object({ t: z.literal('drift'), items: z.array(DriftItemSchema) }),
  z.object({ t: z.literal('archived'), ids: z.array(z.string()) }),
  z.object({ t: z.literal('cohort'), run: CohortRunSchema }),
  z.object({ t: z.literal('outbox'), channel: z.string(), line: OutboxLineSchema }),
  z.object({ t: z.literal('outbox-done'), channel: z.string(), upTo: z.number().int() }),
]);
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

export class JournalCorruptError extends Error {
  override name = 'JournalCorruptError';
}

const NEWLINE = 0x0a;

/**
 * Reads `file.old` then `file`. A torn last line (a crash mid-append, never
 * acknowledged) is ignored and cut off, so the next append starts a clean
 * line; any other bad line throws and leaves the files untouched.
 */
export function loadJournal(file: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  const torn: { path: string; length: number }[] = [];
  for (const path of [`${file}.old`, file]) {
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    const end = bytes.lastIndexOf(NEWLINE) + 1;
    if (end < bytes.length) torn.push({ path, length: end });
    const lines = bytes.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
    lines.forEach((line, index) => {
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
  for (const { path, length } of torn) truncateSync(path, length);
  return entries;
}

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

const settle = (waiters: Waiter[], error?: unknown) => {
  for (const w of waiters) error === undefined ? w.resolve() : w.reject(error);
};

/**
 * The writer. One loop does all file work in order: appends that arrive while
 * a batch is being fsync'ed form the next batch (group commit), and a rotation
 * request is served between two batches, so appends never wait for a
 * compaction and a rotation never waits for an idle moment.
 */
export class JournalWriter {
  readonly file: string;
  private handle: FileHandle | undefined;
  /** Bytes known to be in the file: a failed write is cut back to this. */
  private size = 0;
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private rotations: Waiter[] = [];
  private looping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(file: string) {
    this.file = file;
  }

  get oldFile(): string {
    return `${this.file}.old`;
  }

  /** Resolves once the entry is fsync'ed. */
  append(entry: JournalEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.file} is closed`));
    this.pending.push(`${JSON.stringify(entry)}\n`);
    return this.enqueue(this.waiters);
  }

  /** Resolves once every entry appended before the call is on disk. */
  sync(): Promise<void> {
    if (!this.looping) return Promise.resolve();
    return this.enqueue(this.waiters);
  }

  /** Moves the current journal aside (at the next point between two batches). */
  rotate(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.file} is closed`));
    return this.enqueue(this.rotations);
  }

  /** Deletes the rotated journal once a snapshot that covers it is on disk. */
  async dropRotated(): Promise<void> {
    await rm(this.oldFile, { force: true });
  }

  /** Waits for the loop to finish, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.looping) await this.loopDone;
    await this.closeHandle();
  }

  private enqueue(list: Waiter[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => list.push({ resolve, reject }));
    if (!this.looping) {
      this.looping = true;
      this.loopDone = this.loop();
    }
    return done;
  }

  private async loop(): Promise<void> {
    try {
      while (this.rotations.length > 0 || this.waiters.length > 0) {
        if (this.rotations.length > 0) await this.rotateNow();
        if (this.waiters.length > 0) await this.writeBatch();
      }
    } finally {
      // Synchronous with the last check: an append after this starts a new loop.
      this.looping = false;
    }
  }

  private async writeBatch(): Promise<void> {
    const text = this.pending.join('');
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    if (text === '') return settle(waiters);
    try {
      const handle = await this.openHandle();
      // The file is open with O_DSYNC: a write returns once it is on disk, as write + fdatasync
      // would, in one trip to the thread pool instead of two (the ack waits for this one).
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.length; ) {
        done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
      }
      this.size += bytes.length;
      settle(waiters);
    } catch (error) {
      settle(waiters, error);
      // Cut off a partial write so the next batch starts on a clean line.
      const handle = this.handle;
      this.handle = undefined;
      await handle?.truncate(this.size).catch(() => {});
      await handle?.close().catch(() => {});
    }
  }

  private async rotateNow(): Promise<void> {
    const waiters = this.rotations;
    this.rotations = [];
    try {
      await this.closeHandle();
      if (!existsSync(this.file)) return settle(waiters);
      if (!existsSync(this.oldFile)) {
        await rename(this.file, this.oldFile);
      } else {
        // A previous snapshot did not complete: keep both, in order, in the old file.
        const text = await readFile(this.file);
        if (text.length > 0) await appendDurably(this.oldFile, text);
        await rm(this.file);
      }
      settle(waiters);
    } catch (error) {
      settle(waiters, error);
    }
  }

  private async openHandle(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    const { O_APPEND, O_CREAT, O_WRONLY, O_DSYNC } = constants;
    const handle = await open(this.file, O_APPEND | O_CREAT | O_WRONLY | O_DSYNC, 0o644);
    try {
      this.size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.handle = handle;
    return handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/**
 * Appends `data` (whole lines) to `path` and fsyncs it; resolves with the file offset where
 * `data` begins. The handle is closed on every path.
 */
export async function appendDurably(path: string, data: string | Buffer): Promise<number> {
  const handle = await open(path, 'a+');
  try {
    const { size } = await handle.stat();
    let offset = size;
    if (size > 0) {
      // A torn last line (a crash mid-append) must not swallow the first new one.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) {
        await handle.writeFile('\n');
        offset += 1;
      }
    }
    await handle.writeFile(data);
    await handle.datasync();
    return offset;
  } finally {
    await handle.close();
  }
}
