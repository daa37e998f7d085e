import { type OnboardingRecord, type OnboardingState, STATES } from '../onboarding/model.ts';
import { isOpen } from '../onboarding/policy.ts';

type Slot = { record: OnboardingRecord; seq: number };

/** Frozen all the way down: the snapshot writer caches a record's JSON by object. */
export function deepFreeze<T>(value: T): T {
  const object = value as Record<string, unknown>;
  Object.freeze(object);
  if (Array.isArray(object)) {
    for (const child of object) if (typeof child === 'object' && child !== null) deepFreeze(child);
    return value;
  }
  for (const key in object) {
    const child = object[key];
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) deepFreeze(child);
  }
  return value;
}

const NONE: readonly string[] = [];

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
const keysOf = (r: OnboardingRecord) => [
  `l:${normal(r.person.login)}`,
  `e:${normal(r.person.email)}`,
];

/**
 * The live records in memory, in insertion order, with the indexes the port's
 * queries need, so none of them scans 50k closed records: submission key,
 * e-mail/login (all live, and open only), the open ids and a count per state.
 * Records are frozen when stored and replaced, never mutated.
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
    return this.slots.get(id)?.record;
  }

  bySubmissionKey(key: string): OnboardingRecord | undefined {
    const id = this.bySubmission.get(key);
    return id === undefined ? undefined : this.get(id);
  }

  /**
   * Inserts or replaces (keeping the record's place in the order); returns it
   * frozen — deep by default, shallow for a bulk load from a snapshot the store
   * wrote itself (nothing of ours mutates a stored record; the deep walk over
   * 50k records costs a large part of the start-up).
   */
  put(record: OnboardingRecord, shallow = false): OnboardingRecord {
    if (shallow) Object.freeze(record);
    else deepFreeze(record);
    const slot = this.slots.get(record.id);
    if (slot) {
      this.unindex(slot.record);
      slot.record = record;
    } else {
      this.slots.set(record.id, { record, seq: this.nextSeq++ });
      this.order.push(record.id);
    }
    this.index(record);
    return record;
  }

  /** Removes the ids present; returns how many were. */
  remove(ids: Iterable<string>): number {
    let removed = 0;
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (!slot) continue;
      this.unindex(slot.record);
      this.slots.delete(id);
      removed += 1;
    }
    if (removed > 0) this.order = this.order.filter((id) => this.slots.has(id));
    return removed;
  }

  /** Every record, oldest first. */
  all(): OnboardingRecord[] {
    return Array.from(this.slots.values(), (slot) => slot.record);
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
    return slots.sort((a, b) => a.seq - b.seq).map((slot) => slot.record);
  }

  private index(record: OnboardingRecord): void {
    this.bySubmission.set(record.submissionKey, record.id);
    this.counts[record.state] += 1;
    const open = isOpen(record);
    if (open) this.open.add(record.id);
    for (const key of keysOf(record)) {
      this.byContact.add(key, record.id);
      if (open) this.openByContact.add(key, record.id);
    }
  }

  private unindex(record: OnboardingRecord): void {
    if (this.bySubmission.get(record.submissionKey) === record.id) {
      this.bySubmission.delete(record.submissionKey);
    }
    this.counts[record.state] -= 1;
    this.open.delete(record.id);
    for (const key of keysOf(record)) {
      this.byContact.delete(key, record.id);
      this.openByContact.delete(key, record.id);
    }
  }
}
