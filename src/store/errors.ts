import type { Logger } from '../log.ts';

/** The lowdb store's errors and options (store.ts re-exports them). */

export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
}

/** A change attempted after close (a step still running at shutdown): it resumes at the next start. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
}

export class RecordNotFoundError extends Error {
  override name = 'RecordNotFoundError';
}

export type StoreOptions = {
  /** Records serialised between two yields while the snapshot is written. */
  sliceSize?: number;
  /** Write a snapshot after this many changes not yet in it (default 1000)… */
  compactEvery?: number;
  /** …or this long after the first of them (default 10 s), whichever comes first. */
  compactAfterMs?: number;
  /** Where a failed background snapshot is reported (the journal still holds every change). */
  log?: Logger;
};
