import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { STATES } from '../onboarding/model.ts';
import { StoreCorruptError } from './errors.ts';
import type { RecordMeta, Row } from './live-set.ts';
import { metaOf } from './live-set.ts';
import { deepFreeze } from './plain.ts';
import { type Database, validDatabase } from './schema.ts';

/** What the data file holds beside the records. */
export type SideData = Pick<Database, 'jobs' | 'drift' | 'cohorts' | 'outbox'>;

/** The lowdb data of the store: side state and the records' rows, in order. */
export type Snapshot = { side: SideData; rows: readonly Row[] };

/** The last write's serialised lines: `lines[i]` for row i when it was serialised (not copied). */
export type Written = { lines: readonly (Buffer | undefined)[] };

/**
 * The lowdb adapter of the data file (`db.json`, plain lowdb JSON, one record
 * per line inside `onboardings`) and its index (`db.json.index`: the file's
 * SHA-256 and, per record, its meta and where its line is).
 *
 * - Reading a file whose checksum matches its index (the store's own output)
 *   parses only the index: records stay bytes until asked for. Any other file
 *   (hand-edited, or an older install's) is parsed and validated in full, and
 *   refused with a message when wrong.
 * - Writing serialises only the records changed since they were read; the
 *   others are copied as bytes. It works a slice at a time with a yield in
 *   between, writes a temp file, fsyncs and renames it over the old one, so a
 *   crash mid-write leaves the previous file whole.
 */
export class SnapshotFile implements Adapter<Snapshot> {
  readonly file: string;
  readonly indexFile: string;
  /** Rows written between two yields to the event loop. */
  readonly sliceSize: number;
  /** True after read() when the file was the store's own and only its index was parsed. */
  trusted = false;
  /** Set by write(): the lines it serialised, which the next write can copy instead. */
  written: Written | undefined;

  constructor(file: string, sliceSize = 500) {
    this.file = file;
    this.indexFile = `${file}.index`;
    this.sliceSize = sliceSize;
  }

  async read(): Promise<Snapshot | null> {
    const bytes = await readFileOrNull(this.file);
    if (bytes === null) return null;
    const trusted = await this.readTrusted(bytes);
    this.trusted = trusted !== undefined;
    if (trusted) return trusted;
    const data = validDatabase(this.file, parseJson(this.file, bytes.toString('utf8')));
    const rows = data.onboardings.map((r) => ({ meta: metaOf(r), record: deepFreeze(r) }));
    const { jobs, drift, cohorts, outbox } = data;
    return { side: { jobs, drift, cohorts, outbox }, rows };
  }

  /** The snapshot from the index, or undefined when the index does not vouch for these bytes. */
  private async readTrusted(bytes: Buffer): Promise<Snapshot | undefined> {
    const text = await readFile(this.indexFile, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    let index: unknown;
    try {
      index = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isIndex(index) || index.bytes !== bytes.length) return undefined;
    if (createHash('sha256').update(bytes).digest('hex') !== index.sha256) return undefined;
    const headEnd = bytes.indexOf(0x0a);
    const head = JSON.parse(`${bytes.toString('utf8', 0, headEnd)}]}`) as Database;
    const rows: Row[] = [];
    for (const [id, submissionKey, state, login, email, updatedAt, start, end] of index.rows) {
      if (bytes[start] !== 0x7b || bytes[end - 1] !== 0x7d) return undefined;
      const meta: RecordMeta = { id, submissionKey, state, login, email, updatedAt };
      rows.push({ meta, raw: { buf: bytes, start, end } });
    }
    const side = {
      jobs: head.jobs ?? {},
      drift: head.drift ?? [],
      cohorts: head.cohorts ?? {},
      outbox: head.outbox ?? {},
    };
    return { side: deepFreeze(side), rows };
  }

  async write(data: Snapshot): Promise<void> {
    const { rows } = data;
    mkdirSync(dirname(this.file), { recursive: true });
    const hash = createHash('sha256');
    const spans = new Float64Array(rows.length * 2);
    const serialised: (Buffer | undefined)[] = new Array(rows.length);
    let position = 0;
    const head = JSON.stringify({ version: 1, ...data.side });
    const headLine = Buffer.from(`${head.slice(0, -1)},"onboardings":[\n`);
    await writeAtomically(this.temp(this.file), this.file, async (handle) => {
      const put = async (parts: Buffer[]) => {
        for (const part of parts) hash.update(part);
        await handle.writev(parts);
      };
      await put([headLine]);
      position = headLine.length;
      for (let first = 0; first < rows.length; first += this.sliceSize) {
        const parts: Buffer[] = [];
        const last = Math.min(rows.length, first + this.sliceSize);
        for (let i = first; i < last; i += 1) {
          const { raw, record } = rows[i]!;
          let line: Buffer;
          if (raw) line = raw.buf.subarray(raw.start, raw.end);
          else {
            line = Buffer.from(JSON.stringify(record));
            serialised[i] = line;
          }
          spans[2 * i] = position;
          position += line.length;
          spans[2 * i + 1] = position;
          const tail = i + 1 < rows.length ? SEPARATOR : NEWLINE;
          parts.push(line, tail);
          position += tail.length;
        }
        await put(parts);
        // Give other work (Slack acks) a turn between slices.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await put([Buffer.from(']}\n')]);
      position += 3;
    });
    // Written after the data file: a crash in between leaves an index of the old
    // file, whose checksum no longer matches, so the next start validates in full.
    await this.writeIndex(rows, spans, hash.digest('hex'), position);
    await rm(`${this.file}.sha256`, { force: true }); // an older install's checksum
    // Not read back: an 89 MB buffer per snapshot at 50k records cost a GC stall of 20–40 ms.
    // Unchanged lines stay in the bytes they were read from (the same bytes as in the new
    // file); the serialised ones are kept as their own small buffers for the next write.
    this.written = { lines: serialised };
  }

  private async writeIndex(
    rows: readonly Row[],
    spans: Float64Array,
    sha256: string,
    bytes: number,
  ): Promise<void> {
    await writeAtomically(this.temp(this.indexFile), this.indexFile, async (handle) => {
      await handle.write(
        `{"format":1,"sha256":"${sha256}","bytes":${bytes},"count":${rows.length},"rows":[\n`,
      );
      for (let first = 0; first < rows.length; first += this.sliceSize * 4) {
        const lines: string[] = [];
        const last = Math.min(rows.length, first + this.sliceSize * 4);
        for (let i = first; i < last; i += 1) {
          const m = rows[i]!.meta;
          const entry = [m.id, m.submissionKey, m.state, m.login, m.email, m.updatedAt];
          lines.push(`${JSON.stringify(entry).slice(0, -1)},${spans[2 * i]},${spans[2 * i + 1]}]`);
        }
        await handle.write(`${lines.join(',\n')}${last < rows.length ? ',\n' : '\n'}`);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await handle.write(']}\n');
    });
  }

  private temp(file: string): string {
    tempCounter += 1;
    return join(dirname(file), `.${basename(file)}.${process.pid}.${tempCounter}.tmp`);
  }
}

const NEWLINE = Buffer.from('\n');
const SEPARATOR = Buffer.from(',\n');
let tempCounter = 0;

type IndexEntry = [string, string, RecordMeta['state'], string, string, string, number, number];
type Index = { format: 1; sha256: string; bytes: number; count: number; rows: IndexEntry[] };

/** A light check of the index's shape; its checksum is what makes it trusted. */
function isIndex(value: unknown): value is Index {
  const index = value as Index;
  return (
    typeof index === 'object' &&
    index !== null &&
    index.format === 1 &&
    typeof index.sha256 === 'string' &&
    Array.isArray(index.rows) &&
    index.rows.length === index.count &&
    index.rows.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 8 &&
        STATES.includes(e[2]) &&
        Number.isInteger(e[6]) &&
        Number.isInteger(e[7]),
    )
  );
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(
      `${file} is not valid JSON (${(error as Error).message}). It was left untouched; ` +
        'restore it from a backup or move it away to start with an empty store.',
    );
  }
}

async function readFileOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The plain content of a lowdb data file (for tools), or null when there is none. */
export async function readDataFile(file: string): Promise<unknown> {
  const bytes = await readFileOrNull(file);
  return bytes === null ? null : parseJson(file, bytes.toString('utf8'));
}

/** Writes through a temp file, fsynced, renamed over `file`; the directory is synced after. */
async function writeAtomically(
  temp: string,
  file: string,
  body: (handle: Awaited<ReturnType<typeof open>>) => Promise<void>,
): Promise<void> {
  const handle = await open(temp, 'w');
  try {
    await body(handle);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(file));
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
