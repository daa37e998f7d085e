import type pg from 'pg';
import { InTurn } from '../../in-turn.ts';
import type { OnboardingRecord } from '../../onboarding/model.ts';
import { copyPlain } from '../plain.ts';
import { RecordNotFoundError } from '../store.ts';
import { constraintOf, DuplicateOpenRecordError } from './errors.ts';
import { OPEN_LOGIN_INDEX } from './migrations.ts';
import { prepared } from './prepared.ts';
import { fromRow, RECORD_COLUMNS, recordValues, toStored } from './rows.ts';

const SET = RECORD_COLUMNS.slice(1)
  .map((c, i) => `${c} = $${i + 2}${c === 'record' ? '::jsonb' : ''}`)
  .join(', ');
const UPDATE = prepared(
  `UPDATE onboardings SET ${SET}, version = version + 1 WHERE id = $1 RETURNING version`,
);
/** Only when the row is still the version this process last wrote (compare-and-set). */
const UPDATE_IF = prepared(`UPDATE onboardings SET ${SET}, version = version + 1
  WHERE id = $1 AND archived_at IS NULL AND version = $11 AND updated_at = $12 RETURNING version`);
const LOCK = prepared(
  'SELECT id, record, version FROM onboardings WHERE id = $1 AND archived_at IS NULL FOR UPDATE',
);

/** Records this process wrote last, kept for the compare-and-set (bounded, oldest dropped). */
const REMEMBERED = 2_000;

type Transaction = <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/**
 * `update` for the PostgreSQL store. The record a replica changes is almost
 * always the one it wrote a moment ago (a pipeline's steps, its lease), so the
 * change is first applied to that copy and written in one statement that only
 * succeeds if the row is still that version (`version` and `updated_at`
 * unchanged). Otherwise — another replica wrote, the copy is gone, the change
 * refused the stale copy — it is one transaction with the row locked
 * (SELECT … FOR UPDATE), as before: one round trip instead of four.
 */
export class RecordWriter {
  private readonly known = new Map<string, { version: number; record: OnboardingRecord }>();
  /** Each record's changes from this process, in turn (see update). */
  private readonly changes = new InTurn();
  private readonly pool: pg.Pool;
  private readonly transaction: Transaction;

  constructor(pool: pg.Pool, transaction: Transaction) {
    this.pool = pool;
    this.transaction = transaction;
  }

  /**
   * Changes of one record from this process go one after another: a pipeline's parallel
   * deliveries write the same record at once, and the second compare-and-set would fail against
   * the first and take the locked path (a failed statement and four more round trips); in turn,
   * it applies to the copy the first wrote and succeeds.
   */
  update(id: string, change: (draft: OnboardingRecord) => void, now: Date) {
    return this.changes.run(id, () => this.updateNow(id, change, now));
  }

  private async updateNow(
    id: string,
    change: (draft: OnboardingRecord) => void,
    now: Date,
  ): Promise<OnboardingRecord> {
    const known = this.known.get(id);
    if (known) {
      let stored: OnboardingRecord | undefined;
      try {
        stored = applied(known.record, id, change, now);
      } catch {
        stored = undefined; // judged on a copy that may be stale: decided again on the locked row
      }
      if (stored) {
        const { rows } = await this.write(this.pool, UPDATE_IF, stored, [
          known.version,
          known.record.updatedAt,
        ]);
        if (rows[0]) return this.remember(stored, Number(rows[0].version));
      }
    }
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: string; record: unknown }>(LOCK([id]));
      if (!rows[0]) {
        this.known.delete(id);
        throw new RecordNotFoundError(`no live onboarding record ${id}`);
      }
      const stored = applied(fromRow(rows[0]), id, change, now);
      const written = await this.write(client, UPDATE, stored);
      return this.remember(stored, Number(written.rows[0]!.version));
    });
  }

  /** A record just inserted (version 0) or restored: the next update may compare-and-set. */
  inserted(record: OnboardingRecord): void {
    this.remember(record, 0);
  }

  forget(id: string): void {
    this.known.delete(id);
  }

  private async write(
    db: pg.Pool | pg.PoolClient,
    statement: (values: unknown[]) => pg.QueryConfig,
    stored: OnboardingRecord,
    extra: unknown[] = [],
  ) {
    try {
      return await db.query<{ version: string }>(statement([...recordValues(stored), ...extra]));
    } catch (error) {
      if (constraintOf(error) === OPEN_LOGIN_INDEX)
        throw new DuplicateOpenRecordError(stored.person.login);
      throw error;
    }
  }

  private remember(record: OnboardingRecord, version: number): OnboardingRecord {
    this.known.delete(record.id);
    this.known.set(record.id, { version, record });
    if (this.known.size > REMEMBERED) this.known.delete(this.known.keys().next().value!);
    return record;
  }
}

/** The change applied to a copy, validated; the change must be synchronous. */
function applied(
  record: OnboardingRecord,
  id: string,
  change: (draft: OnboardingRecord) => void,
  now: Date,
): OnboardingRecord {
  const draft = copyPlain(record);
  const result: unknown = change(draft);
  if (result instanceof Promise) throw new TypeError('a store change must be synchronous');
  if (draft.id !== id) throw new Error(`a change may not alter the record id (${id})`);
  draft.updatedAt = now.toISOString();
  return toStored(draft);
}
