import { type OnboardingRecord, type OnboardingState, STATES } from '../onboarding/model.ts';
import { isOpen } from '../onboarding/policy.ts';
import { deepFreeze } from './plain.ts';

/** What the indexes and the archive need of a record, known without parsing it. */
export type RecordMeta = {
  readonly id: string;
  readonly submissionKey: string;
  readonly state: OnboardingState;
  readonly login: string;
  readonly email: string;
  readonly updatedAt: string;
};

/** A record's JSON line in a snapshot file's bytes: `buf[start, end)`. */
export type RawLine = { readonly buf: Buffer; readonly start: number; readonly end: number };

/**
 * A record as a snapshot holds it: its meta, and its parsed object, its line
 * in the file it came from, or both. A record read from the store's own
 * snapshot stays a line until something asks for it.
 */
export type Row = {
  meta: RecordMeta;
  record?: OnboardingRecord | undefined;
  raw?: RawLine | undefined;
};

/** A row as captured for a snapshot, with the slot it came from. */
export type CapturedRow = Row & { readonly slot: Slot };

type Slot = Row & { seq: number };

export const metaOf = (r: OnboardingRecord): RecordMeta => ({
  id: r.id,
  submissionKey: r.submissionKey,
  state: r.state,
  login: r.person.login,
  email: r.person.email,
  updatedAt: r.updatedAt,
});

const NONE: readonly string[] = [];
/** Open records parsed per turn of the event loop after a start. */
const WARM_SLICE = 200;

/** Ids per lower-cased key; `l:` for SIP logins, `e:` for e-mails. One id is kept as a bare string. */
class KeyIndex {
  private readonly map = new Map<string, string | Set<string>>();

  add(key: string, id: string): void {
    const ids = this.map.get(key);
    if (ids === undefined) this.map.set(key, id);
    else if (typeof ids === 'string') {
      if (ids !== id) this.map.set(key, new Set([ids, id]));
    } else ids.add(id);
  }

  delete(key: string, id: string): void {
    const ids = this.map.get(key);
    if (ids === id) this.map.delete(key);
    else if (typeof ids === 'object') {
      ids.delete(id);
      if (ids.size === 0) this.map.delete(key);
    }
  }

  get(key: string): Iterable<string> {
    const ids = this.map.get(key);
    return ids === undefined ? NONE : typeof ids === 'string' ? [ids] : ids;
  }
}

const normal = (value: string) => value.trim().toLowerCase();
const keysOf = (m: RecordMeta) => [`l:${normal(m.login)}`, `e:${normal(m.email)}`];

/**
 * The live records in memory, in insertion order, with the indexes the port's
 * queries need, so none of them scans 50k closed records: submission key,
 * e-mail/login (all live, and open only), the open ids and a count per state.
 * The indexes are built from each row's meta, so a store opened from its own
 * snapshot parses a record only when it is asked for (its bytes stay in the
 * file's buffer, outside the JS heap). Records are frozen when stored and
 * replaced, never mutated.
 */
export class LiveSet {
  private readonly slots = new Map<string, Slot>();
  /** Ids in insertion order, for `recent` (newest last). */
  private order: string[] = [];
  private nextSeq = 0;
  private readonly bySubmission = new Map<string, string>();
  private readonly byContact = new KeyIndex();
  private readonly openByContact = new KeyIndex();
  private readonly open = new Set<string>();
  private readonly counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<
    OnboardingState,
    number
  >;

  get size(): number {
    return this.slots.size;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  get(id: string): OnboardingRecord | undefined {
    const slot = this.slots.get(id);
    return slot && (slot.record ?? parse(slot));
  }

  bySubmissionKey(key: string): OnboardingRecord | undefined {
    const id = this.bySubmission.get(key);
    return id === undefined ? undefined : this.get(id);
  }

  /** Inserts or replaces (keeping the record's place in the order); returns it, deep-frozen. */
  put(record: OnboardingRecord): OnboardingRecord {
    deepFreeze(record);
    this.place({ meta: metaOf(record), record });
    return record;
  }

  /** Rows of a snapshot, in order (a parsed record in them must be frozen already). */
  load(rows: Iterable<Row>): void {
    for (const row of rows) this.place(row);
  }

  private place(row: Row): void {
    const slot = this.slots.get(row.meta.id);
    if (slot) {
      this.unindex(slot.meta);
      slot.meta = row.meta;
      slot.record = row.record;
      slot.raw = row.raw;
    } else {
      this.slots.set(row.meta.id, { ...row, seq: this.nextSeq++ });
      this.order.push(row.meta.id);
    }
    this.index(row.meta);
  }

  /** Removes the ids present; returns how many were. */
  remove(ids: Iterable<string>): number {
    let removed = 0;
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (!slot) continue;
      this.unindex(slot.meta);
      this.slots.delete(id);
      removed += 1;
    }
    if (removed > 0) this.order = this.order.filter((id) => this.slots.has(id));
    return removed;
  }

  /** Every record, oldest first (parses them all: for small stores and tools). */
  all(): OnboardingRecord[] {
    return Array.from(this.slots.values(), (slot) => slot.record ?? parse(slot));
  }

  /** Ids whose meta matches, oldest first, without parsing anything. */
  idsWhere(test: (meta: RecordMeta) => boolean): string[] {
    const ids: string[] = [];
    for (const slot of this.slots.values()) if (test(slot.meta)) ids.push(slot.meta.id);
    return ids;
  }

  /**
   * Parses the open records not parsed yet, a slice per turn of the event loop
   * (until `stop()`), instead of thousands at once on the first list or digest.
   * Closed records stay bytes until asked for.
   */
  async warmOpen(stop: () => boolean): Promise<void> {
    const ids = [...this.open].filter((id) => this.slots.get(id)?.record === undefined);
    for (let i = 0; i < ids.length && !stop(); i += WARM_SLICE) {
      for (const id of ids.slice(i, i + WARM_SLICE)) this.get(id);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Each row as it is now, for a snapshot: taken synchronously, so consistent. */
  capture(): CapturedRow[] {
    return Array.from(this.slots.values(), (slot) => ({
      meta: slot.meta,
      record: slot.record,
      raw: slot.raw,
      slot,
    }));
  }

  /**
   * After a snapshot: a row serialised for it and unchanged since keeps its
   * line, so the next snapshot copies it instead of serialising it again.
   * (Rows copied as bytes already have theirs; a file's buffer is let go once
   * no row points into it.)
   */
  rebase(rows: readonly CapturedRow[], lines: readonly (Buffer | undefined)[]): void {
    rows.forEach(({ slot, raw, record }, i) => {
      const line = lines[i];
      if (line && !raw && slot.raw === undefined && slot.record === record) {
        slot.raw = { buf: line, start: 0, end: line.length };
      }
    });
  }

  /** The newest `limit` records, newest first. */
  recent(limit: number): OnboardingRecord[] {
    const out: OnboardingRecord[] = [];
    for (let i = this.order.length - 1; i >= 0 && out.length < limit; i -= 1) {
      out.push(this.get(this.order[i]!)!);
    }
    return out;
  }

  listOpen(): OnboardingRecord[] {
    return this.sorted(this.open);
  }

  findOpen(by: { login?: string | undefined; email?: string | undefined }): OnboardingRecord[] {
    const ids = new Set<string>();
    if (by.login !== undefined)
      for (const id of this.openByContact.get(`l:${normal(by.login)}`)) ids.add(id);
    if (by.email !== undefined)
      for (const id of this.openByContact.get(`e:${normal(by.email)}`)) ids.add(id);
    return this.sorted(ids);
  }

  /** The newest live record whose e-mail or SIP login is `query`. */
  findContact(query: string): OnboardingRecord | undefined {
    const q = normal(query);
    const ids = [...this.byContact.get(`l:${q}`), ...this.byContact.get(`e:${q}`)];
    return this.sorted(ids).at(-1);
  }

  countByState(): Record<OnboardingState, number> {
    return { ...this.counts };
  }

  private sorted(ids: Iterable<string>): OnboardingRecord[] {
    const slots: Slot[] = [];
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (slot) slots.push(slot);
    }
    return slots.sort((a, b) => a.seq - b.seq).map((slot) => slot.record ?? parse(slot));
  }

  private index(meta: RecordMeta): void {
    this.bySubmission.set(meta.submissionKey, meta.id);
    this.counts[meta.state] += 1;
    const open = isOpen(meta);
    if (open) this.open.add(meta.id);
    for (const key of keysOf(meta)) {
      this.byContact.add(key, meta.id);
      if (open) this.openByContact.add(key, meta.id);
    }
  }

  private unindex(meta: RecordMeta): void {
    if (this.bySubmission.get(meta.submissionKey) === meta.id) {
      this.bySubmission.delete(meta.submissionKey);
    }
    this.counts[meta.state] -= 1;
    this.open.delete(meta.id);
    for (const key of keysOf(meta)) {
      this.byContact.delete(key, meta.id);
      this.openByContact.delete(key, meta.id);
    }
  }
}

/**
 * A record's line parsed on first use. Shallow-frozen: the line is the
 * store's own (checksummed) output, and nothing of ours mutates a stored
 * record; a deep walk would cost more than the parse.
 */
function parse(slot: Slot): OnboardingRecord {
  const { buf, start, end } = slot.raw!;
  const record = Object.freeze(JSON.parse(buf.toString('utf8', start, end)) as OnboardingRecord);
  slot.record = record;
  return record;
}
