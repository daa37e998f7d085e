import { afterEach, expect, test } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { type OpenedStore, openStore } from '../../src/store/open.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';
import { tempDataFile } from '../helpers/records.ts';

const log = createLogger('error');
const stores: OpenedStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

test('openStore opens lowdb by default and PostgreSQL when DATABASE_URL is set', async () => {
  const lowdb = await openStore(
    { dataFile: tempDataFile(), databaseUrl: undefined } as Config,
    log,
  );
  stores.push(lowdb);
  expect(lowdb.kind).toBe('lowdb');
  const url = await freshDatabaseUrl('open');
  const postgres = await openStore({ dataFile: tempDataFile(), databaseUrl: url } as Config, log);
  stores.push(postgres);
  expect(postgres.kind).toBe('postgres');
  expect(await postgres.listOpen()).toEqual([]);
});
