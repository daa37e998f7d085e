import type pg from 'pg';
import { z } from 'zod';
import { type CohortRun, CohortRunSchema } from '../../onboarding/cohort/model.ts';
import {
  type DriftItem,
  DriftItemSchema,
  type JobRun,
  JobRunSchema,
  type OutboxLine,
} from '../../onboarding/model.ts';
import { prepared } from './prepared.ts';

/** The small tables beside the records: job runs and slots, channel pace, drift, cohort runs, the outbox. */

export async function jobRun(pool: pg.Pool, name: string): Promise<JobRun> {
  const { rows } = await pool.query<{ run: unknown }>('SELECT run FROM job_runs WHERE name = $1', [
    name,
  ]);
  return rows[0] ? JobRunSchema.parse(rows[0].run) : {};
}

export async function setJobRun(pool: pg.Pool, name: string, run: JobRun): Promise<void> {
  await pool.query(
    `INSERT INTO job_runs (name, run) VALUES ($1, $2::jsonb)
     ON CONFLICT (name) DO UPDATE SET run = EXCLUDED.run, updated_at = now()`,
    [name, JSON.stringify(JobRunSchema.parse(run))],
  );
}

const RESERVE_SLOT = prepared(
  `INSERT INTO channel_pace (channel, next_at) VALUES ($1, now() + $2 * interval '1 millisecond')
   ON CONFLICT (channel) DO UPDATE
     SET next_at = greatest(channel_pace.next_at, now()) + $2 * interval '1 millisecond'
   RETURNING greatest(0, extract(epoch FROM (next_at - now())) * 1000 - $2) AS wait_ms`,
);

/** Reserves the channel's next slot, `intervalMs` after the last one; resolves with the wait. */
export async function reservePostSlot(
  pool: pg.Pool,
  channel: string,
  intervalMs: number,
): Promise<number> {
  const { rows } = await pool.query<{ wait_ms: string }>(RESERVE_SLOT([channel, intervalMs]));
  return Math.ceil(Number(rows[0]?.wait_ms ?? 0));
}

const AFTER_ANSWER = prepared(
  `SELECT greatest(0, extract(epoch FROM (answered_at - now())) * 1000 + $2) AS wait_ms
   FROM channel_pace WHERE channel = $1`,
);

/** How long to wait so a post lands `intervalMs` after the channel's last answered one. */
export async function waitAfterAnswer(
  pool: pg.Pool,
  channel: string,
  intervalMs: number,
): Promise<number> {
  const { rows } = await pool.query<{ wait_ms: string | null }>(
    AFTER_ANSWER([channel, intervalMs]),
  );
  return Math.ceil(Number(rows[0]?.wait_ms ?? 0));
}

const ANSWERED = prepared('UPDATE channel_pace SET answered_at = now() WHERE channel = $1');

/** Slack answered a post to `channel` now. */
export async function postAnswered(pool: pg.Pool, channel: string): Promise<void> {
  await pool.query(ANSWERED([channel]));
}

const CLAIM_SLOT = prepared(
  'INSERT INTO job_slots (job, slot) VALUES ($1, $2) ON CONFLICT DO NOTHING',
);

/** True for the first claim of (job, slot). */
export async function claimJobSlot(pool: pg.Pool, job: string, slot: string): Promise<boolean> {
  const { rowCount } = await pool.query(CLAIM_SLOT([job, slot]));
  return rowCount === 1;
}

export async function drift(pool: pg.Pool): Promise<readonly DriftItem[]> {
  const { rows } = await pool.query<{ items: unknown }>('SELECT items FROM drift');
  return rows[0] ? z.array(DriftItemSchema).parse(rows[0].items) : [];
}

export async function setDrift(pool: pg.Pool, items: DriftItem[]): Promise<void> {
  await pool.query(
    `INSERT INTO drift (singleton, items) VALUES (true, $1::jsonb)
     ON CONFLICT (singleton) DO UPDATE SET items = EXCLUDED.items, updated_at = now()`,
    [JSON.stringify(z.array(DriftItemSchema).parse(items))],
  );
}

export async function cohortRun(pool: pg.Pool, id: string): Promise<CohortRun | undefined> {
  const { rows } = await pool.query<{ run: unknown }>('SELECT run FROM cohort_runs WHERE id = $1', [
    id,
  ]);
  return rows[0] ? CohortRunSchema.parse(rows[0].run) : undefined;
}

export async function saveCohortRun(pool: pg.Pool, run: CohortRun): Promise<void> {
  const valid = CohortRunSchema.parse(run);
  await pool.query(
    `INSERT INTO cohort_runs (id, state, created_at, run) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, run = EXCLUDED.run, updated_at = now()`,
    [valid.id, valid.state, valid.createdAt, JSON.stringify(valid)],
  );
}

export async function runningCohorts(pool: pg.Pool): Promise<CohortRun[]> {
  const { rows } = await pool.query<{ run: unknown }>(
    "SELECT run FROM cohort_runs WHERE state = 'running' ORDER BY created_at",
  );
  return rows.map((row) => CohortRunSchema.parse(row.run));
}

const ADD_LINE = prepared('INSERT INTO outbox (channel, text) VALUES ($1, $2)');

export async function addToOutbox(pool: pg.Pool, channel: string, text: string): Promise<void> {
  await pool.query(ADD_LINE([channel, text]));
}

export async function outboxChannels(pool: pg.Pool): Promise<readonly string[]> {
  const { rows } = await pool.query<{ channel: string }>('SELECT DISTINCT channel FROM outbox');
  return rows.map((r) => r.channel);
}

// One statement: the lock first (a CTE with a volatile function is evaluated once, never
// inlined), then the lines only if it was taken; always one row at least, saying which.
const DRAIN = prepared(`WITH drain AS (
    SELECT pg_try_advisory_xact_lock(hashtext('outbox'), hashtext($1)) AS held)
  SELECT drain.held, line.seq, line.text FROM drain
  LEFT JOIN LATERAL (SELECT seq, text FROM outbox WHERE drain.held AND channel = $1
                      ORDER BY seq LIMIT $2) line ON true
  ORDER BY line.seq`);
const DRAINED = prepared('DELETE FROM outbox WHERE channel = $1 AND seq <= $2');

/**
 * Within one transaction: the channel's drain lock (a transaction-scoped
 * advisory lock; `busy` when another replica holds it) with the oldest lines, `post`,
 * then their deletion. A `post` that throws deletes nothing and comes back as
 * `failed` (a Slack failure, which the caller must not count as a database
 * one); a replica that dies meanwhile rolls back. Either way the lines stay.
 */
export async function drainOutbox(
  client: pg.PoolClient,
  channel: string,
  limit: number,
  post: (lines: readonly OutboxLine[]) => Promise<void>,
): Promise<{ posted: number } | { failed: unknown } | { busy: true }> {
  const { rows } = await client.query<{ held: boolean; seq: string | null; text: string | null }>(
    DRAIN([channel, limit]),
  );
  if (!rows[0]?.held) return { busy: true };
  if (rows[0].seq === null) return { posted: 0 };
  const lines = rows.map((r) => ({ seq: Number(r.seq), text: r.text! }));
  try {
    await post(lines);
  } catch (failed) {
    return { failed };
  }
  await client.query(DRAINED([channel, lines.at(-1)!.seq]));
  return { posted: lines.length };
}
