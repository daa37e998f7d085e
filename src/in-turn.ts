/**
 * Work per key, one after another in call order: each starts once the
 * previous one for its key has settled, failed or not. Only keys with work
 * in progress are kept. Core uses it for its per-record lock, the PostgreSQL
 * store for a record's changes from this process.
 */
export class InTurn {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.tails.set(key, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.tails.get(key) === next) this.tails.delete(key);
      });
    return next;
  }
}
