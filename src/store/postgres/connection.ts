import pg from 'pg';
import { redact } from '../../redact.ts';
import { DatabaseUnavailableError, DatabaseUrlError, errorCode } from './errors.ts';

export type PoolOptions = {
  /** Connections per process (default 10): replicas × this must stay below max_connections. */
  poolSize?: number;
  /** Per statement, server-side (default 10 s). */
  statementTimeoutMs?: number;
  /** Waiting for a connection, or for the server to answer a connect (default 5 s). */
  connectTimeoutMs?: number;
};

/** What may be said about DATABASE_URL (host:port/database) and what must be masked. */
export type Target = { where: string; host: string; user: string; secrets: string[] };

export function describeTarget(url: string): Target {
  if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) {
    throw new DatabaseUrlError(
      'DATABASE_URL is not a PostgreSQL URL like postgres://user:password@host:5432/db',
    );
  }
  const parsed = new URL(url);
  const hostname = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const host = `${hostname}:${parsed.port || '5432'}`;
  const database =
    decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username);
  const secrets = [url];
  if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
  return {
    where: `${host}/${database}`,
    host,
    user: decodeURIComponent(parsed.username),
    secrets: secrets.sort((a, b) => b.length - a.length),
  };
}

/** `text` with the URL and its password masked (short passwords too, unlike redact alone). */
export function scrub(text: string, target: Target): string {
  let out = text;
  for (const secret of target.secrets) out = out.split(secret).join('[redacted]');
  return redact(out);
}

/** Masks the URL and password in an error's message and stack, in place (its class and code stay). */
export function scrubError<T>(error: T, target: Target): T {
  if (error instanceof Error) {
    error.message = scrub(error.message, target);
    if (error.stack) error.stack = scrub(error.stack, target);
  }
  return error;
}

export function createPool(url: string, options: PoolOptions, onIdleError: (e: Error) => void) {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    // A transaction is a few statements; one left open by a bug must not hold row locks for long.
    idle_in_transaction_session_timeout: 30_000,
    lock_timeout: 5_000,
    application_name: 'telephony-onboarding-bot',
  });
  // An idle connection dropped by the server emits here; unhandled, it would end the process.
  pool.on('error', onIdleError);
  // A checked-out client whose server goes away also emits 'error' (its query fails on its own).
  pool.on('connect', (client) => client.on('error', onIdleError));
  return pool;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

/** A secret-free error saying why the store could not be opened. */
export function openError(error: unknown, target: Target): Error {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if ((code && UNREACHABLE.has(code)) || /timeout|terminated/i.test(message)) {
    return new DatabaseUnavailableError(
      `cannot reach PostgreSQL at ${target.host} (DATABASE_URL): ${code ?? scrub(message, target)}`,
      code,
    );
  }
  if (code === '28P01' || code === '28000') {
    return new DatabaseUnavailableError(
      `PostgreSQL at ${target.host} refused the credentials of user ${target.user} (DATABASE_URL)`,
      code,
    );
  }
  if (code === '3D000') {
    return new DatabaseUnavailableError(
      `PostgreSQL at ${target.host} has no database ${target.where.split('/')[1]} (DATABASE_URL)`,
      code,
    );
  }
  return new DatabaseUnavailableError(
    `could not open the PostgreSQL store at ${target.where}: ${scrub(message, target)}`,
    code,
  );
}
