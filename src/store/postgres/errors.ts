/** A second live onboarding holding a SIP login (see migrations.ts, the open-login index). */
export class DuplicateOpenRecordError extends Error {
  override name = 'DuplicateOpenRecordError';
  readonly login: string;

  constructor(login: string) {
    super(`another open onboarding already uses the SIP login ${login}`);
    this.login = login;
  }
}

/**
 * PostgreSQL could not be reached or refused us. The message names
 * host:port/database, never the password or the URL.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/** DATABASE_URL could not be parsed; the value is not repeated (it holds the password). */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/** Fields of a pg or Node error, without trusting their shape. */
export function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: unknown[] } | null;
  if (typeof e?.code === 'string') return e.code;
  // Node reports a refused connection to several addresses (localhost) as an AggregateError.
  if (Array.isArray(e?.errors)) return errorCode(e.errors[0]);
  return undefined;
}

export function constraintOf(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

export const isUniqueViolation = (error: unknown): boolean => errorCode(error) === '23505';
