import { z } from 'zod';

/**
 * The onboarding record: one per person onboarded, written before the first
 * upstream call and after every step. It is the audit trail too. It never holds
 * a SIP password or an invite token.
 */

export const CHANNELS = ['sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CHANNEL_LABEL: Record<Channel, string> = { sms: 'SMS', email: 'E-mail' };

export const STATES = [
  // A requester's onboarding waiting for an admin's approval; nothing exists upstream yet.
  'requested',
  'provisioning',
  /** The SIP user exists (the login is reserved); the invite goes out at `startAt`. */
  'scheduled',
  'pending',
  'failed',
  'accepted',
  'expired',
  'revoked',
  /** A request an admin turned down, or one nobody decided within APPROVAL_TTL_DAYS. */
  'rejected',
  'request_expired',
  'offboarded',
] as const;
export type OnboardingState = (typeof STATES)[number];

/** Steps of the provisioning pipeline, in order. sms and email run in parallel. */
export const STEPS = ['sip_user', 'invite', 'sms', 'email'] as const;
export type StepName = (typeof STEPS)[number];

export const STEP_LABEL: Record<StepName, string> = {
  sip_user: 'SIP user',
  invite: 'SIP user invite',
  sms: 'SMS invitation',
  email: 'E-mail invitation',
};

const iso = z.string().datetime({ offset: true });

/**
 * `unknown`: the last attempt may or may not have taken effect upstream (a
 * time-out after sending, a cut-off 2xx) and nothing could tell which.
 */
export const StepStatusSchema = z.enum(['todo', 'running', 'done', 'failed', 'skipped', 'unknown']);
export type StepStatus = z.infer<typeof StepStatusSchema>;

export const StepSchema = z.object({
  status: StepStatusSchema,
  startedAt: iso.optional(),
  finishedAt: iso.optional(),
  /** Why it failed or was skipped, secret-free and readable. */
  reason: z.string().optional(),
  /** Per-field problems reported upstream (e.g. login already taken). */
  fields: z.record(z.string(), z.string()).optional(),
  attempts: z.number().int().nonnegative().default(0),
  /**
   * How far the current attempt got (e.g. `sending`): an attempt interrupted
   * before its step's effect stage cannot have taken effect.
   */
  stage: z.string().optional(),
});
export type Step = z.infer<typeof StepSchema>;

/** `unknown`: sent, but the answer was lost; the person may already have it ("not confirmed"). */
export const DeliveryStatusSchema = z.enum(['pending', 'sent', 'failed', 'skipped', 'unknown']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const DeliverySchema = z.object({
  status: DeliveryStatusSchema,
  /** Why it failed or was skipped. */
  reason: z.string().optional(),
  /** When it was last sent successfully. */
  sentAt: iso.optional(),
  attempts: z
    .array(
      z.object({
        at: iso,
        ok: z.boolean(),
        by: z.string(),
        reason: z.string().optional(),
        /** The answer was lost: `ok` is false but the message may have gone out. */
        unknown: z.boolean().optional(),
      }),
    )
    .default([]),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export const AuditEntrySchema = z.object({
  at: iso,
  /** Slack user id, or `system` for the pipeline and the jobs. */
  by: z.string(),
  action: z.string(),
  detail: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/**
 * Offboarding an accepted member: each part runs on its own and is recorded
 * (like the steps), so a partial failure says what did happen and a retry
 * runs only the parts that are not done.
 */
export const OFFBOARD_PARTS = ['sip_user', 'invites', 'email'] as const;
export type OffboardPart = (typeof OFFBOARD_PARTS)[number];
export const OFFBOARD_MODES = ['deactivate', 'remove'] as const;
export type OffboardMode = (typeof OFFBOARD_MODES)[number];

export const OFFBOARD_PART_LABEL: Record<OffboardPart, string> = {
  sip_user: 'SIP user',
  invites: 'Open SIP user invites',
  email: 'Pending e-mail invites',
};

export const OffboardPartSchema = z.object({
  /** `skipped`: nothing to do (no e-mail channel configured, no SIP user). */
  status: z.enum(['todo', 'done', 'failed', 'skipped']),
  at: iso.optional(),
  /** What was done, or why it failed (secret-free). */
  detail: z.string().optional(),
  attempts: z.number().int().nonnegative().default(0),
});
export type OffboardPartStatus = z.infer<typeof OffboardPartSchema>;

export const OffboardingSchema = z.object({
  mode: z.enum(OFFBOARD_MODES),
  /** Who asked and when (the first attempt). */
  by: z.string(),
  at: iso,
  /** Set once every part is done or skipped. */
  finishedAt: iso.optional(),
  parts: z.object({
    sip_user: OffboardPartSchema,
    invites: OffboardPartSchema,
    email: OffboardPartSchema,
  }),
});
export type Offboarding = z.infer<typeof OffboardingSchema>;

export const PersonSchema = z.object({
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  /** E.164, e.g. +4915112345678. */
  phone: z.string(),
  login: z.string(),
});
export type Person = z.infer<typeof PersonSchema>;

export const ApprovalSchema = z.object({
  /** Undecided by then → request_expired (the expiry sweep). */
  expiresAt: iso,
  /** The message in APPROVAL_CHANNEL with the Approve and Reject buttons. */
  channel: z.string().optional(),
  ts: z.string().optional(),
  decision: z.enum(['approved', 'rejected', 'expired']).optional(),
  /** Slack user id of the admin who decided (`system` for an expiry). */
  decidedBy: z.string().optional(),
  decidedAt: iso.optional(),
  /** A rejection's reason, as the admin typed it. */
  reason: z.string().optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

export const OnboardingRecordSchema = z.object({
  id: z.string(),
  /** Idempotency key: the Slack view id of the submission (or a demo/test key). */
  submissionKey: z.string(),
  createdAt: iso,
  updatedAt: iso,
  requestedBy: z.string(),
  person: PersonSchema,
  note: z.string().optional(),
  lifetimeDays: z.number().int().positive(),
  /** Channels asked for in the modal. */
  channels: z.array(z.enum(CHANNELS)),
  state: z.enum(STATES),
  /** The step that failed, when state is `failed`. */
  failedStep: z.enum(STEPS).optional(),
  steps: z.object({
    sip_user: StepSchema,
    invite: StepSchema,
    sms: StepSchema,
    email: StepSchema,
  }),
  sipUser: z
    .object({
      uuid: z.string(),
      login: z.string(),
      /** false once deactivated through the SIP domain endpoint. */
      active: z.boolean().default(true),
      removed: z.boolean().default(false),
    })
    .optional(),
  invite: z
    .object({
      uuid: z.string(),
      expiresAt: iso,
      /** Set when the invite no longer exists upstream (used, revoked or removed). */
      goneAt: iso.optional(),
    })
    .optional(),
  /** Slyk invite code (identifies the e-mail invite; shown to nobody). */
  slykCode: z.string().optional(),
  deliveries: z.object({ sms: DeliverySchema, email: DeliverySchema }),
  /** Where the requester's result lives, to update it later. */
  slack: z
    .object({
      viewId: z.string().optional(),
      channel: z.string().optional(),
      ts: z.string().optional(),
    })
    .default({}),
  /** A request that needed an admin's approval: where it waits, until when, who decided. */
  approval: ApprovalSchema.optional(),
  /**
   * When the invite and the invitations go out (a start date in the future); the
   * record is `scheduled` until then, and the invite's lifetime counts from it.
   */
  startAt: iso.optional(),
  /**
   * The one automatic reminder. Written under the record's lease *before*
   * anything is sent (`sending`), so a crash, a restart or another replica
   * never sends it twice; `sending` left behind means "not confirmed".
   */
  reminder: z
    .object({
      status: z.enum(['sending', 'sent', 'failed', 'partial']),
      at: iso,
      channels: z.array(z.enum(CHANNELS)),
      /** Per channel: sent, failed (why) or not confirmed. */
      results: z
        .array(
          z.object({
            channel: z.enum(CHANNELS),
            outcome: z.enum(['sent', 'failed', 'unknown']),
            reason: z.string().optional(),
          }),
        )
        .default([]),
    })
    .optional(),
  /** When an expiry was last reported in a digest (so "expired since the last digest" is exact). */
  expiredAt: iso.optional(),
  acceptedAt: iso.optional(),
  revokedAt: iso.optional(),
  /** The cohort run (CSV upload) and row this onboarding came from. */
  cohort: z.object({ id: z.string(), row: z.number().int().positive() }).optional(),
  /** Present while the record is `offboarded` (a reactivation removes it; the audit keeps it). */
  offboarding: OffboardingSchema.optional(),
  /** Set by reconciliation when upstream disagrees with the record. */
  drift: z.string().optional(),
  audit: z.array(AuditEntrySchema).default([]),
  /**
   * Which process is working on the record, until when (renewed while it works).
   * Only used when several processes share the store; a lapsed lease is free.
   */
  lease: z.object({ owner: z.string(), until: iso }).optional(),
});
export type OnboardingRecord = z.infer<typeof OnboardingRecordSchema>;

export const JobRunSchema = z.object({
  lastRunAt: iso.optional(),
  /**
   * The scheduled slot the last run covered, as its local wall-clock key in the
   * job's time zone (`2026-11-24T09:00`, see localSlotKey); a slot is never run twice.
   */
  lastSlot: z.string().optional(),
});

/** A line waiting in a channel's outbox (audit lines), in the order it was added. */
export const OutboxLineSchema = z.object({ seq: z.number().int(), text: z.string() });
export type OutboxLine = z.infer<typeof OutboxLineSchema>;

export const DriftItemSchema = z.object({
  kind: z.enum(['upstream-only', 'local-only']),
  api: z.enum(['opentact', 'slyk']),
  what: z.string(),
  at: iso,
});
export type DriftItem = z.infer<typeof DriftItemSchema>;
export type JobRun = z.infer<typeof JobRunSchema>;

/** A fresh step list. */
export function newSteps(): OnboardingRecord['steps'] {
  const todo = (): Step => ({ status: 'todo', attempts: 0 });
  return { sip_user: todo(), invite: todo(), sms: todo(), email: todo() };
}

export function displayName(person: Person): string {
  return `${person.firstName} ${person.lastName}`.trim();
}
