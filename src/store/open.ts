import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RecordStore } from '../onboarding/ports.ts';
import { Store } from './store.ts';

/** The store the configuration asks for: lowdb by default, PostgreSQL when DATABASE_URL is set. */
export async function openStore(config: Config, log: Logger): Promise<RecordStore & { readonly kind: string }> {
  if (config.databaseUrl) {
    throw new Error('DATABASE_URL is set, but the PostgreSQL store is not available in this build');
  }
  const store = await Store.open(config.dataFile, { log });
  return Object.assign(store, { kind: 'lowdb' as const });
}
