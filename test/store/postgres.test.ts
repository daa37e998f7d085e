import { createServer } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { ARCHIVABLE_STATES, OPEN_STATES } from '../../src/onboarding/policy.ts';
import type { RecordStore } from '../../src/onboarding/ports.ts';
import { DuplicateOpenRecordError } from '../../src/store/postgres/errors.ts';
import { MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { StoreCorruptError } from '../../src/store/store.ts';
import {
  emptyDatabaseUrl,
  freshDatabaseUrl,
  postgresAdminUrl,
  query,
} from '../helpers/postgres.ts';
import { makeRecord } from '../helpers/records.ts';
import { describeRecordStoreContract, setState } from './contract.ts';

const urls = new WeakMap<RecordStore, string>();
const openAt = async (url: string, options = {}) => {
  const store = await PostgresStore.open(url, options);
  urls.set(store, url);
  return store;
};

describeRecordStoreContract(
  'postgres',
  async () => openAt(await emptyDatabaseUrl('contract')),
  async (store) => {
    await store.close();
    return openAt(urls.get(store)!);
  },
);

const NOW = new Date('2026-12-01T10:00:00Z');

describe('PostgresStore', () => {
  const stores: PostgresStore[] = [];
  const open = async (url: string, options = {}) => {
    const store = await openAt(url, options);
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  test("a channel's pace: slots an interval apart, and a wait after the last answered post", async () => {
    const url = await freshDatabaseUrl('pace');
    const [a, b] = [await open(url), await open(url)];
    expect(await a.waitAfterAnswer('C1', 1_000)).toBe(0); // nothing posted yet
    expect(await a.reservePostSlot('C1', 1_000)).toBe(0);
    const second = await b.reservePostSlot('C1', 1_000);
    expect(second).toBeGreaterThan(900);
    expect(second).toBeLessThanOrEqual(1_000);
    // The first post is answered (late, say): the next waits a whole interval after that answer.
    await a.postAnswered('C1');
    const after = await b.waitAfterAnswer('C1', 1_000);
    expect(after).toBeGreaterThan(900);
    expect(after).toBeLessThanOrEqual(1_000);
    expect(await b.waitAfterAnswer('C2', 1_000)).toBe(0); // other channels are not held
  });

  test('two processes starting together migrate once', async () => {
    const url = await freshDatabaseUrl('migrate');
    const lines: string[] = [];
    const log = createLogger('info', {}, (line) => lines.push(line));
    const [a, b] = await Promise.all([open(url, { log }), open(url, { log })]);
    const rows = await query(url, 'SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    expect(lines.filter((l) => l.includes('schema migrated'))).toHaveLength(1);
    // Both work, and a third open later applies nothing.
    await a.insert(makeRecord());
    expect(await b.listOpen()).toHaveLength(1);
    await open(url, { log });
    expect(lines.filter((l) => l.includes('schema migrated'))).toHaveLength(1);
  });

  test('the same submission delivered to two replicas at once creates one record', async () => {
    const url = await emptyDatabaseUrl('pg');
    const [a, b] = await Promise.all([open(url), open(url)]);
    const rounds = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        // Each replica builds its own record (own id) from the same submission.
        const first = makeRecord({ submissionKey: `V-same-${i}` });
        const second = {
          ...makeRecord({ submissionKey: first.submissionKey }),
          person: first.person,
        };
        return Promise.all([a.insert(first), b.insert(second)]);
      }),
    );
    for (const [x, y] of rounds) {
      expect([x.created, y.created].filter(Boolean)).toHaveLength(1);
      expect(x.record.id).toBe(y.record.id);
    }
    expect((await a.countByState()).pending).toBe(20);
  });

  test('concurrent updates of one record from two replicas never lose a change', async () => {
    const url = await emptyDatabaseUrl('pg');
    const [a, b] = await Promise.all([open(url), open(url)]);
    const { record } = await a.insert(makeRecord());
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).update(
          record.id,
          (d) => {
            d.audit.push({ at: NOW.toISOString(), by: 'system', action: `n${i}` });
          },
          NOW,
        ),
      ),
    );
    const stored = await b.get(record.id);
    expect(stored?.audit).toHaveLength(51);
    expect(new Set(stored?.audit.map((e) => e.action)).size).toBe(51);
  });

  test('a request waiting for approval holds its SIP login; a rejected or expired one does not', async () => {
    const store = await open(await emptyDatabaseUrl('pg'));
    const request = (await store.insert(makeRecord({ state: 'requested' }))).record;
    expect((await store.findOpen({ login: request.person.login })).map((r) => r.id)).toEqual([
      request.id,
    ]);
    const same = () => makeRecord({ person: { ...request.person } });
    await expect(store.insert(same())).rejects.toThrow(DuplicateOpenRecordError);
    await store.update(request.id, setState('rejected'), NOW);
    const next = (await store.insert(same())).record;
    await store.update(next.id, setState('request_expired'), NOW);
    await store.insert(same());
    expect((await store.countByState()).request_expired).toBe(1);
  });

  test('a scheduled onboarding holds its SIP login (migration 4)', async () => {
    const store = await open(await emptyDatabaseUrl('pg'));
    const scheduled = (
      await store.insert(
        makeRecord({ state: 'scheduled', invite: undefined, startAt: NOW.toISOString() }),
      )
    ).record;
    const same = makeRecord({ person: { ...makeRecord().person, login: scheduled.person.login } });
    await expect(store.insert(same)).rejects.toThrow(DuplicateOpenRecordError);
    await store.update(scheduled.id, setState('revoked'), NOW);
    expect((await store.insert(same)).created).toBe(true);
  });

  test('a second open onboarding with the same SIP login is refused', async () => {
    const store = await open(await emptyDatabaseUrl('pg'));
    const first = (await store.insert(makeRecord())).record;
    const same = (login: string, overrides: Partial<OnboardingRecord> = {}) =>
      makeRecord({ ...overrides, person: { ...makeRecord().person, login } });

    const refused = store.insert(same(first.person.login.toUpperCase()));
    await expect(refused).rejects.toThrow(DuplicateOpenRecordError);
    await expect(refused).rejects.toThrow(first.person.login.toUpperCase());
    // A failed onboarding without a SIP user holds nothing, and a closed one neither.
    const loose = (
      await store.insert(same(first.person.login, { state: 'failed', sipUser: undefined }))
    ).record;
    await store.insert(same(first.person.login, { state: 'accepted' }));
    // …but retrying that failed one while the login is held is a real conflict.
    await expect(store.update(loose.id, setState('provisioning'), NOW)).rejects.toThrow(
      DuplicateOpenRecordError,
    );
    expect((await store.get(loose.id))?.state).toBe('failed');

    await store.update(first.id, setState('revoked'), NOW);
    expect((await store.insert(same(first.person.login))).created).toBe(true);
    // Two replicas racing with two submissions for one login: one wins.
    const other = await open(urls.get(store)!);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => other.insert(same('racer'))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateOpenRecordError);
  });

  test('one e-mail may have several open onboardings (the domain allows it)', async () => {
    const store = await open(await emptyDatabaseUrl('pg'));
    const a = (await store.insert(makeRecord())).record;
    const b = (
      await store.insert(makeRecord({ person: { ...makeRecord().person, email: a.person.email } }))
    ).record;
    expect(
      (await store.findOpen({ email: a.person.email.toUpperCase() })).map((r) => r.id),
    ).toEqual([a.id, b.id]);
  });

  test('a late redelivery of an archived submission creates nothing', async () => {
    const store = await open(await emptyDatabaseUrl('pg'));
    const { record } = await store.insert(makeRecord({ state: 'accepted' }));
    expect(await store.archiveClosed(new Date('2030-01-01T00:00:00Z'))).toBe(1);
    const again = await store.insert(makeRecord({ submissionKey: record.submissionKey }));
    expect(again).toMatchObject({ created: false, record: { id: record.id } });
    expect(await store.findBySubmission(record.submissionKey)).toBeUndefined();
  });

  test('archiving a large backlog goes in batches', async () => {
    const url = await emptyDatabaseUrl('pg');
    const store = await open(url);
    const records = Array.from({ length: 2500 }, () => makeRecord({ state: 'revoked' }));
    expect((await store.importRecords(records, false)).inserted).toBe(2500);
    expect(await store.archiveClosed(new Date('2030-01-01T00:00:00Z'))).toBe(2500);
    expect(await store.recent(5)).toEqual([]);
  });

  test('a row that is not a valid record fails naming its id; invalid changes are refused', async () => {
    const url = await emptyDatabaseUrl('pg');
    const store = await open(url);
    const { record } = await store.insert(makeRecord());
    await expect(
      store.update(
        record.id,
        (d) => {
          d.createdAt = 'yesterday';
        },
        NOW,
      ),
    ).rejects.toThrow(/createdAt/);
    await query(url, `UPDATE onboardings SET record = record - 'person' WHERE id = $1`, [
      record.id,
    ]);
    const read = store.get(record.id);
    await expect(read).rejects.toThrow(StoreCorruptError);
    await expect(read).rejects.toThrow(record.id);
  });

  test('parallel changes of one record from one process go in turn, each applied once to the copy the previous one wrote', async () => {
    const store = await open(await emptyDatabaseUrl('pg'));
    const { record } = await store.insert(makeRecord());
    const calls: string[] = [];
    const append = (text: string) => (d: OnboardingRecord) => {
      calls.push(`${text}:${d.note ?? ''}`);
      if (text === 'bad') throw new Error('refused');
      d.note = `${d.note ?? ''}${text}`;
    };
    // Run alone, a change after a refused one would compare against the same version and each
    // later one would be judged twice (on its stale copy, then on the locked row).
    const results = await Promise.allSettled(
      ['x', 'y', 'bad', 'z'].map((t) => store.update(record.id, append(t), NOW)),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(calls).toEqual(['x:', 'y:x', 'bad:xy', 'bad:xy', 'z:xy']);
    expect((await store.get(record.id))?.note).toBe('xyz');
  });

  test('two replicas changing one record in turn lose nothing (compare-and-set, then the lock)', async () => {
    const url = await emptyDatabaseUrl('pg');
    const a = await open(url);
    const b = await open(url);
    const record = (await a.insert(makeRecord())).record;
    const note = (text: string) => (d: OnboardingRecord) => {
      d.note = `${d.note ?? ''}${text}`;
    };
    // The same instant on both: the version column, not the clock, tells the copies apart.
    await a.update(record.id, note('a1 '), NOW); // a's copy is current: one statement
    await b.update(record.id, note('b1 '), NOW); // b has no copy: the locked path
    await a.update(record.id, note('a2 '), NOW); // a's copy is stale: refused, then locked
    await b.update(record.id, note('b2 '), NOW);
    expect((await a.get(record.id))?.note).toBe('a1 b1 a2 b2 ');
    // A change that refuses the stale copy is judged again on the current row.
    await a.update(record.id, setState('failed'), NOW);
    await b.update(record.id, setState('pending'), NOW);
    const seen: string[] = [];
    await a.update(
      record.id,
      (d) => {
        seen.push(d.state);
        if (d.state !== 'pending') throw new Error('only from pending');
        d.note = 'from pending';
      },
      NOW,
    );
    expect(seen).toEqual(['failed', 'pending']);
    expect((await b.get(record.id))?.note).toBe('from pending');
  });

  test('statements prepared on its connections keep working after another release migrates', async () => {
    const url = await emptyDatabaseUrl('pg');
    const store = await open(url);
    const { record } = await store.insert(makeRecord());
    const note = (text: string) => (d: OnboardingRecord) => {
      d.note = text;
    };
    await store.update(record.id, note('before'), NOW);
    await store.addToOutbox('C1', 'one');
    // A newer replica's migration: a column and an index the running one knows nothing of.
    await query(
      url,
      `ALTER TABLE onboardings ADD COLUMN later_release text;
       CREATE INDEX onboardings_later_release ON onboardings (later_release);
       ALTER TABLE outbox ADD COLUMN later_release text`,
    );
    await store.update(record.id, note('after'), NOW);
    expect((await store.get(record.id))?.note).toBe('after');
    expect(await store.findOpen({ login: record.person.login })).toHaveLength(1);
    await store.addToOutbox('C1', 'two');
    const posted: string[] = [];
    await store.drainOutbox('C1', 10, async (lines) => {
      posted.push(...lines.map((l) => l.text));
    });
    expect(posted).toEqual(['one', 'two']);
  });

  test('the schema follows policy.ts (a change there needs a migration)', () => {
    const sql = MIGRATIONS.map((m) => m.sql).join('\n');
    const list = (states: readonly string[]) => states.map((s) => `'${s}'`).join(', ');
    expect(sql).toContain(
      `onboardings (seq)\n  WHERE archived_at IS NULL AND state IN (${list(OPEN_STATES)})`,
    );
    expect(sql).toContain(`WHERE archived_at IS NULL AND state IN (${list(ARCHIVABLE_STATES)})`);
  });

  describe('DATABASE_URL secrecy', () => {
    const PASSWORD = 'Sup3r-S3cret.pw';
    const messageOf = async (url: string) => {
      try {
        await PostgresStore.open(url, { connectTimeoutMs: 2000 });
      } catch (error) {
        return `${(error as Error).message}\n${(error as Error).stack}`;
      }
      throw new Error('expected open to fail');
    };

    test('an unreachable server is named by host:port, the password never', async () => {
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number };
          server.close(() => resolve(port));
        });
      });
      const message = await messageOf(`postgres://bot:${PASSWORD}@127.0.0.1:${port}/onboarding`);
      expect(message).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}`);
      expect(message).toContain('ECONNREFUSED');
      expect(message).not.toContain(PASSWORD);
    });

    test('a wrong password or a missing database says so without the password', async () => {
      const admin = new URL(postgresAdminUrl());
      const wrong = new URL(admin);
      wrong.password = PASSWORD;
      const refused = await messageOf(wrong.href);
      expect(refused).toContain(`refused the credentials of user postgres`);
      expect(refused).not.toContain(PASSWORD);
      admin.pathname = '/no_such_db';
      const missing = await messageOf(admin.href);
      expect(missing).toContain('has no database no_such_db');
      expect(missing).not.toContain(admin.password);
    });

    test('a malformed URL is not echoed', async () => {
      const message = await messageOf(`postgres://bot:${PASSWORD}@host:notaport/db`);
      expect(message).toContain('DATABASE_URL is not a PostgreSQL URL');
      expect(message).not.toContain(PASSWORD);
    });
  });
});
