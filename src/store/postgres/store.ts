import type pg from 'pg';
import type { Logger } from '../../log.ts';
import type { CohortRun } from '../../onboarding/cohort/model.ts';
import {
  type DriftItem,
  type JobRun,
  type OnboardingRecord,
  type OnboardingState,
  type OutboxLine,
  STATES,
} from '../../onboarding/model.ts';
import { OPEN_STATES } from '../../onboarding/policy.ts';
import type { RecordStore } from '../../onboarding/ports.ts';
import { StoreClosedError } from '../store.ts';
import { archiveClosed } from './archive.ts';
import { type ImportCounts, importRecords } from './bulk.ts';
import {
  createPool,
  describeTarget,
  openError,
  type PoolOptions,
  scrub,
  scrubError,
  type Target,
} from './connection.ts';
import { constraintOf, DuplicateOpenRecordError, isUniqueViolation } from './errors.ts';
import { migrate } from './migrate.ts';
import { OPEN_LOGIN_INDEX } from './migrations.ts';
import { prepared } from './prepared.ts';
import { Reachability } from './reachability.ts';
import {
  fromRow,
  LIVE,
  normal,
  RECORD_COLUMNS,
  RECORD_PLACEHOLDERS,
  recordValues,
  sqlList,
  toStored,
} from './rows.ts';
import * as side from './side-tables.ts';
import { RecordWriter } from './update.ts';

export type PostgresStoreOptions = PoolOptions & { log?: Logger };

const OPEN = sqlList(OPEN_STATES);
const INSERT =
  prepared(`INSERT INTO onboardings (${RECORD_COLUMNS.join(', ')}) VALUES (${RECORD_PLACEHOLDERS})
  ON CONFLICT (submission_key) DO NOTHING RETURNING id`);
const BY_ID = prepared(`SELECT id, record FROM onboardings WHERE id = $1 AND ${LIVE}`);
const BY_KEY = prepared(`SELECT id, record FROM onboardings WHERE submission_key = $1 AND ${LIVE}`);
/** Archived ones too. */
const BY_KEY_EVER = prepared('SELECT id, record FROM onboardings WHERE submission_key = $1');
/** Live first, newest inserted; then archived, newest created (as the lowdb store). */
const NEWEST_FOR =
  prepared(`SELECT id, record FROM onboardings WHERE login_lower = $1 OR email_lower = $1
  ORDER BY archived_at IS NOT NULL, CASE WHEN ${LIVE} THEN seq END DESC, created_at DESC, seq DESC
  LIMIT 1`);
const OPEN_FOR = prepared(`SELECT id, record FROM onboardings WHERE ${LIVE} AND state IN (${OPEN})
  AND (login_lower = $1 OR email_lower = $2) ORDER BY seq`);

type Row = { id: string; record: unknown };

/**
 * The PostgreSQL implementation of the port, for several replicas sharing one
 * database. Every write is one autocommit statement or one transaction and
 * resolves after COMMIT, so `flush` has nothing to wait for beyond writes in
 * flight. Concurrency is the database's: the submission key and the open-login
 * index are unique, and `update` locks the row (SELECT … FOR UPDATE) while it
 * applies the change, so two replicas never lose each other's changes.
 */
export class PostgresStore implements RecordStore {
  readonly kind = 'postgres' as const;
  readonly shared = true;
  /** host:port/database, for logs (never the password). */
  readonly where: string;
  private readonly pool: pg.Pool;
  private readonly writer: RecordWriter;
  private readonly target: Target;
  private readonly inflight = new Set<Promise<unknown>>();
  /** The last insert queued per submission key. */
  private readonly inserting = new Map<string, Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(pool: pg.Pool, target: Target) {
    this.pool = pool;
    this.target = target;
    this.where = target.where;
    this.writer = new RecordWriter(pool, (work) => this.transaction(work));
  }

  /**
   * Connects and migrates the schema (once, whatever the number of replicas
   * starting). An unreachable or refusing server fails here with a message
   * naming host:port, never the password.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const target = describeTarget(url);
    const { log } = options;
    const pool = createPool(url, options, (error) =>
      log?.warn('PostgreSQL connection lost; the pool reconnects on next use', {
        where: target.where,
        error: scrub(error.message, target),
      }),
    );
    try {
      const { applied, unknown } = await migrate(pool);
      if (applied.length > 0)
        log?.info('PostgreSQL schema migrated', { where: target.where, applied });
      if (unknown.length > 0)
        log?.warn('the PostgreSQL schema has migrations this release does not know', { unknown });
    } catch (error) {
      await pool.end().catch(() => {});
      throw openError(error, target);
    }
    return new PostgresStore(pool, target);
  }

  get(id: string): Promise<OnboardingRecord | undefined> {
    return this.one(BY_ID([id]));
  }

  findBySubmission(key: string): Promise<OnboardingRecord | undefined> {
    return this.one(BY_KEY([key]));
  }

  findByEmailOrLogin(query: string): Promise<OnboardingRecord | undefined> {
    return this.one(NEWEST_FOR([normal(query)]));
  }

  restoreArchived(id: string): Promise<OnboardingRecord | undefined> {
    return this.one({
      text: 'UPDATE onboardings SET archived_at = NULL WHERE id = $1 RETURNING id, record',
      values: [id],
    });
  }

  async findOpen(by: { login?: string; email?: string }): Promise<OnboardingRecord[]> {
    if (by.login === undefined && by.email === undefined) return [];
    return this.many(
      OPEN_FOR([
        by.login === undefined ? null : normal(by.login),
        by.email === undefined ? null : normal(by.email),
      ]),
    );
  }

  listOpen(): Promise<readonly OnboardingRecord[]> {
    return this.many({
      text: `SELECT id, record FROM onboardings WHERE ${LIVE} AND state IN (${OPEN}) ORDER BY seq`,
    });
  }

  async recent(limit: number): Promise<readonly OnboardingRecord[]> {
    if (limit <= 0) return [];
    return this.many({
      text: `SELECT id, record FROM onboardings WHERE ${LIVE} ORDER BY seq DESC LIMIT $1`,
      values: [limit],
    });
  }

  countByState(): Promise<Record<OnboardingState, number>> {
    return this.run(async () => {
      const { rows } = await this.pool.query<{ state: OnboardingState; n: number }>(
        `SELECT state, count(*)::int AS n FROM onboardings WHERE ${LIVE} GROUP BY state`,
      );
      const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<
        OnboardingState,
        number
      >;
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    });
  }

  insert(record: OnboardingRecord): Promise<{ record: OnboardingRecord; created: boolean }> {
    return this.run(() => {
      // In call order within this process (as lowdb): the first caller's record is the one kept.
      const key = record.submissionKey;
      const queued = (this.inserting.get(key) ?? Promise.resolve())
        .catch(() => {})
        .then(() => this.insertNow(record));
      this.inserting.set(key, queued);
      const forget = () => {
        if (this.inserting.get(key) === queued) this.inserting.delete(key);
      };
      queued.then(forget, forget);
      return queued;
    });
  }

  update(
    id: string,
    change: (draft: OnboardingRecord) => void,
    now: Date,
  ): Promise<OnboardingRecord> {
    return this.run(() => this.writer.update(id, change, now));
  }

  jobRun(name: string): Promise<JobRun> {
    return this.run(() => side.jobRun(this.pool, name));
  }

  setJobRun(name: string, run: JobRun): Promise<void> {
    return this.run(() => side.setJobRun(this.pool, name, run));
  }

  reservePostSlot(channel: string, intervalMs: number): Promise<number> {
    return this.run(() => side.reservePostSlot(this.pool, channel, intervalMs));
  }

  waitAfterAnswer(channel: string, intervalMs: number): Promise<number> {
    return this.run(() => side.waitAfterAnswer(this.pool, channel, intervalMs));
  }

  postAnswered(channel: string): Promise<void> {
    return this.run(() => side.postAnswered(this.pool, channel));
  }

  claimJobSlot(job: string, slot: string): Promise<boolean> {
    return this.run(() => side.claimJobSlot(this.pool, job, slot));
  }

  cohortRun(id: string): Promise<CohortRun | undefined> {
    return this.run(() => side.cohortRun(this.pool, id));
  }

  saveCohortRun(run: CohortRun): Promise<void> {
    return this.run(() => side.saveCohortRun(this.pool, run));
  }

  runningCohorts(): Promise<readonly CohortRun[]> {
    return this.run(() => side.runningCohorts(this.pool));
  }

  drift(): Promise<readonly DriftItem[]> {
    return this.run(() => side.drift(this.pool));
  }

  setDrift(items: DriftItem[]): Promise<void> {
    return this.run(() => side.setDrift(this.pool, items));
  }

  addToOutbox(channel: string, text: string): Promise<void> {
    return this.run(() => side.addToOutbox(this.pool, channel, text));
  }

  outboxChannels(): Promise<readonly string[]> {
    return this.run(() => side.outboxChannels(this.pool));
  }

  async drainOutbox(
    channel: string,
    limit: number,
    post: (lines: readonly OutboxLine[]) => Promise<void>,
  ): Promise<number | 'busy'> {
    const result = await this.run(() =>
      this.transaction((client) => side.drainOutbox(client, channel, limit, post)),
    );
    if ('failed' in result) throw result.failed;
    return 'busy' in result ? 'busy' : result.posted;
  }

  archiveClosed(before: Date): Promise<number> {
    return this.run(() => archiveClosed(this.pool, before));
  }

  /** Every write is committed when it resolves: only writes still in flight are waited for. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  close(): Promise<void> {
    this.closed = true;
    this.health.stop();
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inflight]);
      await this.pool.end();
    })();
    return this.closing;
  }

  /**
   * For `db:import`: upserts records by id, keeping whichever copy has the
   * newer updatedAt; `archived` ones are stored out of the live set.
   */
  importRecords(records: readonly OnboardingRecord[], archived: boolean): Promise<ImportCounts> {
    return this.run(() => importRecords(this.pool, records.map(toStored), archived));
  }

  private async insertNow(
    record: OnboardingRecord,
  ): Promise<{ record: OnboardingRecord; created: boolean }> {
    const stored = toStored(record);
    try {
      const { rowCount } = await this.pool.query(INSERT(recordValues(stored)));
      if (rowCount === 1) {
        this.writer.inserted(stored);
        return { record: stored, created: true };
      }
    } catch (error) {
      // Another unique index can fire before the submission key's when two inserts race.
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.bySubmissionKey(stored.submissionKey);
      if (existing) return { record: existing, created: false };
      if (constraintOf(error) === OPEN_LOGIN_INDEX)
        throw new DuplicateOpenRecordError(stored.person.login);
      if (constraintOf(error) === 'onboardings_pkey')
        throw new Error(`record ${stored.id} exists already`);
      throw error;
    }
    const existing = await this.bySubmissionKey(stored.submissionKey);
    if (!existing) throw new Error(`submission ${stored.submissionKey} conflicted but is gone`);
    return { record: existing, created: false };
  }

  private async bySubmissionKey(key: string): Promise<OnboardingRecord | undefined> {
    // Archived ones too: a submission never creates a second record, however late it comes.
    const { rows } = await this.pool.query<Row>(BY_KEY_EVER([key]));
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  private one(query: pg.QueryConfig): Promise<OnboardingRecord | undefined> {
    return this.run(async () => {
      const { rows } = await this.pool.query<Row>(query);
      return rows[0] ? fromRow(rows[0]) : undefined;
    });
  }

  private many(query: pg.QueryConfig): Promise<OnboardingRecord[]> {
    return this.run(async () => {
      const { rows } = await this.pool.query<Row>(query);
      return rows.map(fromRow);
    });
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e; // the connection is unusable: drop it rather than return it to the pool
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private readonly health = new Reachability(() => this.pool.query('SELECT 1'));

  /** Whether the last query reached the database (reported by /health). */
  get reachable(): boolean {
    return this.health.reachable;
  }

  /** Refuses work after close, tracks it until settled, and scrubs the URL out of any error. */
  private run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError('the store is closed'));
    const running = work().then(
      (value) => {
        this.health.succeeded();
        return value;
      },
      (error: unknown) => {
        this.health.failed(error);
        throw scrubError(error, this.target);
      },
    );
    this.inflight.add(running);
    running.then(
      () => this.inflight.delete(running),
      () => this.inflight.delete(running),
    );
    return running;
  }
}
