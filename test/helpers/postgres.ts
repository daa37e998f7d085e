import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The embedded server's admin URL (started once per run by postgres-server.ts). */
export const postgresAdminUrl = (): string => inject('postgresUrl');

/** Creates an empty database on the test server; returns its URL. */
export async function freshDatabaseUrl(name = 'test'): Promise<string> {
  const admin = new URL(postgresAdminUrl());
  const database = `${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
  admin.pathname = `/${database}`;
  return admin.href;
}

const reusable = new Map<string, string>();

/**
 * A database for this test file, emptied on each call: creating one costs
 * 100-400 ms, emptying one a few. Only for tests that run one after another.
 */
export async function emptyDatabaseUrl(name = 'test'): Promise<string> {
  const url = reusable.get(name);
  if (!url) {
    const created = await freshDatabaseUrl(name);
    reusable.set(name, created);
    return created;
  }
  await query(
    url,
    `DO $$ BEGIN
       IF to_regclass('onboardings') IS NOT NULL THEN
         TRUNCATE onboardings, job_runs, drift RESTART IDENTITY;
       END IF;
     END $$`,
  );
  return url;
}

/** Runs one query against a database (for assertions about the schema itself). */
export async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
