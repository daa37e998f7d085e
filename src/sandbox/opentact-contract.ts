import { createHash } from 'node:crypto';
import {
  DATE_TIME_RE,
  INVALID_JSON,
  type SimRequest,
  type SimResponse,
  type SimServer,
  UUID_RE,
} from './http.ts';

/**
 * What the Opentact documents (/work/shared/api-docs 000, 001, 002) fix, for the
 * simulator in opentact.ts: its state and public types, the documented enums and
 * limits, the field validation and the answer shapes. Every check names the
 * document line it comes from ("001:191" = file 001, line 191).
 */

// --- State ------------------------------------------------------------------

export type SimSipUser = {
  uuid: string;
  connectionUuid: string;
  login: string;
  /** Digests only: the password itself is never stored nor echoed. */
  ha1: string;
  ha1b: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone_number: string | null;
  remote_ip: string | null;
  avatar: string | null;
  dob: string | null;
  gender: string | null;
  /** SIP domain view (002). */
  is_active: boolean;
  state: string;
  same_domain_calls_only: boolean;
  tn_lease: string | null;
  created_on: string;
  modified_on: string;
};

export type SimInvite = {
  uuid: string;
  connectionUuid: string;
  name: string;
  expired_on: string;
  token: string;
  created_on: string;
  modified_on: string;
};

export type OpentactSimState = {
  readonly token: string;
  readonly connections: Set<string>;
  readonly domain: string | undefined;
  readonly users: Map<string, SimSipUser>;
  readonly invites: Map<string, SimInvite>;
};

export type OpentactSimulatorOptions = {
  token: string;
  /** Known SIP connection uuids. */
  connections: string[];
  /** The SIP domain (002); without it every /sip/domain call answers 404. */
  domain?: string | undefined;
};

export type SeedUserInput = {
  login: string;
  connectionUuid?: string;
  password?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone_number?: string;
  is_active?: boolean;
  state?: string;
};

export type SeedInviteInput = { name: string; expiredOn: Date | string; connectionUuid?: string };

export type OpentactSimHelpers = {
  /** Adds a SIP user directly (no HTTP call, no call-log entry). */
  seedUser(input: SeedUserInput): SimSipUser;
  /** Adds an invite directly. */
  seedInvite(input: SeedInviteInput): SimInvite;
  /** The invitee used the invite: it is consumed (gone from the list). False when unknown. */
  acceptInvite(uuid: string): boolean;
  /** Sets a user's SIP registration state as 002 shows it (e.g. "online"). */
  setUserState(uuid: string, state: string): boolean;
  /** Empties users and invites, faults and the call log. */
  reset(): void;
};

export type OpentactSimulator = OpentactSimHelpers & {
  server: SimServer;
  state: OpentactSimState;
  helpers: OpentactSimHelpers;
};

// --- Documented enums and limits ---------------------------------------------

/** 001:216 (CreateSIPUser) and 001:456 (ModifySIPUser): `gender` Enum. */
// biome-ignore format: one enum, as the document lists it
export const GENDERS = [
  'Agender', 'Androgyne', 'Androgynous', 'Bigender', 'Cis', 'Cisgender', 'Cis Female',
  'Cis Male', 'Cis Man', 'Cis Woman', 'Cisgender Female', 'Cisgender Male', 'Cisgender Man',
  'Cisgender Woman', 'Female to Male', 'FTM', 'Gender Fluid', 'Gender Nonconforming',
  'Gender Questioning', 'Gender Variant', 'Genderqueer', 'Intersex', 'Male to Female', 'MTF',
  'Neither', 'Neutrois', 'Non-binary', 'Other', 'Pangender', 'Trans', 'Trans Female',
  'Trans Male', 'Trans Man', 'Trans Person', 'Trans Woman', 'Transfeminine', 'Transgender',
  'Transgender Female', 'Transgender Male', 'Transgender Man', 'Transgender Person',
  'Transgender Woman', 'Transmasculine', 'Transsexual', 'Transsexual Female',
  'Transsexual Male', 'Transsexual Man', 'Transsexual Person', 'Transsexual Woman', 'Two-Spirit',
] as const;

/**
 * 001:205-207 `phone_number number [ 3 .. 16 ]`, but every sample and answer uses a
 * string, and 002:272 answers "+1234567890". Enforced: a string of 3..16 digits with
 * an optional leading `+`, or a JSON integer of 3..16 digits (the table's `number`).
 */
const PHONE_RE = /^\+?\d{3,16}$/;

// --- Validation ----------------------------------------------------------------

export type Check = (value: unknown) => string | undefined;
export type FieldErrors = Record<string, { message: string; value: unknown }>;

const text =
  (min: number, max: number): Check =>
  (value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (value.length < min || value.length > max) return `must be [ ${min} .. ${max} ] characters`;
    return undefined;
  };
const anyText: Check = (value) => (typeof value === 'string' ? undefined : 'must be a string');
export const uuid: Check = (value) =>
  typeof value === 'string' && UUID_RE.test(value)
    ? undefined
    : `must match pattern ${UUID_RE.source}`;
const dateTime: Check = (value) =>
  typeof value === 'string' && DATE_TIME_RE.test(value) && !Number.isNaN(Date.parse(value))
    ? undefined
    : 'must be a valid ISO 8601 date-time';
const phone: Check = (value) => {
  if (typeof value === 'number' && Number.isInteger(value) && PHONE_RE.test(String(value))) {
    return undefined;
  }
  if (typeof value === 'string' && PHONE_RE.test(value)) return undefined;
  return 'must be 3 to 16 digits, optionally with a leading +';
};
const gender: Check = (value) =>
  typeof value === 'string' && (GENDERS as readonly string[]).includes(value)
    ? undefined
    : `must be one of the documented values (${GENDERS.length})`;
const booleanish: Check = (value) =>
  typeof value === 'boolean' || value === 'true' || value === 'false'
    ? undefined
    : 'must be a boolean';
const dateTimeOrNumber: Check = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : dateTime(value);

/** 001 CreateSIPUser request body (001:188-223). */
export const CREATE_USER_RULES: Record<string, Check> = {
  login: text(7, 15), // 001:189-191 login [ 7 .. 15 ] characters
  password: uuid, // 001:192-194 password ^[0-9a-f]{8}-…$ (UUID pattern)
  first_name: text(1, 24), // 001:196-198 first_name [ 1 .. 24 ] characters
  last_name: text(1, 24), // 001:199-201 last_name [ 1 .. 24 ] characters
  email: text(6, 80), // 001:202-203 (name lost) [ 6 .. 80 ] characters; `email` per 001:362
  phone_number: phone, // 001:205-207 phone_number number [ 3 .. 16 ] (see PHONE_RE)
  avatar: text(10, 255), // 001:208-210 avatar [ 10 .. 255 ] characters
  dob: dateTime, // 001:211-213 dob <date-time>
  gender, // 001:214-216 gender Enum
  remote_ip: text(7, 15), // 001:217-219 remote_ip [ 7 .. 15 ] characters
  sip_connection_uuid: uuid, // 001:220-222 sip_connection_uuid UUID pattern
};

/** 001 ModifySIPUser request body (001:428-463): as create, but login [ 3 .. 60 ]. */
export const MODIFY_USER_RULES: Record<string, Check> = {
  ...CREATE_USER_RULES,
  login: text(3, 60), // 001:429-431 login [ 3 .. 60 ] characters
};

/** 000 CreateSIPUserInvite / ModifySIPUserInvite request body (000:24-27, 000:451-454). */
export const INVITE_RULES: Record<string, Check> = {
  name: text(3, 255), // 000:26 name [ 3 .. 255 ] characters
  expired_on: dateTime, // 000:27 expired_on <date-time>
};

/** 002 ModifySIPUser (SIP domain) parameters (002:185-249), keyed lower-case. */
export const DOMAIN_USER_RULES: Record<string, Check> = {
  is_active: booleanish, // 002:191-193 Is_Active String (the answer, 002:269, has a boolean)
  email: anyText, // 002:197-199 Email String
  last_name: anyText, // 002:203-205 Last_name String
  first_name: anyText, // 002:209-211 First_name String
  password: anyText, // 002:215-217 Password String (no pattern on this page)
  phone_number: phone, // 002:221-223 Phone_number Number (002:272 answers "+1234567890")
  tn_lease: uuid, // 002:227-229 Tn_lease UUID
  dob: dateTimeOrNumber, // 002:233-235 Dob Number (002:273 answers a date-time)
  same_domain_calls_only: booleanish, // 002:239-241 same_domain_calls_only Boolean
  // 002:245-247 Gender String — no enum here (002:277 answers "Female", not in 001's enum)
  gender: anyText,
};

export function check(
  where: 'body' | 'query' | 'params',
  values: Record<string, unknown>,
  rules: Record<string, Check>,
  required: string[] = [],
): FieldErrors {
  const errors: FieldErrors = {};
  for (const name of required) {
    if (values[name] === undefined || values[name] === null) {
      errors[`${where}.${name}`] = { message: 'is required', value: values[name] ?? null };
    }
  }
  for (const [name, rule] of Object.entries(rules)) {
    const value = values[name];
    if (value === undefined || errors[`${where}.${name}`]) continue;
    const message = rule(value);
    if (message) errors[`${where}.${name}`] = { message, value };
  }
  return errors;
}

// --- Answers ---------------------------------------------------------------------

/** 001:13-15: `{ "success": true, "payload": … }`. */
export const ok = (payload: unknown, status = 200): SimResponse => ({
  status,
  body: { success: true, payload },
});

/** 001:121-128: `{ "success": false, "message", "status" }`. */
export const errorBody = (status: number, message: string) => ({ success: false, message, status });
export const fail = (status: number, message: string): SimResponse => ({
  status,
  body: errorBody(status, message),
});

/** 002:288-299: `{ success: false, message, status, meta, fields: { f: { message, value } } }`. */
export const invalid = (fields: FieldErrors, message = 'Validation failed'): SimResponse => ({
  status: 400,
  body: { success: false, message, status: 400, meta: 'ValidationError', fields },
});

export const conflict = (field: string, message: string, value: unknown): SimResponse => ({
  status: 409,
  body: {
    success: false,
    message,
    status: 409,
    meta: 'Conflict',
    fields: { [field]: { message, value } },
  },
});

/** The JSON body as an object, or the 400 to answer. Absent → `{}`. */
export function objectBody(req: SimRequest): Record<string, unknown> | SimResponse {
  if (req.body === INVALID_JSON) return invalid({}, 'Request body is not valid JSON');
  if (req.body === undefined) return {};
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
    return invalid({}, 'Request body must be a JSON object');
  }
  return req.body as Record<string, unknown>;
}

export const isResponse = (value: unknown): value is SimResponse =>
  typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

export const merge = (...errors: FieldErrors[]): FieldErrors => Object.assign({}, ...errors);
export const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;

export const md5 = (value: string) => createHash('md5').update(value).digest('hex');
