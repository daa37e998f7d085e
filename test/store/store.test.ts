import { readFileSync, writeFileSync } from 'node:fs';
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
    await store.flush();
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
});
