import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RecordStore } from '../onboarding/ports.ts';
import { Store } from './store.ts';

/** `reachable`: false while the database does not answer (lowdb: always true). */
export type OpenedStore = RecordStore & {
  readonly kind: 'lowdb' | 'postgres';
  readonly reachable?: boolean;
};

/**
 * The store the configuration asks for: lowdb by default, PostgreSQL when
 * DATABASE_URL is set (then several replicas may share it). An unreachable
 * database fails here with a secret-free DatabaseUnavailableError.
 */
export async function openStore(config: Config, log: Logger): Promise<OpenedStore> {
  if (config.databaseUrl) {
    // Loaded only when asked for: a bot on lowdb never loads the driver.
    const { PostgresStore } = await import('./postgres/store.ts');
    return PostgresStore.open(config.databaseUrl, { log });
  }
  return Store.open(config.dataFile, { log });
}
