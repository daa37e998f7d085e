import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { importLowdb } from '../../src/store/import.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { Store } from '../../src/store/store.ts';
import { emptyDatabaseUrl } from '../helpers/postgres.ts';
import { makeRecord, tempDataFile } from '../helpers/records.ts';
import { setNote, setState } from './contract.ts';

const OLD = new Date('2026-01-01T00:00:00Z');
const LATER = new Date('2026-12-01T10:00:00Z');
const drift = [
  { kind: 'upstream-only', api: 'slyk', what: 'invite X', at: LATER.toISOString() },
] as const;

/** A lowdb file with a snapshot, an archive and changes still in the journal. */
async function lowdbFile() {
  const file = tempDataFile();
  const first = await Store.open(file);
  const pending = (await first.insert(makeRecord())).record;
  const accepted = (await first.insert(makeRecord({ state: 'accepted' }))).record;
  const revoked = (await first.insert(makeRecord({ state: 'revoked' }))).record;
  await first.update(accepted.id, () => {}, OLD);
  await first.update(revoked.id, () => {}, OLD);
  expect(await first.archiveClosed(new Date('2026-06-01T00:00:00Z'))).toBe(2);
  await first.setJobRun('digest', { lastSlot: '2026-11-24T09:00' });
  await first.setDrift([...drift]);
  await first.close();
  const store = await Store.open(file, { compactEvery: 1000, compactAfterMs: 60_000 });
  const added = (await store.insert(makeRecord({ state: 'provisioning' }))).record;
  await store.update(pending.id, setNote('from the journal'), LATER);
  await store.flush();
  return { file, store, pending, accepted, revoked, added };
}

describe('db:import', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  test('copies live and archived records, job runs and drift, once', async () => {
    const { file, store: lowdb, pending, accepted, revoked, added } = await lowdbFile();
    const pg = await PostgresStore.open(await emptyDatabaseUrl('import'));
    open.push(pg, lowdb);

    const first = await importLowdb(file, pg);
    expect(first).toMatchObject({
      live: { inserted: 2, updated: 0, present: 0, conflicts: [] },
      archived: { inserted: 2, updated: 0, present: 0, conflicts: [] },
      jobs: { copied: 1, present: 0 },
      drift: 'copied',
    });
    expect(await pg.get(pending.id)).toMatchObject({ note: 'from the journal' });
    expect((await pg.listOpen()).map((r) => r.id)).toEqual([pending.id, added.id]);
    expect(await pg.get(accepted.id)).toBeUndefined();
    expect((await pg.findByEmailOrLogin(revoked.person.email))?.state).toBe('revoked');
    expect(await pg.jobRun('digest')).toEqual({ lastSlot: '2026-11-24T09:00' });
    expect(await pg.drift()).toEqual(drift);
    expect(await pg.countByState()).toMatchObject({ pending: 1, provisioning: 1, accepted: 0 });

    const again = await importLowdb(file, pg);
    expect(again).toMatchObject({
      live: { inserted: 0, updated: 0, present: 2 },
      archived: { inserted: 0, updated: 0, present: 2 },
      jobs: { copied: 0, present: 1 },
      drift: 'present',
    });

    // Newer in the file: updated. Newer in PostgreSQL: kept.
    await lowdb.update(pending.id, setNote('changed in lowdb'), new Date('2026-12-02T00:00:00Z'));
    await pg.update(added.id, setState('failed'), new Date('2026-12-03T00:00:00Z'));
    await lowdb.flush();
    expect((await importLowdb(file, pg)).live).toMatchObject({
      inserted: 0,
      updated: 1,
      present: 1,
    });
    expect(await pg.get(pending.id)).toMatchObject({ note: 'changed in lowdb' });
    expect(await pg.get(added.id)).toMatchObject({ state: 'failed' });
  });

  test('npm run db:import prints what it copied', async () => {
    const { file, store } = await lowdbFile();
    await store.close(); // the bot must be stopped: the import takes the data file's lock
    const env = { ...process.env, DATABASE_URL: await emptyDatabaseUrl('import') };
    const run = () =>
      promisify(execFile)(process.execPath, [resolve('src/store/import.ts'), file], {
        cwd: dirname(file),
        env,
      });
    const { stdout } = await run();
    expect(stdout).toContain(`Imported ${file} into PostgreSQL at 127.0.0.1:`);
    expect(stdout).toContain(
      'records:  2 copied, 0 updated (newer in the file), 0 already present',
    );
    expect(stdout).toContain('archived: 2 copied');
    expect(stdout).toContain('job runs: 1 copied');
    expect(stdout).toContain('drift:    1 items copied');
    expect((await run()).stdout).toContain(
      'records:  0 copied, 0 updated (newer in the file), 2 already present',
    );
  });
});
