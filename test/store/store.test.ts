import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { StoreLockedError } from '../../src/store/json-file.ts';
import { Store, StoreCorruptError } from '../../src/store/store.ts';
import { makeRecord, tempDataFile } from '../helpers/records.ts';

const open: Store[] = [];
async function openStore(file: string, sliceSize?: number) {
  const store = await Store.open(file, sliceSize ? { sliceSize } : {});
  open.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('Store', () => {
  test('persists records and reads them back after a restart', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const record = makeRecord();
    await store.insert(record);
    await store.update(record.id, (r) => {
      r.state = 'accepted';
    });
    await store.setJobRun('digest', { lastSlot: '2026-11-24T09:00:00.000Z' });
    await store.close();

    const again = await openStore(file);
    expect(again.size).toBe(1);
    expect(again.get(record.id)?.state).toBe('accepted');
    expect(again.findBySubmission(record.submissionKey)?.id).toBe(record.id);
    expect(again.findByEmailOrLogin(record.person.email.toUpperCase())?.id).toBe(record.id);
    expect(again.jobRun('digest').lastSlot).toBe('2026-11-24T09:00:00.000Z');
    // The file is plain JSON a person can read and back up.
    expect(JSON.parse(readFileSync(file, 'utf8')).onboardings).toHaveLength(1);
  });

  test('a file that is not JSON stops the start, names the file and stays byte-for-byte untouched', async () => {
    const file = tempDataFile();
    const garbage = '{"version":1,"onboardings":[{"id": oops';
    writeFileSync(file, garbage);
    await expect(Store.open(file)).rejects.toThrow(StoreCorruptError);
    await expect(Store.open(file)).rejects.toThrow(file);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });

  test('a file with the wrong shape stops the start and stays untouched', async () => {
    const file = tempDataFile();
    const wrong = JSON.stringify({ version: 1, onboardings: [{ id: 42 }] });
    writeFileSync(file, wrong);
    await expect(Store.open(file)).rejects.toThrow(
      /does not have the expected shape.*onboardings\.0/,
    );
    expect(readFileSync(file, 'utf8')).toBe(wrong);
  });

  test('a second process on the same file is refused; a stale lock is taken over', async () => {
    const file = tempDataFile();
    writeFileSync(`${file}.lock`, String(process.ppid)); // a live process that is not us
    await expect(Store.open(file)).rejects.toThrow(StoreLockedError);
    writeFileSync(`${file}.lock`, '999999999'); // no such process
    const store = await openStore(file);
    expect(store.size).toBe(0);
  });

  test('concurrent updates coalesce and all reach the disk', async () => {
    const file = tempDataFile();
    const store = await openStore(file, 7);
    const records = Array.from({ length: 40 }, () => makeRecord());
    await Promise.all(records.map((r) => store.insert(r)));
    await Promise.all(
      records.map((r, i) =>
        store.update(r.id, (d) => {
          d.note = `note ${i}`;
        }),
      ),
    );
    await store.compact();
    const onDisk = JSON.parse(readFileSync(file, 'utf8'));
    expect(onDisk.onboardings).toHaveLength(40);
    expect(onDisk.onboardings.map((r: { note: string }) => r.note)).toEqual(
      records.map((_, i) => `note ${i}`),
    );
  });

  test('stored records are immutable snapshots', async () => {
    const store = await openStore(tempDataFile());
    const stored = await store.insert(makeRecord());
    expect(Object.isFrozen(stored)).toBe(true);
    const updated = await store.update(stored.id, (d) => {
      d.state = 'revoked';
    });
    expect(stored.state).toBe('pending');
    expect(updated.state).toBe('revoked');
  });

  test('a change is on disk (journal) when it resolves; a crash loses nothing', async () => {
    const file = tempDataFile();
    const store = await Store.open(file); // never closed: it "crashes"
    const record = makeRecord();
    await store.insert(record);
    await store.update(record.id, (d) => {
      d.state = 'accepted';
    });
    await store.setJobRun('digest', { lastSlot: '2026-11-24T09:00' });
    // No close: as if the process died. The same pid takes its own lock over.
    expect(existsSync(`${file}.journal`)).toBe(true);
    const again = await Store.open(file);
    open.push(again);
    expect(again.get(record.id)?.state).toBe('accepted');
    expect(again.jobRun('digest').lastSlot).toBe('2026-11-24T09:00');
  });

  test('a torn last journal line (crash mid-append) is ignored; a corrupt one stops the start', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const record = makeRecord();
    await store.insert(record);
    appendFileSync(`${file}.journal`, '{"t":"record","rec');
    const again = await Store.open(file);
    expect(again.get(record.id)).toBeDefined();
    await again.close();
    writeFileSync(`${file}.journal`, 'not json\n');
    const before = readFileSync(`${file}.journal`, 'utf8');
    await expect(Store.open(file)).rejects.toThrow(/journal line 1 is not valid JSON/);
    expect(readFileSync(`${file}.journal`, 'utf8')).toBe(before);
  });

  test('the journal is folded into the snapshot every N changes and at close', async () => {
    const file = tempDataFile();
    const store = await Store.open(file, { compactEvery: 5 });
    const records = Array.from({ length: 12 }, () => makeRecord());
    for (const r of records) await store.insert(r);
    await store.flush();
    expect(JSON.parse(readFileSync(file, 'utf8')).onboardings.length).toBeGreaterThanOrEqual(5);
    await store.close();
    expect(JSON.parse(readFileSync(file, 'utf8')).onboardings).toHaveLength(12);
    expect(existsSync(`${file}.journal`) ? readFileSync(`${file}.journal`, 'utf8') : '').toBe('');
  });

  test('finds records by SIP login through an index kept up to date', async () => {
    const store = await openStore(tempDataFile());
    const a = await store.insert(makeRecord());
    expect(store.findByLogin(a.person.login.toUpperCase()).map((r) => r.id)).toEqual([a.id]);
    await store.update(a.id, (d) => {
      d.person.login = 'renamed.user';
    });
    expect(store.findByLogin(a.person.login)).toEqual([]);
    expect(store.findByLogin('renamed.user').map((r) => r.id)).toEqual([a.id]);
  });
});
