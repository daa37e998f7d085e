import type pg from 'pg';
import type { OnboardingRecord } from '../../onboarding/model.ts';
import { constraintOf, isUniqueViolation } from './errors.ts';
import { RECORD_COLUMNS, recordValues } from './rows.ts';

export type ImportCounts = {
  /** New in PostgreSQL. */
  inserted: number;
  /** Present, but older than the copy imported. */
  updated: number;
  /** Present with the same or a newer updatedAt: left as it was. */
  present: number;
  /** Refused by a unique constraint (submission key or open login held by another id). */
  conflicts: { id: string; constraint: string }[];
};

const BATCH = 500;
const COLUMNS = [...RECORD_COLUMNS, 'archived_at'];
const UPSERT_TAIL = `ON CONFLICT (id) DO UPDATE SET ${COLUMNS.slice(1)
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ')}
  WHERE onboardings.updated_at < EXCLUDED.updated_at
  RETURNING (xmax = 0) AS inserted`;

function upsertSql(rows: number): string {
  const width = COLUMNS.length;
  const tuples = Array.from({ length: rows }, (_, r) => {
    const cells = COLUMNS.map((c, i) => `$${r * width + i + 1}${c === 'record' ? '::jsonb' : ''}`);
    return `(${cells.join(', ')})`;
  });
  return `INSERT INTO onboardings (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ${UPSERT_TAIL}`;
}

/**
 * Upserts by id, the newer updatedAt winning, in batches; a batch refused by
 * a unique constraint is retried row by row so only the conflicting rows are
 * left out (and reported). Ids must be distinct.
 */
export async function importRecords(
  pool: pg.Pool,
  records: readonly OnboardingRecord[],
  archived: boolean,
): Promise<ImportCounts> {
  const counts: ImportCounts = { inserted: 0, updated: 0, present: 0, conflicts: [] };
  const archivedAt = archived ? new Date().toISOString() : null;
  const upsert = async (batch: readonly OnboardingRecord[]) => {
    const params = batch.flatMap((r) => [...recordValues(r), archivedAt]);
    const { rows } = await pool.query<{ inserted: boolean }>(upsertSql(batch.length), params);
    const inserted = rows.filter((row) => row.inserted).length;
    counts.inserted += inserted;
    counts.updated += rows.length - inserted;
    counts.present += batch.length - rows.length;
  };
  for (let start = 0; start < records.length; start += BATCH) {
    const batch = records.slice(start, start + BATCH);
    try {
      await upsert(batch);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      for (const record of batch) {
        try {
          await upsert([record]);
        } catch (rowError) {
          if (!isUniqueViolation(rowError)) throw rowError;
          counts.conflicts.push({ id: record.id, constraint: constraintOf(rowError) ?? 'unique' });
        }
      }
    }
  }
  return counts;
}
