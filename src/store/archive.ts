import type { OnboardingRecord } from '../onboarding/model.ts';
import type { ArchiveIndex } from './archive-index.ts';
import { appendDurably } from './journal.ts';

/**
 * Closed records moved out of the live set: `<data file without .json>.archive.jsonl`,
 * one record per line, append-only. A record may appear more than once (archived
 * again after a crash, or after it was reopened): the last line for an id wins,
 * and a live record always wins over its archived lines. The archive is not
 * needed to run: a bad line is skipped. Lookups go through archive-index.ts.
 */
export function archiveFileFor(dataFile: string): string {
  return `${dataFile.replace(/\.json$/, '')}.archive.jsonl`;
}

/**
 * Archives `due` in batches (a large backlog neither stalls the event loop nor
 * builds one huge string): each batch is on disk in the archive before
 * `commit` takes it out of the live set; a crash in between leaves both.
 * `commit` gets the ids still unchanged and resolves with how many it moved.
 */
export async function archiveInBatches(
  index: ArchiveIndex,
  due: readonly OnboardingRecord[],
  batchSize: number,
  commit: (batch: readonly OnboardingRecord[]) => Promise<number>,
): Promise<number> {
  let moved = 0;
  for (let start = 0; start < due.length; start += batchSize) {
    const batch = due.slice(start, start + batchSize);
    await appendToArchive(index, batch);
    moved += await commit(batch);
  }
  return moved;
}

/**
 * Appends the records and fsyncs before resolving: only then may they leave
 * the live set. The index learns where each line went.
 */
export async function appendToArchive(
  index: ArchiveIndex,
  records: readonly OnboardingRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const lines = records.map((r) => `${JSON.stringify(r)}\n`);
  const offset = await appendDurably(index.file, lines.join(''));
  index.appended(
    offset,
    records.map((record, i) => ({ record, bytes: Buffer.byteLength(lines[i]!) })),
  );
}
