import { randomUUID } from 'node:crypto';
import { errorFields } from '../../log.ts';
import type { Core } from '../core.ts';
import { ActionRefused } from '../errors.ts';
import type { OnboardingRecord } from '../model.ts';
import { retryableChannels } from '../policy.ts';
import { newRecord } from '../record.ts';
import type { CohortRow, CohortRun, CohortTally } from './model.ts';

/** Told after every row and at the end; the Slack side decides how often to show it. */
export type CohortListener = (run: CohortRun, tally: CohortTally, final: boolean) => void;

type Work = {
  /** Runs one onboarding's pipeline (in admission's background lane). */
  run: (id: string) => Promise<OnboardingRecord>;
  retry: (id: string, by: string) => Promise<OnboardingRecord>;
};

/** How a row's onboarding ended, for the tally and the summary. */
export function rowOutcome(record: OnboardingRecord): 'running' | 'failed' | 'invited' {
  if (record.state === 'provisioning') return 'running';
  if (record.state === 'failed') return 'failed';
  if (record.state === 'pending' && retryableChannels(record).length > 0) return 'failed';
  return 'invited';
}

/**
 * Bulk onboarding: a draft is recorded at preview, confirmed into records,
 * then driven `concurrency` rows at a time through the same pipeline as a
 * single onboarding. Every transition is saved first, so a restart resumes
 * the run (resume()) and the submission keys keep rows from doubling.
 */
export class Cohorts {
  private readonly core: Core;
  private readonly work: Work;
  private readonly concurrency: number;
  private readonly onProgress: CohortListener;
  /** Runs this process is driving now. */
  private readonly driving = new Set<string>();

  constructor(core: Core, work: Work, concurrency: number, onProgress: CohortListener = () => {}) {
    this.core = core;
    this.work = work;
    this.concurrency = Math.max(1, concurrency);
    this.onProgress = onProgress;
  }

  async draft(requestedBy: string, rows: CohortRow[]): Promise<CohortRun> {
    this.core.assertAccepting();
    const at = this.core.nowIso();
    const run: CohortRun = {
      id: randomUUID(),
      requestedBy,
      createdAt: at,
      updatedAt: at,
      state: 'draft',
      rows,
    };
    await this.core.store.saveCohortRun(run);
    return run;
  }

  get(id: string): Promise<CohortRun | undefined> {
    return this.core.store.cohortRun(id);
  }

  /**
   * Starts a draft; `started` is false when it had been started already (a
   * second delivery of the same submission), so only one caller drives it.
   */
  async confirm(id: string, by: string): Promise<{ run: CohortRun; started: boolean }> {
    this.core.assertAccepting();
    const run = await this.mustGet(id);
    if (run.requestedBy !== by)
      throw new ActionRefused('Only the admin who uploaded the file can start this cohort.');
    if (run.state === 'discarded')
      throw new ActionRefused('This upload was closed; upload the file again.');
    if (run.state !== 'draft') return { run, started: false };
    const started = await this.save({ ...run, state: 'running', startedAt: this.core.nowIso() });
    return { run: started, started: true };
  }

  /** Drops a draft the admin closed without starting it. */
  async discard(id: string): Promise<void> {
    const run = await this.get(id);
    if (run?.state === 'draft') await this.save({ ...run, state: 'discarded', rows: [] });
  }

  /**
   * Creates the missing records, then runs every unfinished row; resolves when
   * the run is done. One driver per run: in this process, and — on a shared
   * store — across replicas (holdRun).
   */
  drive(id: string): Promise<CohortRun> {
    return this.holding(id, () => this.driveHeld(id));
  }

  /** Runs `fn` as the run's only driver; when another one drives it, resolves with the run as it is. */
  private async holding(id: string, fn: () => Promise<CohortRun>): Promise<CohortRun> {
    if (this.driving.has(id)) return this.mustGet(id);
    this.driving.add(id);
    const release = this.core.store.shared ? await this.holdRun(id) : () => {};
    try {
      if (!release) return await this.mustGet(id); // another replica drives it
      return await fn();
    } finally {
      release?.();
      this.driving.delete(id);
    }
  }

  /**
   * The run's lease across replicas, built on the store's one atomic claim
   * (claimJobSlot): the driver claims the current lease period and, while it
   * drives, the next one ahead; a replica that died stops claiming, and
   * another takes the run over within two periods. Undefined: held elsewhere.
   */
  private async holdRun(id: string): Promise<(() => void) | undefined> {
    const period = this.core.leaseMs;
    const slot = (at: number) => `${id}:${Math.floor(at / period)}`;
    const claim = (at: number) => this.core.store.claimJobSlot('cohort-run', slot(at));
    if (!(await claim(Date.now()))) return undefined;
    await claim(Date.now() + period);
    const renew = setInterval(() => {
      claim(Date.now() + period).catch((error) =>
        this.core.log.warn('could not renew a cohort lease', errorFields(error)),
      );
    }, period / 3);
    return () => clearInterval(renew);
  }

  private async driveHeld(id: string): Promise<CohortRun> {
    let run = await this.createRecords(await this.mustGet(id));
    if (run.state !== 'running') return run;
    const records = await this.load(run);
    const todo = run.rows.filter((row) => {
      const record = row.recordId ? records.get(row.recordId) : undefined;
      return record && (rowOutcome(record) === 'running' || hasRunningStep(record));
    });
    this.onProgress(run, tally(run, records), false);
    await this.pool(todo, async (row) => {
      const result = await this.work.run(row.recordId!);
      records.set(result.id, result);
      this.onProgress(run, tally(run, records), false);
    });
    if (!this.core.isAccepting) return run; // stopping: the next start resumes the rest
    run = await this.save({
      ...(await this.mustGet(id)),
      state: 'done',
      finishedAt: this.core.nowIso(),
      retrying: false,
    });
    this.onProgress(run, tally(run, records), true);
    return run;
  }

  /** Retries only the rows that failed, through the step engine (nothing done is repeated). */
  async retryFailed(id: string, by: string): Promise<CohortRun> {
    this.core.assertAccepting();
    // Held like a drive: a replica looking for abandoned runs leaves this one alone.
    return this.holding(id, () => this.retryHeld(id, by));
  }

  private async retryHeld(id: string, by: string): Promise<CohortRun> {
    const run = await this.mustGet(id);
    if (run.state !== 'done')
      throw new ActionRefused('This cohort is still running; retry once it has finished.');
    const records = await this.load(run);
    const failed = run.rows.filter((row) => {
      const record = row.recordId ? records.get(row.recordId) : undefined;
      return record && rowOutcome(record) === 'failed';
    });
    if (failed.length === 0) throw new ActionRefused('Nothing failed in this cohort.');
    const running = await this.save({ ...run, state: 'running', retrying: true });
    this.onProgress(running, tally(running, records), false);
    await this.pool(failed, async (row) => {
      const result = await this.work.retry(row.recordId!, by);
      records.set(result.id, result);
      this.onProgress(running, tally(running, records), false);
    });
    return this.driveHeld(id);
  }

  /**
   * Runs left `running` by a stop or a crash: at start, and periodically on a
   * shared store (the run of a replica that died is taken over).
   */
  async resume(): Promise<CohortRun[]> {
    const runs = (await this.core.store.runningCohorts()).filter((r) => !this.driving.has(r.id));
    if (runs.length > 0) this.core.log.info('resuming cohorts', { count: runs.length });
    const results = await Promise.allSettled(runs.map((run) => this.drive(run.id)));
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /** The records of a run's rows, by id. */
  async load(run: CohortRun): Promise<Map<string, OnboardingRecord>> {
    const records = new Map<string, OnboardingRecord>();
    for (const row of run.rows) {
      const record = row.recordId ? await this.core.store.get(row.recordId) : undefined;
      if (record) records.set(record.id, record);
    }
    return records;
  }

  /** Where the progress message lives (kept through shutdown, like a single onboarding's). */
  async rememberProgress(id: string, progress: NonNullable<CohortRun['progress']>) {
    return this.save({ ...(await this.mustGet(id)), progress });
  }

  private async createRecords(run: CohortRun): Promise<CohortRun> {
    if (run.state !== 'running' || !run.rows.some((row) => row.request)) return run;
    const rows: CohortRow[] = [];
    for (const row of run.rows) {
      if (!row.request || row.recordId) {
        rows.push(row);
        continue;
      }
      // The submission key makes this idempotent: after a crash here the same records come back.
      const { record } = await this.core.store.insert(
        newRecord(
          {
            submissionKey: `cohort:${run.id}:${row.row}`,
            requestedBy: run.requestedBy,
            person: row.request.person,
            lifetimeDays: row.request.lifetimeDays,
            channels: row.request.channels,
            ...(row.request.startAt ? { startAt: new Date(row.request.startAt) } : {}),
            cohort: { id: run.id, row: row.row },
          },
          this.core.clock(),
        ),
      );
      const { request: _done, ...rest } = row;
      rows.push({ ...rest, recordId: record.id });
    }
    return this.save({ ...run, rows });
  }

  private async pool(rows: CohortRow[], each: (row: CohortRow) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < rows.length && this.core.isAccepting) {
        const row = rows[next++]!;
        await each(row).catch((error) => {
          // The record keeps its state; the summary shows it, Retry failed can take it again.
          this.core.log.warn('a cohort row did not finish', {
            row: row.row,
            ...errorFields(error),
          });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rows.length) }, worker));
  }

  private async save(run: CohortRun): Promise<CohortRun> {
    const saved = { ...run, updatedAt: this.core.nowIso() };
    await this.core.store.saveCohortRun(saved);
    return saved;
  }

  private async mustGet(id: string): Promise<CohortRun> {
    const run = await this.get(id);
    if (!run) throw new ActionRefused('That cohort no longer exists.');
    return run;
  }
}

function hasRunningStep(record: OnboardingRecord): boolean {
  return Object.values(record.steps).some((s) => s.status === 'running');
}

export function tally(run: CohortRun, records: Map<string, OnboardingRecord>): CohortTally {
  const counts: CohortTally = { total: 0, done: 0, invited: 0, failed: 0, skipped: 0 };
  for (const row of run.rows) {
    if (row.skipped) {
      counts.skipped += 1;
      continue;
    }
    counts.total += 1;
    const record = row.recordId ? records.get(row.recordId) : undefined;
    const outcome = record ? rowOutcome(record) : 'running';
    if (outcome === 'running') continue;
    counts.done += 1;
    counts[outcome] += 1;
  }
  return counts;
}
