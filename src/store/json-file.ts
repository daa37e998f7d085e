import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import type { Database } from './schema.ts';

/**
 * A lowdb adapter for the data file that keeps the event loop free while it
 * writes. JSON.stringify of 10k records in one go blocks for tens of
 * milliseconds; this adapter serialises a slice of records at a time, yields
 * between slices, writes to a temp file and renames it over the old one, so a
 * crash mid-write leaves the previous file whole.
 *
 * Layout: one record per line inside the `onboardings` array, so the file is
 * valid JSON, greppable and diff-friendly.
 */
let tempCounter = 0;

export class ChunkedJsonFile implements Adapter<Database> {
  readonly file: string;
  /** Records serialised between two yields to the event loop. */
  readonly sliceSize: number;
  /**
   * Each record's JSON line, keyed by the record object. The store never
   * mutates a stored record (a change replaces it), so a cached line stays
   * true for as long as its object lives, and a write only stringifies the
   * records that changed since the last one.
   */
  private readonly lines = new WeakMap<object, string>();

  constructor(file: string, sliceSize = 250) {
    this.file = file;
    this.sliceSize = sliceSize;
  }

  /**
   * True after read() when the file is exactly what this adapter last wrote
   * (its SHA-256 matches the `.sha256` beside it): the store may then skip
   * re-validating a snapshot it wrote itself. A hand-edited file is not trusted.
   */
  trusted = false;

  async read(): Promise<Database | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const expected = await readFile(`${this.file}.sha256`, 'utf8').catch(() => '');
    this.trusted = expected.trim() === createHash('sha256').update(bytes).digest('hex');
    return JSON.parse(bytes.toString('utf8')) as Database;
  }

  private line(record: object): string {
    let line = this.lines.get(record);
    if (line === undefined) {
      line = JSON.stringify(record);
      this.lines.set(record, line);
    }
    return line;
  }

  async write(data: Database): Promise<void> {
    // Taken before the first await: the store replaces (never mutates) the
    // records array, so this is a consistent snapshot.
    const { onboardings, ...rest } = data;
    mkdirSync(dirname(this.file), { recursive: true });
    tempCounter += 1;
    const temp = join(
      dirname(this.file),
      `.${basename(this.file)}.${process.pid}.${tempCounter}.tmp`,
    );
    const handle = await open(temp, 'w');
    const hash = createHash('sha256');
    const put = (text: string) => {
      hash.update(text);
      return handle.write(text);
    };
    try {
      const head = JSON.stringify(rest);
      await put(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"onboardings":[\n`);
      for (let start = 0; start < onboardings.length; start += this.sliceSize) {
        const slice = onboardings.slice(start, start + this.sliceSize);
        const last = start + this.sliceSize >= onboardings.length;
        const text = slice.map((record) => this.line(record)).join(',\n');
        await put(last ? `${text}\n` : `${text},\n`);
        // Give other work (Slack acks) a turn between slices.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await put(']}\n');
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dirname(this.file));
    // Written after the rename: a crash in between leaves an old checksum, so the next
    // start validates the file instead of trusting it.
    const sum = `${temp}.sha256`;
    await writeFile(sum, `${hash.digest('hex')}\n`);
    await rename(sum, `${this.file}.sha256`);
  }
}

/** Makes a rename durable before the store relies on it (e.g. deletes the old journal). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await handle.close();
  }
}

export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

/**
 * One process owns the data file. The lock is a `<file>.lock` holding the
 * owner's pid; a lock whose process is gone is taken over.
 */
export function acquireLock(file: string): () => void {
  const lockFile = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new StoreLockedError(
          `${file} is in use by another running bot (pid ${owner}). Stop it first, or point DATA_FILE elsewhere.`,
        );
      }
      // Stale lock from a process that no longer runs (or from ourselves): take it over.
      rmSync(lockFile, { force: true });
    }
  }
  throw new StoreLockedError(`could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
