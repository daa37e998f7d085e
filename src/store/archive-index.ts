import { open } from 'node:fs/promises';
import { type OnboardingRecord, OnboardingRecordSchema } from '../onboarding/model.ts';

/** Where an archived record's last line is, and what a lookup needs to know of it. */
type Entry = { offset: number; length: number; keys: readonly string[]; createdAt: number };

const CHUNK = 1 << 20;
/** Lines parsed between two yields while the index is built. */
const SLICE = 500;

const keysOf = (r: Pick<OnboardingRecord, 'person'>) => [
  `l:${r.person.login.toLowerCase()}`,
  `e:${r.person.email.toLowerCase()}`,
];

/**
 * An in-memory index of the archive (`db.archive.jsonl`): per id, where its
 * last line is; per lower-cased SIP login and e-mail, the ids. Every
 * submission asks whether its login was used before, archived records
 * included: without the index that read the whole archive (0.5 s at 50k
 * archived records, before the ack). It is built once at open, in the
 * background a slice at a time (lookups wait for it), and kept up to date by
 * the appends; a lookup then reads one line.
 */
export class ArchiveIndex {
  readonly file: string;
  private readonly byId = new Map<string, Entry>();
  private readonly byKey = new Map<string, Set<string>>();
  /** Resolves once the lines present at open are indexed. */
  readonly ready: Promise<void>;

  constructor(file: string) {
    this.file = file;
    this.ready = this.build().catch(() => undefined);
  }

  /** Records the lines just appended at `offset` (one per record, in order). */
  appended(offset: number, lines: readonly { record: OnboardingRecord; bytes: number }[]): void {
    let at = offset;
    for (const { record, bytes } of lines) {
      this.put(record.id, {
        offset: at,
        length: bytes,
        keys: keysOf(record),
        createdAt: Date.parse(record.createdAt),
      });
      at += bytes;
    }
  }

  /**
   * The newest archived record (by createdAt, then by position) whose e-mail or
   * SIP login is `q` (lower-case), among ids that are not live.
   */
  async find(q: string, isLive: (id: string) => boolean): Promise<OnboardingRecord | undefined> {
    await this.ready;
    const candidates = new Map<string, Entry>();
    for (const key of [`l:${q}`, `e:${q}`]) {
      for (const id of this.byKey.get(key) ?? []) {
        if (!isLive(id)) candidates.set(id, this.byId.get(id)!);
      }
    }
    const newestFirst = [...candidates.values()].sort(
      (a, b) => b.createdAt - a.createdAt || b.offset - a.offset,
    );
    // A line that does not validate in full is skipped, as a bad line is everywhere.
    for (const entry of newestFirst) {
      const record = await this.read(entry);
      if (record) return record;
    }
    return undefined;
  }

  /** The last archived version of the record `id`. */
  async findId(id: string): Promise<OnboardingRecord | undefined> {
    await this.ready;
    const entry = this.byId.get(id);
    return entry ? this.read(entry) : undefined;
  }

  /** A later line for an id replaces the earlier one (the last line wins). */
  private put(id: string, entry: Entry): void {
    const old = this.byId.get(id);
    if (old && old.offset > entry.offset) return;
    if (old) for (const key of old.keys) this.byKey.get(key)?.delete(id);
    this.byId.set(id, entry);
    for (const key of entry.keys) {
      const ids = this.byKey.get(key) ?? new Set<string>();
      ids.add(id);
      this.byKey.set(key, ids);
    }
  }

  private async read(entry: Entry): Promise<OnboardingRecord | undefined> {
    const handle = await open(this.file, 'r');
    try {
      const buffer = Buffer.alloc(entry.length);
      await handle.read(buffer, 0, entry.length, entry.offset);
      return parseLine(buffer.toString('utf8'));
    } finally {
      await handle.close();
    }
  }

  /** Reads the archive once, a chunk at a time; a bad line is skipped, as everywhere. */
  private async build(): Promise<void> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      // Only what is there now: lines appended meanwhile are indexed by `appended`.
      const size = (await handle.stat()).size;
      let carry = Buffer.alloc(0);
      let base = 0; // file offset of carry[0]
      let parsed = 0;
      for (let position = 0; position < size; ) {
        const chunk = Buffer.alloc(Math.min(CHUNK, size - position));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk;
        let start = 0;
        for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
          this.index(data.subarray(start, end), base + start);
          start = end + 1;
          parsed += 1;
          if (parsed % SLICE === 0) await new Promise<void>((r) => setImmediate(r));
        }
        carry = data.subarray(start);
        base += start;
      }
      if (carry.length > 0) this.index(carry, base); // a last line without its newline
    } finally {
      await handle.close();
    }
  }

  /** Only what the index needs is read here; a line is validated in full when it is looked up. */
  private index(line: Buffer, offset: number): void {
    let record: OnboardingRecord;
    try {
      record = JSON.parse(line.toString('utf8')) as OnboardingRecord;
    } catch {
      return;
    }
    const p = record?.person;
    if (typeof record?.id !== 'string' || typeof p?.login !== 'string') return;
    if (typeof p.email !== 'string' || typeof record.createdAt !== 'string') return;
    this.put(record.id, {
      offset,
      length: line.length,
      keys: keysOf(record),
      createdAt: Date.parse(record.createdAt),
    });
  }
}

export function parseLine(line: string): OnboardingRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed = OnboardingRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
