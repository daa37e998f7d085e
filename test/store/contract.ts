import { afterEach, describe, expect, test } from 'vitest';
import type { CohortRun } from '../../src/onboarding/cohort/model.ts';
import type { OnboardingRecord, OnboardingState } from '../../src/onboarding/model.ts';
import type { RecordStore } from '../../src/onboarding/ports.ts';
import { makeRecord } from '../helpers/records.ts';

/** Changes for `update`, as the domain writes them. */
export const setState = (state: OnboardingState) => (d: OnboardingRecord) => {
  d.state = state;
};
export const setNote = (note: string) => (d: OnboardingRecord) => {
  d.note = note;
};

/**
 * What any RecordStore must do, whatever it is built on. `open` gives a fresh,
 * empty store; `reopen` (optional) closes a store and opens the same storage
 * again, for the assertions about what survives a restart.
 */
export function describeRecordStoreContract(
  name: string,
  open: () => Promise<RecordStore>,
  reopen?: (store: RecordStore) => Promise<RecordStore>,
): void {
  describe(`RecordStore contract: ${name}`, () => {
    const stores: RecordStore[] = [];
    const fresh = async () => {
      const store = await open();
      stores.push(store);
      return store;
    };
    const again = async (store: RecordStore) => {
      const next = await reopen!(store);
      stores.push(next);
      return next;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    const NOW = new Date('2026-12-01T10:00:00Z');
    const ids = (records: readonly OnboardingRecord[]) => records.map((r) => r.id);

    test('insert stores a record that get and findBySubmission return', async () => {
      const store = await fresh();
      const record = makeRecord();
      const { record: stored, created } = await store.insert(record);
      expect(created).toBe(true);
      expect(stored).toEqual(record);
      expect(await store.get(record.id)).toEqual(record);
      expect((await store.findBySubmission(record.submissionKey))?.id).toBe(record.id);
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.findBySubmission('nope')).toBeUndefined();
    });

    test('insert is idempotent on the submission key, also when concurrent', async () => {
      const store = await fresh();
      const first = makeRecord();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.insert(i === 0 ? first : makeRecord({ submissionKey: first.submissionKey })),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.record.id))).toEqual(new Set([first.id]));
      const later = await store.insert(makeRecord({ submissionKey: first.submissionKey }));
      expect(later).toMatchObject({ created: false, record: { id: first.id } });
      expect(Object.values(await store.countByState()).reduce((a, b) => a + b)).toBe(1);
    });

    test('update applies the change to a copy, stamps updatedAt and stores it', async () => {
      const store = await fresh();
      const { record } = await store.insert(makeRecord());
      const updated = await store.update(
        record.id,
        (d) => {
          d.note = 'changed';
          d.audit.push({ at: NOW.toISOString(), by: 'system', action: 'tested' });
        },
        NOW,
      );
      expect(updated).toMatchObject({ note: 'changed', updatedAt: NOW.toISOString() });
      expect(updated.audit).toHaveLength(2);
      expect(record.note).toBeUndefined();
      expect(record.audit).toHaveLength(1);
      expect(await store.get(record.id)).toEqual(updated);
    });

    test('update of an unknown id fails clearly; a change that throws stores nothing', async () => {
      const store = await fresh();
      await expect(store.update('missing-id', () => {}, NOW)).rejects.toThrow(/missing-id/);
      const { record } = await store.insert(makeRecord());
      await expect(
        store.update(
          record.id,
          (d) => {
            d.note = 'half';
            throw new Error('boom');
          },
          NOW,
        ),
      ).rejects.toThrow('boom');
      expect((await store.get(record.id))?.note).toBeUndefined();
    });

    test('findByEmailOrLogin is case-insensitive and returns the newest match', async () => {
      const store = await fresh();
      // Closed: one SIP login is held by one open onboarding at a time (PostgreSQL enforces it).
      const older = makeRecord({ state: 'revoked' });
      await store.insert(older);
      const newer = makeRecord({ person: { ...older.person }, submissionKey: 'V-newer' });
      await store.insert(newer);
      expect((await store.findByEmailOrLogin(older.person.email.toUpperCase()))?.id).toBe(newer.id);
      expect((await store.findByEmailOrLogin(` ${older.person.login} `))?.id).toBe(newer.id);
      expect(await store.findByEmailOrLogin('nobody@example.com')).toBeUndefined();
    });

    test('findOpen, listOpen and countByState follow records that open and close', async () => {
      const store = await fresh();
      const a = (await store.insert(makeRecord())).record;
      const b = (await store.insert(makeRecord({ state: 'provisioning' }))).record;
      const c = (await store.insert(makeRecord({ state: 'accepted' }))).record;
      expect(ids(await store.listOpen())).toEqual([a.id, b.id]);
      expect(ids(await store.findOpen({ login: a.person.login.toUpperCase() }))).toEqual([a.id]);
      expect(ids(await store.findOpen({ email: b.person.email }))).toEqual([b.id]);
      expect(ids(await store.findOpen({ login: c.person.login }))).toEqual([]);
      expect(ids(await store.findOpen({ login: a.person.login, email: b.person.email }))).toEqual([
        a.id,
        b.id,
      ]);
      expect(await store.findOpen({})).toEqual([]);

      await store.update(a.id, setState('revoked'), NOW);
      await store.update(c.id, setState('expired'), NOW); // expired is open again
      await store.update(
        b.id,
        (d) => {
          d.person.login = 'renamed.user';
        },
        NOW,
      );
      expect(ids(await store.listOpen())).toEqual([b.id, c.id]);
      expect(await store.findOpen({ login: a.person.login })).toEqual([]);
      expect(await store.findOpen({ login: b.person.login })).toEqual([]);
      expect(ids(await store.findOpen({ login: 'RENAMED.user' }))).toEqual([b.id]);
      expect(ids(await store.findOpen({ login: c.person.login }))).toEqual([c.id]);
      expect(await store.countByState()).toEqual({
        requested: 0,
        provisioning: 1,
        scheduled: 0,
        pending: 0,
        failed: 0,
        accepted: 0,
        expired: 1,
        revoked: 1,
        rejected: 0,
        request_expired: 0,
        offboarded: 0,
      });
    });

    test('an offboarded record is stored with its per-part offboarding, never open nor archived', async () => {
      const store = await fresh();
      const record = (await store.insert(makeRecord({ state: 'accepted' }))).record;
      const at = NOW.toISOString();
      const updated = await store.update(
        record.id,
        (d) => {
          d.state = 'offboarded';
          d.sipUser!.active = false;
          d.offboarding = {
            mode: 'deactivate',
            by: 'U0ADMIN01',
            at,
            parts: {
              sip_user: { status: 'done', at, detail: 'deactivated', attempts: 1 },
              invites: { status: 'failed', at, detail: 'Opentact said: boom', attempts: 1 },
              email: { status: 'todo', attempts: 0 },
            },
          };
        },
        NOW,
      );
      expect(await store.get(record.id)).toEqual(updated);
      expect((await store.findByEmailOrLogin(record.person.login))?.offboarding).toEqual(
        updated.offboarding,
      );
      expect(await store.listOpen()).toEqual([]);
      expect(await store.findOpen({ login: record.person.login })).toEqual([]);
      expect((await store.countByState()).offboarded).toBe(1);
      expect(await store.archiveClosed(new Date('2030-01-01T00:00:00Z'))).toBe(0);
      if (reopen) {
        stores.splice(stores.indexOf(store), 1);
        const next = await again(store);
        expect(await next.get(record.id)).toEqual(updated);
      }
    });

    test('a scheduled record (start date ahead) is open and counted', async () => {
      const store = await fresh();
      const startAt = new Date(NOW.getTime() + 86_400_000).toISOString();
      const record = (
        await store.insert(makeRecord({ state: 'scheduled', invite: undefined, startAt }))
      ).record;
      expect(ids(await store.listOpen())).toEqual([record.id]);
      expect(ids(await store.findOpen({ login: record.person.login }))).toEqual([record.id]);
      expect((await store.countByState()).scheduled).toBe(1);
      expect((await store.get(record.id))?.startAt).toBe(startAt);
      await store.update(record.id, setState('pending'), NOW);
      expect((await store.countByState()).scheduled).toBe(0);
    });

    test('recent returns the newest live records first', async () => {
      const store = await fresh();
      const records = Array.from({ length: 5 }, () => makeRecord());
      for (const r of records) await store.insert(r);
      await store.update(records[0]!.id, setNote('touched'), NOW);
      expect(ids(await store.recent(3))).toEqual([records[4]!.id, records[3]!.id, records[2]!.id]);
      expect(await store.recent(10)).toHaveLength(5);
      expect(await store.recent(0)).toEqual([]);
    });

    test('job runs and drift are stored', async () => {
      const store = await fresh();
      expect(await store.jobRun('digest')).toEqual({});
      expect(await store.drift()).toEqual([]);
      await store.setJobRun('digest', { lastSlot: '2026-11-24T09:00' });
      const drift = [
        { kind: 'upstream-only', api: 'slyk', what: 'invite X', at: NOW.toISOString() },
      ] as const;
      await store.setDrift([...drift]);
      expect(await store.jobRun('digest')).toEqual({ lastSlot: '2026-11-24T09:00' });
      expect(await store.drift()).toEqual(drift);
    });

    test('archiveClosed moves old closed records out of the live set; they stay findable', async () => {
      const store = await fresh();
      const old = new Date('2026-01-01T00:00:00Z');
      const closed = (await store.insert(makeRecord({ state: 'accepted' }))).record;
      const expired = (await store.insert(makeRecord({ state: 'expired' }))).record;
      const recentClosed = (await store.insert(makeRecord({ state: 'revoked' }))).record;
      const pending = (await store.insert(makeRecord())).record;
      await store.update(closed.id, () => {}, old);
      await store.update(expired.id, () => {}, old);
      await store.update(pending.id, () => {}, old); // old but not closed: stays
      expect(await store.archiveClosed(new Date('2026-06-01T00:00:00Z'))).toBe(2);

      expect(await store.get(closed.id)).toBeUndefined();
      expect(ids(await store.listOpen())).toEqual([pending.id]);
      expect(ids(await store.recent(10))).toEqual([pending.id, recentClosed.id]);
      expect((await store.countByState()).accepted).toBe(0);
      const found = await store.findByEmailOrLogin(closed.person.email.toUpperCase());
      expect(found).toMatchObject({ id: closed.id, state: 'accepted' });
      expect((await store.findByEmailOrLogin(expired.person.login))?.id).toBe(expired.id);
      expect(await store.archiveClosed(new Date('2026-06-01T00:00:00Z'))).toBe(0);
    });

    test('cohort runs are stored, replaced and listed while running', async () => {
      const store = await fresh();
      const at = NOW.toISOString();
      const draft: CohortRun = {
        id: 'c1',
        requestedBy: 'U1',
        createdAt: at,
        updatedAt: at,
        state: 'draft',
        rows: [{ row: 2, name: 'Ada Lovelace', email: 'ada@example.com', recordId: 'r1' }],
      };
      await store.saveCohortRun(draft);
      expect(await store.cohortRun('c1')).toEqual(draft);
      expect(await store.runningCohorts()).toEqual([]);
      const later = {
        ...draft,
        id: 'c0',
        createdAt: '2026-12-01T11:00:00Z',
        state: 'running' as const,
      };
      await store.saveCohortRun(later);
      await store.saveCohortRun({
        ...draft,
        state: 'running',
        progress: { channel: 'D1', ts: '1.2' },
      });
      expect((await store.runningCohorts()).map((r) => r.id)).toEqual(['c1', 'c0']);
      expect((await store.cohortRun('c1'))?.progress).toEqual({ channel: 'D1', ts: '1.2' });
      await store.saveCohortRun({ ...later, state: 'done' });
      expect((await store.runningCohorts()).map((r) => r.id)).toEqual(['c1']);
      expect(await store.cohortRun('nope')).toBeUndefined();
    });

    test('restoreArchived brings an archived record back, unchanged, to the live set', async () => {
      const store = await fresh();
      const old = new Date('2026-01-01T00:00:00Z');
      const closed = (await store.insert(makeRecord({ state: 'accepted' }))).record;
      const archived = await store.update(closed.id, setNote('before archiving'), old);
      expect(await store.archiveClosed(new Date('2026-06-01T00:00:00Z'))).toBe(1);
      expect(await store.get(closed.id)).toBeUndefined();

      expect(await store.restoreArchived(closed.id)).toEqual(archived);
      expect(await store.get(closed.id)).toEqual(archived);
      expect(await store.restoreArchived(closed.id)).toEqual(archived); // live already: as it is
      expect(await store.restoreArchived('nope')).toBeUndefined();
      expect((await store.countByState()).accepted).toBe(1);
      expect(ids(await store.recent(10))).toEqual([closed.id]);
      const changed = await store.update(closed.id, setState('offboarded'), NOW);
      expect((await store.findByEmailOrLogin(closed.person.login))?.state).toBe('offboarded');
      if (reopen) {
        stores.splice(stores.indexOf(store), 1);
        const next = await again(store);
        expect(await next.get(closed.id)).toEqual(changed);
        expect((await next.findByEmailOrLogin(closed.person.email))?.state).toBe('offboarded');
      }
    });

    test('the outbox keeps lines per channel in order; a failed post leaves them; one drain at a time', async () => {
      const store = await fresh();
      expect(await store.outboxChannels()).toEqual([]);
      for (const text of ['a1', 'a2', 'a3']) await store.addToOutbox('CA', text);
      await store.addToOutbox('CB', 'b1');
      expect([...(await store.outboxChannels())].sort()).toEqual(['CA', 'CB']);
      const texts = (lines: readonly { text: string }[]) => lines.map((l) => l.text);

      // A post that throws: nothing is removed, the error reaches the caller.
      await expect(
        store.drainOutbox('CA', 2, async () => {
          throw new Error('slack is down');
        }),
      ).rejects.toThrow('slack is down');

      // While one drain posts, a second one on the channel takes nothing (it would reorder) and
      // says the channel is busy (lines added meanwhile need a look after the first is done).
      const seen: string[][] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const first = store.drainOutbox('CA', 2, async (lines) => {
        seen.push(texts(lines));
        await held;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(await store.drainOutbox('CA', 2, async (lines) => void seen.push(texts(lines)))).toBe(
        'busy',
      );
      // Another channel drains meanwhile (its b1 is posted, then queued again for below).
      expect(await store.drainOutbox('CB', 2, async () => undefined)).toBe(1);
      await store.addToOutbox('CB', 'b1');
      release();
      expect(await first).toBe(2);
      expect(await store.drainOutbox('CA', 2, async (lines) => void seen.push(texts(lines)))).toBe(
        1,
      );
      expect(seen).toEqual([['a1', 'a2'], ['a3']]);
      expect(await store.drainOutbox('CA', 2, async () => undefined)).toBe(0);
      expect(await store.outboxChannels()).toEqual(['CB']);

      // What is left survives a restart.
      if (!reopen) return;
      await store.addToOutbox('CB', 'b2');
      stores.splice(stores.indexOf(store), 1);
      const next = await again(store);
      const after: string[] = [];
      expect(await next.drainOutbox('CB', 20, async (l) => void after.push(...texts(l)))).toBe(2);
      expect(after).toEqual(['b1', 'b2']);
    });

    test('flush resolves; writes after close are refused', async () => {
      const store = await open();
      await store.insert(makeRecord());
      await store.flush();
      await store.close();
      await expect(store.insert(makeRecord())).rejects.toThrow(/closed/);
      await expect(store.setJobRun('x', {})).rejects.toThrow(/closed/);
    });

    test.skipIf(!reopen)('everything survives a restart, archive included', async () => {
      const store = await fresh();
      const kept = (await store.insert(makeRecord())).record;
      const gone = (await store.insert(makeRecord({ state: 'revoked' }))).record;
      await store.update(kept.id, setState('failed'), NOW);
      await store.setJobRun('sweep', { lastRunAt: NOW.toISOString() });
      const run: CohortRun = {
        ...{ id: 'c9', requestedBy: 'U1', createdAt: NOW.toISOString() },
        ...{ updatedAt: NOW.toISOString(), state: 'running', rows: [] },
      };
      await store.saveCohortRun(run);
      expect(await store.archiveClosed(new Date('2026-11-30T00:00:00Z'))).toBe(1);
      stores.splice(stores.indexOf(store), 1);
      const next = await again(store);
      expect(await next.get(kept.id)).toMatchObject({ state: 'failed' });
      expect(await next.get(gone.id)).toBeUndefined();
      expect((await next.findByEmailOrLogin(gone.person.email))?.state).toBe('revoked');
      expect(ids(await next.listOpen())).toEqual([kept.id]);
      expect(await next.jobRun('sweep')).toEqual({ lastRunAt: NOW.toISOString() });
      expect(await next.cohortRun('c9')).toEqual(run);
    });
  });
}
