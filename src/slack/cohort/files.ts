import { stringify } from 'csv-stringify/sync';
import type { CohortRun } from '../../onboarding/cohort/model.ts';
import { rowOutcome } from '../../onboarding/cohort/runner.ts';
import {
  CHANNEL_LABEL,
  CHANNELS,
  displayName,
  type OnboardingRecord,
  STEP_LABEL,
} from '../../onboarding/model.ts';
import { retryableChannels } from '../../onboarding/policy.ts';
import type { SummaryLine } from '../views/cohort.ts';

/**
 * The CSV files the bot hands out: a cohort's results and `/onboard export`.
 * Never a secret: no SIP password, no invite token, no Slyk code.
 */

/** A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with '. */
const cell = (value: string | undefined) => {
  const text = value ?? '';
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
};

const csv = (rows: (string | undefined)[][]) =>
  stringify(
    rows.map((row) => row.map(cell)),
    { record_delimiter: 'windows', bom: true },
  );

/** Why a record counts as failed, readable by the admin. */
export function failureReason(record: OnboardingRecord): string {
  if (record.state === 'failed' && record.failedStep) {
    const step = record.steps[record.failedStep];
    return `${STEP_LABEL[record.failedStep]} failed${step.reason ? `: ${step.reason}` : ''}`;
  }
  return retryableChannels(record)
    .map((c) => {
      const reason = record.deliveries[c].reason;
      return `${CHANNEL_LABEL[c]} invitation failed${reason ? `: ${reason}` : ''}`;
    })
    .join('; ');
}

export function failureLines(
  run: CohortRun,
  records: Map<string, OnboardingRecord>,
): SummaryLine[] {
  return run.rows.flatMap((row) => {
    const record = row.recordId ? records.get(row.recordId) : undefined;
    if (!record || rowOutcome(record) !== 'failed') return [];
    return [{ row: row.row, name: row.name, reason: failureReason(record) }];
  });
}

const delivery = (record: OnboardingRecord, channel: (typeof CHANNELS)[number]) =>
  record.channels.includes(channel) ? record.deliveries[channel].status : 'not requested';

export function resultsCsv(run: CohortRun, records: Map<string, OnboardingRecord>): string {
  const rows = run.rows.map((row) => {
    const record = row.recordId ? records.get(row.recordId) : undefined;
    if (!record) return [String(row.row), row.name, row.email, '', 'skipped', '', '', row.skipped];
    const failed = rowOutcome(record) === 'failed';
    return [
      String(row.row),
      row.name,
      row.email,
      record.person.login,
      record.state,
      delivery(record, 'sms'),
      delivery(record, 'email'),
      failed ? failureReason(record) : '',
    ];
  });
  return csv([
    ['row', 'person', 'email', 'login', 'state', 'sms', 'email_invitation', 'reason'],
    ...rows,
  ]);
}

export function exportCsv(records: readonly OnboardingRecord[]): string {
  const rows = records.map((r) => [
    displayName(r.person),
    r.person.email,
    r.person.login,
    r.state,
    r.createdAt,
    r.invite?.expiresAt,
    r.acceptedAt ?? r.revokedAt ?? r.expiredAt,
    r.requestedBy,
    ...CHANNELS.map((c) => delivery(r, c)),
    rowOutcome(r) === 'failed' ? failureReason(r) : '',
  ]);
  return csv([
    [
      'person',
      'email',
      'login',
      'state',
      'created_at',
      'invite_expires_at',
      'closed_at',
      'requested_by',
      'sms',
      'email_invitation',
      'reason',
    ],
    ...rows,
  ]);
}
