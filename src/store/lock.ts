import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

/**
 * One process owns the data file. The lock is a `<file>.lock` holding the
 * owner's pid; a lock whose process is gone is taken over.
 */
export function acquireLock(file: string): () => void {
  const lockFile = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new StoreLockedError(
          `${file} is in use by another running bot (pid ${owner}). Stop it first, or point DATA_FILE elsewhere.`,
        );
      }
      // Stale lock from a process that no longer runs (or from ourselves): take it over.
      rmSync(lockFile, { force: true });
    }
  }
  throw new StoreLockedError(`could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
