import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type OnboardingRecord, OnboardingRecordSchema } from '../onboarding/model.ts';
import { appendDurably } from './journal.ts';

/**
 * Closed records moved out of the live set: `<data file without .json>.archive.jsonl`,
 * one record per line, append-only. A record may appear more than once (archived
 * again after a crash, or after it was reopened): the last line for an id wins,
 * and a live record always wins over its archived lines. The archive is not
 * needed to run: a bad line is skipped.
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
  file: string,
  due: readonly OnboardingRecord[],
  batchSize: number,
  commit: (batch: readonly OnboardingRecord[]) => Promise<number>,
): Promise<number> {
  let moved = 0;
  for (let start = 0; start < due.length; start += batchSize) {
    const batch = due.slice(start, start + batchSize);
    await appendToArchive(file, batch);
    moved += await commit(batch);
  }
  return moved;
}

/** Appends the records and fsyncs before resolving: only then may they leave the live set. */
export async function appendToArchive(
  file: string,
  records: readonly OnboardingRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await appendDurably(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

const matches = (record: OnboardingRecord, q: string) =>
  record.person.email.toLowerCase() === q || record.person.login.toLowerCase() === q;

/**
 * The newest archived record (by createdAt, then by position) whose e-mail or
 * SIP login is `q` (lower-case), among ids that are not live. Streamed: only
 * lines that may matter are parsed and validated.
 */
export async function findInArchive(
  file: string,
  q: string,
  isLive: (id: string) => boolean,
): Promise<OnboardingRecord | undefined> {
  const needle = JSON.stringify(q).slice(1, -1);
  /** Matching records by id; a later line for the same id replaces or removes its entry. */
  const found = new Map<string, { record: OnboardingRecord; line: number }>();
  const read = await eachLine(file, (line, n) => {
    const relevant =
      line.toLowerCase().includes(needle) || [...found.keys()].some((id) => line.includes(id));
    if (!relevant) return;
    const record = parseLine(line);
    if (!record) return;
    if (matches(record, q)) found.set(record.id, { record, line: n });
    else found.delete(record.id);
  });
  if (!read) return undefined;
  let best: { record: OnboardingRecord; line: number; at: number } | undefined;
  for (const hit of found.values()) {
    if (isLive(hit.record.id)) continue;
    const at = Date.parse(hit.record.createdAt);
    if (!best || at > best.at || (at === best.at && hit.line > best.line)) best = { ...hit, at };
  }
  return best?.record;
}

/** The last archived version of the record `id` (the last line for an id wins). */
export async function findIdInArchive(
  file: string,
  id: string,
): Promise<OnboardingRecord | undefined> {
  let last: OnboardingRecord | undefined;
  const read = await eachLine(file, (line) => {
    if (!line.includes(id)) return;
    const record = parseLine(line);
    if (record?.id === id) last = record;
  });
  return read ? last : undefined;
}

/** Streams the archive's lines (numbered from 1); false when there is no archive yet. */
async function eachLine(file: string, visit: (line: string, n: number) => void): Promise<boolean> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) visit(line, ++n);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  } finally {
    lines.close();
    stream.destroy();
  }
  return true;
}

function parseLine(line: string): OnboardingRecord | undefined {
  try {
    const parsed = OnboardingRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
