/**
 * One place that knows what a secret looks like. Every log line, every error
 * message that may leave the process and every Slack payload built from
 * upstream data passes through here.
 */

const REDACTED = '[redacted]';

/** Keys whose values are never printed, whatever they hold. */
const SECRET_KEYS = new Set([
  'password',
  'token',
  'ha1',
  'ha1b',
  'authorization',
  'x-auth-token',
  'apikey',
  'api_key',
  'signingsecret',
  'signing_secret',
  'client_secret',
  'secret',
  'bottoken',
  'apptoken',
]);

/** Shapes of secrets we may meet without having been told about them. */
const SECRET_PATTERNS: RegExp[] = [
  /\bxox[abposer]-[A-Za-z0-9-]+/g, // Slack bot/user/config tokens
  /\bxapp-[A-Za-z0-9-]+/g, // Slack app-level tokens
  /\b(Bearer)\s+(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{12,}/gi, // bearer tokens, not prose
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs (Opentact)
  /("(?:password|token|ha1b?|apikey)"\s*:\s*")[^"]*(")/gi, // JSON fragments
];

/** Configuration secrets: a handful, kept for the life of the process. */
const known = new Set<string>();
/**
 * Per-onboarding secrets (generated SIP passwords, invite tokens): only the
 * most recent are kept, so that masking costs the same after 50k onboardings.
 * They matter while their call is in flight; none is ever written anywhere.
 */
const transient = new Set<string>();
const TRANSIENT_LIMIT = 256;

/** Registers a value that must never be printed. */
export function registerSecret(
  value: string | undefined,
  kind: 'config' | 'transient' = 'config',
): void {
  if (!value || value.length < 6) return;
  if (kind === 'config') {
    known.add(value);
    return;
  }
  transient.delete(value);
  transient.add(value);
  if (transient.size > TRANSIENT_LIMIT) transient.delete(transient.values().next().value!);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** Replaces every known secret and every secret-shaped substring in `text`. */
export function redact(text: string): string {
  let out = text;
  for (const set of [known, transient]) {
    for (const secret of set) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, ...groups) => {
      const [first, second] = groups as [unknown, unknown];
      if (typeof first === 'string' && typeof second === 'string' && match.startsWith(first)) {
        return `${first}${REDACTED}${second}`;
      }
      if (typeof first === 'string' && /^bearer$/i.test(first)) return `${first} ${REDACTED}`;
      return REDACTED;
    });
  }
  return out;
}

/** A deep copy of `value` with secret keys masked and secret-shaped strings redacted. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Error) return redact(value.message);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) && item != null ? REDACTED : redactValue(item, depth + 1);
    }
    return out;
  }
  return value;
}
