import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.ts';

/** The advisory lock key taken by migrations (any constant unique to this bot). */
export const MIGRATION_LOCK = 7_146_284_001;

export type MigrationResult = {
  /** Versions applied by this call (none when another process got there first). */
  applied: number[];
  /** Versions in the database this release does not know (a newer release migrated). */
  unknown: number[];
};

/**
 * Brings the schema up to date: one transaction under a transaction-level
 * advisory lock, so replicas starting together migrate once; the others wait,
 * then find every version recorded in schema_migrations. All-or-nothing: a
 * failing migration leaves the schema as it was.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Waiting for another replica's migration, or running a long one, is expected here.
    await client.query("SET LOCAL lock_timeout = '60s'");
    await client.query("SET LOCAL statement_timeout = '10min'");
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations',
    );
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    const known = new Set(migrations.map((m) => m.version));
    return { applied, unknown: [...done].filter((v) => !known.has(v)).sort((a, b) => a - b) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
