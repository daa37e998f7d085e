import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CohortRun } from '../onboarding/cohort/model.ts';
import {
  type DriftItem,
  type JobRun,
  type OnboardingRecord,
  OnboardingRecordSchema,
} from '../onboarding/model.ts';
import { redact, registerSecret } from '../redact.ts';
import { archiveFileFor } from './archive.ts';
import { JournalCorruptError, loadJournal } from './journal.ts';
import { acquireLock } from './lock.ts';
import type { ImportCounts } from './postgres/bulk.ts';
import { PostgresStore } from './postgres/store.ts';
import { DatabaseSchema } from './schema.ts';
import { readDataFile } from './snapshot-file.ts';
import { StoreCorruptError } from './store.ts';

/**
 * `npm run db:import -- data/db.json`: copies a lowdb data file into the
 * PostgreSQL store at DATABASE_URL. Idempotent: records are upserted by id,
 * the newer updatedAt winning; job runs, drift and cohort runs are copied only where
 * PostgreSQL has none yet.
 */

export type LowdbContents = {
  live: OnboardingRecord[];
  archived: OnboardingRecord[];
  jobs: Record<string, JobRun>;
  drift: DriftItem[];
  cohorts: Record<string, CohortRun>;
  /** Archive lines that could not be read (the lowdb store skips them too). */
  badArchiveLines: number;
};

/**
 * What Store.open would see (snapshot, then journal.old and journal replayed),
 * plus every archived record: the last line per id wins, live ids excluded.
 * Nothing is written; the lock keeps a running bot from changing it meanwhile.
 */
export async function readLowdb(file: string): Promise<LowdbContents> {
  if (![file, `${file}.journal`, `${file}.journal.old`].some((f) => existsSync(f))) {
    throw new Error(`${file}: no lowdb data file (nor journal) there`);
  }
  const release = acquireLock(file);
  try {
    const parsed = DatabaseSchema.safeParse(
      (await readDataFile(file)) ?? {
        version: 1,
        onboardings: [],
      },
    );
    if (!parsed.success) throw new StoreCorruptError(`${file} does not have the expected shape`);
    const live = new Map(parsed.data.onboardings.map((r) => [r.id, r]));
    const jobs = { ...parsed.data.jobs };
    let drift = parsed.data.drift;
    const cohorts = { ...parsed.data.cohorts };
    let entries: ReturnType<typeof loadJournal>;
    try {
      entries = loadJournal(`${file}.journal`);
    } catch (error) {
      if (error instanceof JournalCorruptError) throw new StoreCorruptError(error.message);
      throw error;
    }
    for (const entry of entries) {
      if (entry.t === 'record') live.set(entry.record.id, entry.record);
      else if (entry.t === 'job') jobs[entry.name] = entry.run;
      else if (entry.t === 'drift') drift = entry.items;
      else if (entry.t === 'cohort') cohorts[entry.run.id] = entry.run;
      else if (entry.t === 'archived') for (const id of entry.ids) live.delete(id);
      // Outbox lines are not copied (a second import would post them twice): a clean stop of the
      // lowdb bot posts them, and they stay in its file otherwise.
    }
    const { records, bad } = await readArchive(archiveFileFor(file));
    const archived = [...records.values()].filter((r) => !live.has(r.id));
    return { live: [...live.values()], archived, jobs, drift, cohorts, badArchiveLines: bad };
  } finally {
    release();
  }
}

async function readArchive(file: string) {
  const records = new Map<string, OnboardingRecord>();
  let bad = 0;
  if (!existsSync(file)) return { records, bad };
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }) });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let record: OnboardingRecord | undefined;
    try {
      const parsed = OnboardingRecordSchema.safeParse(JSON.parse(line));
      record = parsed.success ? parsed.data : undefined;
    } catch {}
    if (!record) bad += 1;
    else {
      records.delete(record.id); // re-inserted: Map order is "last written"
      records.set(record.id, record);
    }
  }
  return { records, bad };
}

export type ImportSummary = {
  live: ImportCounts;
  archived: ImportCounts;
  jobs: { copied: number; present: number };
  drift: 'copied' | 'present' | 'none';
  driftItems: number;
  cohorts: { copied: number; present: number };
  badArchiveLines: number;
};

export async function importLowdb(file: string, store: PostgresStore): Promise<ImportSummary> {
  const data = await readLowdb(file);
  // Live first: when two ids share a submission key, the live one is kept.
  const live = await store.importRecords(data.live, false);
  const archived = await store.importRecords(data.archived, true);
  const jobs = { copied: 0, present: 0 };
  for (const [name, run] of Object.entries(data.jobs)) {
    if (Object.keys(await store.jobRun(name)).length > 0) jobs.present += 1;
    else {
      await store.setJobRun(name, run);
      jobs.copied += 1;
    }
  }
  let drift: ImportSummary['drift'] = 'none';
  if (data.drift.length > 0) {
    drift = (await store.drift()).length > 0 ? 'present' : 'copied';
    if (drift === 'copied') await store.setDrift(data.drift);
  }
  const cohorts = { copied: 0, present: 0 };
  for (const run of Object.values(data.cohorts)) {
    if (await store.cohortRun(run.id)) cohorts.present += 1;
    else {
      await store.saveCohortRun(run);
      cohorts.copied += 1;
    }
  }
  return {
    live,
    archived,
    jobs,
    drift,
    driftItems: data.drift.length,
    cohorts,
    badArchiveLines: data.badArchiveLines,
  };
}

export function formatSummary(file: string, where: string, s: ImportSummary): string {
  const counts = (c: ImportCounts) =>
    `${c.inserted} copied, ${c.updated} updated (newer in the file), ${c.present} already present`;
  const conflicts = [...s.live.conflicts, ...s.archived.conflicts];
  return [
    `Imported ${file} into PostgreSQL at ${where}:`,
    `  records:  ${counts(s.live)}`,
    `  archived: ${counts(s.archived)}`,
    `  job runs: ${s.jobs.copied} copied, ${s.jobs.present} already present`,
    `  cohorts:  ${s.cohorts.copied} copied, ${s.cohorts.present} already present`,
    `  drift:    ${s.drift === 'none' ? 'none' : `${s.driftItems} items ${s.drift === 'copied' ? 'copied' : 'not copied (already present)'}`}`,
    ...(s.badArchiveLines > 0 ? [`  skipped ${s.badArchiveLines} unreadable archive lines`] : []),
    ...(conflicts.length > 0
      ? [
          `  NOT copied, ${conflicts.length} in conflict with records already there:`,
          ...conflicts.map((c) => `    ${c.id} (${c.constraint})`),
        ]
      : []),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const file = argv[0] ?? process.env.DATA_FILE ?? 'data/db.json';
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('db:import needs DATABASE_URL (in the environment or .env)\n');
    return 78;
  }
  if (URL.canParse(url)) registerSecret(decodeURIComponent(new URL(url).password));
  const store = await PostgresStore.open(url);
  try {
    const summary = await importLowdb(file, store);
    process.stdout.write(`${formatSummary(file, store.where, summary)}\n`);
    return summary.live.conflicts.length + summary.archived.conflicts.length > 0 ? 2 : 0;
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `db:import failed: ${redact((error as Error).message ?? String(error))}\n`,
      );
      process.exit(1);
    },
  );
}
