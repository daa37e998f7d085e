import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { archiveFileFor } from '../../src/store/archive.ts';
import { StoreLockedError } from '../../src/store/lock.ts';
import {
  Store,
  StoreClosedError,
  StoreCorruptError,
  type StoreOptions,
} from '../../src/store/store.ts';
import { makeRecord, tempDataFile } from '../helpers/records.ts';
import { setNote, setState } from './contract.ts';

const opened: Store[] = [];
async function openStore(file: string, options: StoreOptions = {}) {
  const store = await Store.open(file, options);
  opened.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const NOW = new Date('2026-12-01T10:00:00Z');
const snapshot = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as { onboardings: OnboardingRecord[]; jobs: object };
const textOf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const jsonl = (...entries: object[]) => entries.map((e) => `${JSON.stringify(e)}\n`).join('');

/** The files as a crash would leave them, copied while the store runs (its handles stay ours to close). */
function crashCopy(file: string): string {
  const copy = tempDataFile(basename(file));
  for (const name of readdirSync(dirname(file))) {
    copyFileSync(join(dirname(file), name), join(dirname(copy), name));
  }
  return copy;
}

describe('Store files', () => {
  test('persists records and reads them back after a restart; the snapshot is plain JSON', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const record = makeRecord();
    await store.insert(record);
    await store.update(record.id, setState('accepted'), NOW);
    await store.setJobRun('digest', { lastSlot: '2026-11-24T09:00' });
    await store.close();
    // The snapshot and its index (checksum, and where each record is) that lets the next start
    // trust it without parsing it.
    expect(readdirSync(dirname(file)).sort()).toEqual(['db.json', 'db.json.index']);

    const again = await openStore(file);
    expect(again.size).toBe(1);
    expect(again.all().map((r) => r.state)).toEqual(['accepted']);
    expect((await again.jobRun('digest')).lastSlot).toBe('2026-11-24T09:00');
    expect(snapshot(file).onboardings).toHaveLength(1);
  });

  test('a file that is not JSON stops the start, names the file and stays byte-for-byte untouched', async () => {
    const file = tempDataFile();
    const garbage = '{"version":1,"onboardings":[{"id": oops';
    writeFileSync(file, garbage);
    await expect(Store.open(file)).rejects.toThrow(StoreCorruptError);
    await expect(Store.open(file)).rejects.toThrow(file);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
    expect(existsSync(`${file}.lock`)).toBe(false);
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

  test('a change is in the journal when it resolves; a crash loses nothing', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const record = makeRecord();
    await store.insert(record);
    await store.update(record.id, setState('accepted'), NOW);
    await store.setJobRun('digest', { lastSlot: '2026-11-24T09:00' });
    expect(existsSync(file)).toBe(false); // no snapshot yet: all of it is in the journal
    const again = await openStore(crashCopy(file));
    expect((await again.get(record.id))?.state).toBe('accepted');
    expect((await again.jobRun('digest')).lastSlot).toBe('2026-11-24T09:00');
  });

  test('a torn last journal line is ignored and cut off; a corrupt one stops the start', async () => {
    const file = tempDataFile();
    const record = makeRecord();
    writeFileSync(`${file}.journal`, `${jsonl({ t: 'record', record })}{"t":"record","rec`);
    const store = await openStore(file);
    expect(await store.get(record.id)).toBeDefined();
    const later = makeRecord();
    await store.insert(later);
    // Crash again before any snapshot: the new line did not glue onto the torn one.
    const copy = crashCopy(file);
    const again = await openStore(copy);
    expect(again.all().map((r) => r.id)).toEqual([record.id, later.id]);
    await again.close();

    writeFileSync(`${copy}.journal`, 'not json\n');
    await expect(Store.open(copy)).rejects.toThrow(/journal line 1 is not valid JSON/);
    expect(readFileSync(`${copy}.journal`, 'utf8')).toBe('not json\n');
  });

  test('stored records are frozen snapshots, nested objects included', async () => {
    const store = await openStore(tempDataFile());
    const { record } = await store.insert(makeRecord());
    expect(Object.isFrozen(record.person)).toBe(true);
    expect(() => record.audit.push({ at: NOW.toISOString(), by: 'x', action: 'y' })).toThrow();
    const updated = await store.update(record.id, setState('revoked'), NOW);
    expect(record.state).toBe('pending');
    expect(updated.state).toBe('revoked');
  });

  test('writes after close are refused with StoreClosedError', async () => {
    const store = await Store.open(tempDataFile());
    await store.close();
    await expect(store.update('x', () => {}, NOW)).rejects.toThrow(StoreClosedError);
    await expect(store.archiveClosed(NOW)).rejects.toThrow(StoreClosedError);
    await store.close(); // twice is fine
  });

  test('every file handle is closed explicitly, also after a failed write', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const file = tempDataFile();
    const baseline = fds();
    const store = await Store.open(file, { compactEvery: 3 });
    const records = Array.from({ length: 10 }, () => makeRecord({ state: 'accepted' }));
    await Promise.all(records.map((r) => store.insert(r)));
    await store.compact();
    mkdirSync(`${file}.journal`); // the next append fails: EISDIR
    await expect(store.insert(makeRecord())).rejects.toThrow();
    rmSync(`${file}.journal`, { recursive: true });
    mkdirSync(store.archiveFile); // so does the archive
    await expect(store.archiveClosed(new Date('2030-01-01'))).rejects.toThrow();
    rmSync(store.archiveFile, { recursive: true });
    expect(await store.archiveClosed(new Date('2030-01-01'))).toBe(10);
    expect(await store.findByEmailOrLogin(records[0]!.person.email)).toBeDefined();
    await store.close();
    expect(fds()).toBe(baseline);
  });
});

describe('Store compaction', () => {
  test('the journal is folded into the snapshot every N changes and at close', async () => {
    const file = tempDataFile();
    const store = await openStore(file, { compactEvery: 5 });
    const records = Array.from({ length: 12 }, () => makeRecord());
    for (const r of records) await store.insert(r);
    await store.compact();
    expect(snapshot(file).onboardings).toHaveLength(12);
    await store.insert(makeRecord());
    await store.close();
    expect(snapshot(file).onboardings).toHaveLength(13);
    expect(existsSync(`${file}.journal`)).toBe(false);
    expect(existsSync(`${file}.journal.old`)).toBe(false);
  });

  test('a single change reaches the snapshot within compactAfterMs, with no further changes', async () => {
    const file = tempDataFile();
    const store = await openStore(file, { compactAfterMs: 100 });
    const record = makeRecord();
    await store.insert(record);
    await expect.poll(() => existsSync(file) && snapshot(file).onboardings.length).toBe(1);
    expect(existsSync(`${file}.journal`)).toBe(false);
  });

  test('under sustained load the snapshot keeps up, the journal stays small and every write resolves', async () => {
    const file = tempDataFile();
    const store = await openStore(file, { compactAfterMs: 200, compactEvery: 1e9 });
    const workers = Array.from({ length: 8 }, () => makeRecord());
    for (const r of workers) await store.insert(r);
    const done: { at: number; i: number }[][] = workers.map(() => []);
    let maxJournal = 0;
    let written = 0;
    const sampler = setInterval(() => {
      const path = `${file}.journal`;
      if (existsSync(path)) maxJournal = Math.max(maxJournal, statSync(path).size);
    }, 10);
    const deadline = Date.now() + 1500;
    await Promise.all(
      workers.map(async (r, w) => {
        for (let i = 0; Date.now() < deadline; i += 1) {
          const stored = await store.update(r.id, setNote(String(i)), new Date());
          written += JSON.stringify({ t: 'record', record: stored }).length + 1;
          done[w]!.push({ at: Date.now(), i });
        }
      }),
    );
    clearInterval(sampler);
    const end = Date.now();
    const onDisk = new Map(snapshot(file).onboardings.map((r) => [r.id, Number(r.note)]));
    workers.forEach((r, w) => {
      // Everything that resolved 600 ms before the end (3 × compactAfterMs) is in db.json.
      const due = done[w]!.filter((d) => d.at <= end - 600).at(-1);
      expect(onDisk.get(r.id)).toBeGreaterThanOrEqual(due?.i ?? 0);
    });
    expect(written).toBeGreaterThan(0);
    expect(maxJournal).toBeLessThan(written / 2);
  });

  test('rotation is crash-safe: snapshot + journal.old + journal rebuild the state', async () => {
    const [a, b, c] = [makeRecord(), makeRecord(), makeRecord()];
    const v = (r: OnboardingRecord, note: string) => ({ t: 'record', record: { ...r, note } });
    const old = jsonl(v(a, 'a2'), v(c, 'c1'), {
      t: 'job',
      name: 'digest',
      run: { lastSlot: 's1' },
    });
    const current = jsonl(v(a, 'a3'), { t: 'archived', ids: [b.id] }, { t: 'drift', items: [] });
    const cases = {
      'crash before the snapshot': [[a, b], old, current],
      'crash after the snapshot, before journal.old was removed': [
        [{ ...a, note: 'a3' }, b, { ...c, note: 'c1' }],
        old,
        current,
      ],
      'crash while folding the journal into journal.old (duplicate suffix)': [
        [a, b],
        old + current,
        current,
      ],
    } as const;
    for (const [name, [records, oldText, text]] of Object.entries(cases)) {
      const file = tempDataFile();
      writeFileSync(file, JSON.stringify({ version: 1, onboardings: records }));
      writeFileSync(`${file}.journal.old`, oldText);
      writeFileSync(`${file}.journal`, text);
      for (let round = 0; round < 2; round += 1) {
        const store = await Store.open(file);
        const state = [a, c].map((r) => store.all().find((x) => x.id === r.id)?.note);
        expect(state, name).toEqual(['a3', 'c1']);
        expect(await store.get(b.id), name).toBeUndefined();
        expect((await store.jobRun('digest')).lastSlot, name).toBe('s1');
        await store.insert(makeRecord()); // a change after recovery, then a clean close
        await store.close();
        expect(textOf(`${file}.journal`) + textOf(`${file}.journal.old`), name).toBe('');
        if (round === 0) expect(snapshot(file).onboardings, name).toHaveLength(3);
        else expect(snapshot(file).onboardings, name).toHaveLength(4);
      }
    }
  });

  test('a leftover journal.old is kept until a snapshot covers it, then removed', async () => {
    const file = tempDataFile();
    const a = makeRecord();
    writeFileSync(`${file}.journal.old`, jsonl({ t: 'record', record: a }));
    const store = await openStore(file, { compactAfterMs: 60_000 });
    const b = makeRecord();
    await store.insert(b);
    const copy = crashCopy(file); // a crash now: journal.old and journal, no snapshot
    await store.compact();
    expect(existsSync(`${file}.journal.old`)).toBe(false);
    expect(snapshot(file).onboardings.map((r) => r.id)).toEqual([a.id, b.id]);
    const again = await openStore(copy);
    expect(again.all().map((r) => r.id)).toEqual([a.id, b.id]);
  });
});

describe('Store archive', () => {
  const longAgo = new Date('2026-01-01T00:00:00Z');
  const cutoff = new Date('2026-06-01T00:00:00Z');

  test('archived records go to db.archive.jsonl (one per line); the live file shrinks', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const closed = Array.from({ length: 20 }, () => makeRecord({ state: 'revoked' }));
    for (const r of closed) {
      await store.insert(r);
      await store.update(r.id, () => {}, longAgo);
    }
    const open = (await store.insert(makeRecord())).record;
    await store.compact();
    const before = statSync(file).size;
    expect(await store.archiveClosed(cutoff)).toBe(20);
    expect(store.archiveFile).toBe(join(dirname(file), 'db.archive.jsonl'));
    const lines = readFileSync(store.archiveFile, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(closed.map((r) => r.id));
    await store.close();

    const again = await openStore(file);
    expect(again.all().map((r) => r.id)).toEqual([open.id]);
    expect(statSync(file).size).toBeLessThan(before / 10);
    expect((await again.findByEmailOrLogin(closed[3]!.person.login))?.id).toBe(closed[3]!.id);
  });

  test('a crash between archive and removal leaves the record in both: the live one wins', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const record = makeRecord({ state: 'accepted' });
    await store.insert(record);
    const stale = { ...record, person: { ...record.person, email: 'old@example.com' } };
    writeFileSync(store.archiveFile, jsonl(stale));
    expect((await store.findByEmailOrLogin(record.person.email))?.id).toBe(record.id);
    expect(await store.findByEmailOrLogin('old@example.com')).toBeUndefined();
    await store.update(record.id, () => {}, longAgo);
    expect(await store.archiveClosed(cutoff)).toBe(1);
    // Two lines for one id: the last one wins.
    expect(await store.findByEmailOrLogin('old@example.com')).toBeUndefined();
    expect((await store.findByEmailOrLogin(record.person.email))?.updatedAt).toBe(
      longAgo.toISOString(),
    );
  });

  test('bad archive lines are skipped; the newest archived match wins', async () => {
    const file = tempDataFile();
    const older = makeRecord({ state: 'accepted', createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = makeRecord({ state: 'revoked', person: older.person });
    const bad = { id: 'x', person: older.person, createdAt: '2026-12-01T00:00:00.000Z' };
    // As an earlier run (and a crash) left it; the store reads it when it opens.
    writeFileSync(
      archiveFileFor(file),
      `${jsonl(newer)}{"id": torn\n${jsonl(bad)}${jsonl(older)}{"id":"y`,
    );
    const store = await openStore(file);
    expect((await store.findByEmailOrLogin(older.person.email))?.id).toBe(newer.id);
    expect(await store.findByEmailOrLogin('unknown@example.com')).toBeUndefined();
    // The archive ends in a torn line: the next append still starts on a line of its own.
    const r = makeRecord({ state: 'accepted' });
    await store.insert(r);
    await store.update(r.id, () => {}, longAgo);
    expect(await store.archiveClosed(cutoff)).toBe(1);
    expect((await store.findByEmailOrLogin(r.person.login))?.id).toBe(r.id);
  });

  test('a record changed while it was being archived stays live', async () => {
    const store = await openStore(tempDataFile());
    const r = (await store.insert(makeRecord({ state: 'expired' }))).record;
    await store.update(r.id, () => {}, longAgo);
    const archiving = store.archiveClosed(cutoff);
    // Microtasks only: the archive's file I/O cannot have completed, the records are chosen.
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
    await store.update(r.id, setState('pending'), NOW); // extended meanwhile
    expect(await archiving).toBe(0);
    expect((await store.get(r.id))?.state).toBe('pending');
    expect((await store.findByEmailOrLogin(r.person.email))?.state).toBe('pending');
  });
});

describe('archive index', () => {
  test('lines there at open and lines archived since are found; the last line for an id wins', async () => {
    const file = tempDataFile();
    const archive = archiveFileFor(file);
    const old = makeRecord({ state: 'accepted' });
    const newer = { ...old, state: 'revoked' as const, note: 'second line' };
    const other = makeRecord({ state: 'expired' });
    // Written before the store opens (an earlier run's archive), with a torn last line.
    writeFileSync(archive, `${JSON.stringify(old)}\n${JSON.stringify(newer)}\n{"id":"torn`);
    const store = await openStore(file);
    expect(await store.findByEmailOrLogin(old.person.login.toUpperCase())).toEqual(newer);
    // Archived now, after the torn line: the index learns where it went.
    await store.insert({ ...other, updatedAt: '2026-01-01T00:00:00.000Z' });
    expect(await store.archiveClosed(NOW)).toBe(1);
    expect(await store.findByEmailOrLogin(other.person.email)).toEqual({
      ...other,
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    expect((await store.restoreArchived(old.id))?.note).toBe('second line');
    expect(await store.findByEmailOrLogin('nobody@example.com')).toBeUndefined();
  });
});

describe('trusted snapshots', () => {
  test("the store's own snapshot is trusted; a hand-edited one is validated and refused when wrong", async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    await store.insert(makeRecord());
    await store.close();
    const again = await openStore(file);
    expect(again.size).toBe(1);
    await again.close();

    // Hand-edited: still JSON, but a record lost a required field. The checksum no longer
    // matches, so the file is validated, refused, and left as it was.
    const text = readFileSync(file, 'utf8').replace('"state":"pending"', '"state":"on holiday"');
    writeFileSync(file, text);
    await expect(openStore(file)).rejects.toThrow(/does not have the expected shape/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  test('records read from its own snapshot stay the same through changes, snapshots and restarts', async () => {
    const file = tempDataFile();
    const expected = new Map<string, OnboardingRecord>();
    let store = await openStore(file, { sliceSize: 7 }); // several slices per write
    const check = async () => {
      expect(store.size).toBe(expected.size);
      for (const [id, record] of expected) expect(await store.get(id)).toEqual(record);
      expect((await store.listOpen()).map((r) => r.id)).toEqual(
        [...expected.values()].filter((r) => r.state === 'pending').map((r) => r.id),
      );
    };
    for (let i = 0; i < 30; i += 1) {
      const { record } = await store.insert(makeRecord({ state: i % 3 ? 'pending' : 'accepted' }));
      expected.set(record.id, record);
    }
    const ids = [...expected.keys()];
    for (let round = 0; round < 4; round += 1) {
      // Some records are changed, some only read, the rest never touched before the snapshot.
      for (const id of ids.filter((_, i) => i % 5 === round)) {
        expected.set(id, await store.update(id, setNote(`round ${round}`), NOW));
      }
      for (const id of ids.filter((_, i) => i % 7 === round)) await store.get(id);
      await store.compact();
      // A second snapshot copies the unchanged lines from the first one's bytes.
      await store.update(ids[round]!, setNote('again'), NOW);
      expected.set(ids[round]!, (await store.get(ids[round]!))!);
      await store.compact();
      await check();
      await store.close();
      store = await openStore(file, { sliceSize: 7 });
      await store.compact(); // before anything was read: every line copied as bytes
      await store.close();
      store = await openStore(file, { sliceSize: 7 });
      await check();
    }
    const index = JSON.parse(readFileSync(`${file}.index`, 'utf8'));
    expect(index).toMatchObject({ format: 1, count: 30 });
    // The file is still plain lowdb JSON, one record per line.
    expect(snapshot(file).onboardings.map((r) => r.id)).toEqual(ids);
  });

  test('an index that does not match the file is ignored: the file is validated in full', async () => {
    const file = tempDataFile();
    const store = await openStore(file);
    const { record } = await store.insert(makeRecord());
    await store.close();
    // Same length, other content: the checksum catches it, and validation refuses the bad state.
    const text = readFileSync(file, 'utf8').replace('"state":"pending"', '"state":"pendinG"');
    writeFileSync(file, text);
    await expect(openStore(file)).rejects.toThrow(/does not have the expected shape/);
    // A stale index over a good file: validated in full and served.
    writeFileSync(file, text.replace('"pendinG"', '"accepted"'));
    const again = await openStore(file);
    expect((await again.get(record.id))?.state).toBe('accepted');
  });
});
