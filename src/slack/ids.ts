/** Every callback_id, block_id and action_id the bot uses, in one place. */

export const COMMAND = '/onboard';

export const CALLBACK = {
  onboardModal: 'onboard_modal',
  revokeModal: 'revoke_modal',
  offboardModal: 'offboard_modal',
  resendModal: 'resend_modal',
  rejectModal: 'reject_modal',
  progress: 'onboard_progress',
  refusal: 'onboard_refused',
  cohortUpload: 'cohort_upload',
  cohortConfirm: 'cohort_confirm',
} as const;

/** Inputs of the cohort modals (upload, then preview). */
export const COHORT_INPUT = {
  file: 'cohort_file',
  text: 'cohort_text',
  skip: 'cohort_skip',
} as const;

/** Input blocks of the onboarding modal. Validation errors are keyed by these. */
export const INPUT = {
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  phone: 'phone',
  login: 'login',
  lifetime: 'lifetime',
  channels: 'channels',
  note: 'note',
  startDate: 'start_date',
} as const;
export type InputBlockId = (typeof INPUT)[keyof typeof INPUT];

/** Each input's element action_id is `<block_id>_input`. */
export const inputActionId = (blockId: InputBlockId) => `${blockId}_input` as const;

/** What a sealed `private_metadata` belongs to (a dialog's seal does not open a modal's). */
export const METADATA_KIND = { onboard: 'onboard', dialog: 'dialog', cohort: 'cohort' } as const;

export const REVOKE_INPUT = { mode: 'revoke_mode' } as const;
export const RESEND_INPUT = { channels: 'resend_channels' } as const;
export const REJECT_INPUT = { reason: 'reject_reason' } as const;
export const OFFBOARD_INPUT = { mode: 'offboard_mode' } as const;

/**
 * Buttons acting on one onboarding carry its id in `value`; their action_id is
 * `<verb>:<id>` so that many items in one message stay unique.
 */
export const ACTION = {
  extend: 'extend',
  resend: 'resend',
  revoke: 'revoke',
  retry: 'retry',
  editRetry: 'edit_retry',
  /** On a cohort's summary: the id it carries is the cohort run's, not a record's. */
  cohortRetry: 'cohort_retry',
  approve: 'approve',
  reject: 'reject',
  offboard: 'offboard',
  retryOffboard: 'retry_offboard',
  reactivate: 'reactivate',
  sendNow: 'send_now',
  cancel: 'cancel',
} as const;
export type ActionVerb = (typeof ACTION)[keyof typeof ACTION];

export const actionId = (verb: ActionVerb, recordId: string) => `${verb}:${recordId}`;
export const actionPattern = (verb: ActionVerb) => new RegExp(`^${verb}:`);

/** Blocks describing one onboarding in a message: replaced in place after an action. */
export const itemBlockId = (recordId: string) => `item:${recordId}`;
export const itemActionsBlockId = (recordId: string) => `actions:${recordId}`;
export const isItemBlock = (blockId: string | undefined, recordId: string) =>
  blockId === itemBlockId(recordId) || blockId === itemActionsBlockId(recordId);
