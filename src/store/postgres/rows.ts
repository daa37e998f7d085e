import { type OnboardingRecord, OnboardingRecordSchema } from '../../onboarding/model.ts';
import { StoreCorruptError } from '../store.ts';

/** Lower-cased and trimmed, as the lowdb store compares logins and e-mails. */
/** A SQL list of states; they are identifiers from policy.ts, never input. */
export const sqlList = (states: readonly string[]) =>
  states.map((s) => (/^[a-z_]+$/.test(s) ? `'${s}'` : '')).join(', ');
/** The live set: records not archived. */
export const LIVE = 'archived_at IS NULL';

export const normal = (value: string): string => value.trim().toLowerCase();

/** The columns written for a record, in this order ($1…$10 of INSERT and UPDATE). */
export const RECORD_COLUMNS = [
  'id',
  'submission_key',
  'state',
  'login_lower',
  'email_lower',
  'has_sip_user',
  'created_at',
  'updated_at',
  'invite_expires_at',
  'record',
] as const;

/** `$1, $2, …` for RECORD_COLUMNS (the record itself cast to jsonb). */
export const RECORD_PLACEHOLDERS = RECORD_COLUMNS.map((c, i) =>
  c === 'record' ? `$${i + 1}::jsonb` : `$${i + 1}`,
).join(', ');

/** The queried fields as columns, the whole record as jsonb. */
export function recordValues(record: OnboardingRecord): unknown[] {
  return [
    record.id,
    record.submissionKey,
    record.state,
    normal(record.person.login),
    normal(record.person.email),
    record.sipUser !== undefined,
    record.createdAt,
    record.updatedAt,
    record.invite?.expiresAt ?? null,
    JSON.stringify(record),
  ];
}

function issuesOf(error: { issues: readonly { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Validated on the way in, so a change that produces an invalid record is
 * refused before anything is written…
 */
export function toStored(record: OnboardingRecord): OnboardingRecord {
  const parsed = OnboardingRecordSchema.safeParse(record);
  if (parsed.success) return parsed.data;
  throw new TypeError(`onboarding record ${record.id} is not valid (${issuesOf(parsed.error)})`);
}

/** …and on the way out: a row edited by hand or by another release fails naming its id. */
export function fromRow(row: { id: string; record: unknown }): OnboardingRecord {
  const parsed = OnboardingRecordSchema.safeParse(row.record);
  if (parsed.success) return parsed.data;
  throw new StoreCorruptError(
    `onboarding record ${row.id} in PostgreSQL does not have the expected shape (${issuesOf(parsed.error)})`,
  );
}
