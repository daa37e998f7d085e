import { z } from 'zod';
import { registerSecret } from '../redact.ts';
import { stripSecrets } from './opentact-errors.ts';

/**
 * Opentact's answer shapes (000, 001, 002), written from the documents; the
 * client (opentact.ts) parses every answer with them.
 */

// ---------------------------------------------------------------------------
// Schemas (only what the bot needs is typed; everything else passes through)
// ---------------------------------------------------------------------------

/** 001 shows `phone_number` as a string in answers; the table types it `number`. Accept both. */
const PhoneSchema = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .nullish();

/** 002's query table types `Is_Active` as String; its answer has a boolean. Accept both. */
const BooleanishSchema = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((value) => value === 'true'),
]);

const TimestampSchema = z.string().nullish();

/** 001: ListSIPUsersBySIPConnectionUUID / CreateSIPUser / GetSIPUserByUUID payload. */
export const SipUserSchema = z
  .looseObject({
    uuid: z.string(),
    login: z.string(),
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    email: z.string().nullish(),
    phone_number: PhoneSchema,
    remote_ip: z.string().nullish(),
    created_on: TimestampSchema,
    modified_on: TimestampSchema,
  })
  .transform((user) => stripSecrets(user));

/** 000: CreateSIPUserInvite / ListSIPUserInvites / ModifySIPUserInvite payload. */
export const SipUserInviteSchema = z
  .looseObject({
    uuid: z.string(),
    name: z.string().nullish(),
    expired_on: TimestampSchema,
    /** Secret: the link the invitee uses. Kept (the bot needs to know it exists), never logged. */
    token: z.string().nullish(),
    created_on: TimestampSchema,
    modified_on: TimestampSchema,
  })
  .transform((invite) => {
    if (invite.token) registerSecret(invite.token, 'transient');
    const expiredOn = invite.expired_on ? new Date(invite.expired_on) : undefined;
    const out: typeof invite & { expiredOn: Date | undefined } = {
      ...stripSecrets(invite),
      token: invite.token,
      /** `expired_on` as a Date; undefined when absent or unparsable. */
      expiredOn: expiredOn && !Number.isNaN(expiredOn.getTime()) ? expiredOn : undefined,
    };
    return out;
  });

/** 002: ModifySIPUser (SIP domain) payload. */
export const DomainUserSchema = z
  .looseObject({
    uuid: z.string(),
    login: z.string().nullish(),
    email: z.string().nullish(),
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    phone_number: PhoneSchema,
    is_active: BooleanishSchema,
    state: z.string().nullish(),
    created_on: TimestampSchema,
    modified_on: TimestampSchema,
  })
  .transform((user) => stripSecrets(user));

/** 001:13-15 `{ "success": true, "payload": … }` → the payload. */
const envelope = <S extends z.ZodType>(payload: S) =>
  z
    .looseObject({ success: z.literal(true), payload })
    .transform((body): z.output<S> => body.payload as z.output<S>);

export const SipUserAnswer = envelope(SipUserSchema);
export const SipUserListAnswer = envelope(z.array(SipUserSchema));
export const InviteAnswer = envelope(SipUserInviteSchema);
export const InviteListAnswer = envelope(z.array(SipUserInviteSchema));
export const DomainUserAnswer = envelope(DomainUserSchema);

export type SipUser = z.output<typeof SipUserSchema>;
export type SipUserInvite = z.output<typeof SipUserInviteSchema>;
export type DomainUser = z.output<typeof DomainUserSchema>;
