import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * The benchmarks' PostgreSQL (bench/replicas.ts, bench/ack.ts): the tests' embedded
 * PostgreSQL 18 in a child process, but durable (fsync on); resolves with its admin URL.
 */
export async function startPostgres(): Promise<{
  url: string;
  pid: number;
  stop(): Promise<void>;
}> {
  const script = fileURLToPath(new URL('../test/helpers/postgres-process.ts', import.meta.url));
  // Durable, as in production: the test helper's default turns fsync off.
  const child: ChildProcess = spawn(process.execPath, [script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, PG_DURABLE: '1' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited (${code}) before ready`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One statement on a connection of its own. */
export async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A new, empty database on the server at `adminUrl`; resolves with its URL. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const database = `bench_${name}_${randomBytes(4).toString('hex')}`;
  await query(adminUrl, `CREATE DATABASE ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.href;
}
