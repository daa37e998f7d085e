/**
 * The schema, as numbered migrations applied in order by migrate.ts. A
 * migration is history: never edit one that has shipped, add the next number.
 * Each must keep working for replicas still running the previous release
 * (rolling deploys), so columns are added before they are required.
 */
export type Migration = { version: number; name: string; sql: string };

/** States in which a record held its SIP login in migration 1 (history: never changed). */
const LOGIN_HOLDING_PREDICATE_V1 =
  "archived_at IS NULL AND (state IN ('provisioning', 'pending', 'expired') OR (state = 'failed' AND has_sip_user))";

/**
 * States in which a record holds its SIP login now (see the unique index; `requested` since 4,
 * `scheduled` since 6).
 */
export const LOGIN_HOLDING_PREDICATE =
  "archived_at IS NULL AND (state IN ('requested', 'provisioning', 'scheduled', 'pending', 'expired') OR (state = 'failed' AND has_sip_user))";

export const OPEN_LOGIN_INDEX = 'onboardings_open_login_key';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE onboardings (
  id text PRIMARY KEY,
  -- Insertion order: "oldest first" and "newest first" mean this, as in the lowdb store.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  submission_key text NOT NULL,
  state text NOT NULL CHECK (state IN ('provisioning', 'pending', 'failed', 'accepted', 'expired', 'revoked')),
  login_lower text NOT NULL,
  email_lower text NOT NULL,
  has_sip_user boolean NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  invite_expires_at timestamptz,
  -- NULL while live; set when archiveClosed moves the record out of the live set.
  archived_at timestamptz,
  record jsonb NOT NULL,
  -- Archived records keep their key: a late redelivery of an old submission never creates a second one.
  CONSTRAINT onboardings_submission_key_key UNIQUE (submission_key)
);

-- One live onboarding holding a SIP login at a time. A failed record without a
-- SIP user does not hold it (the domain lets the login be submitted again),
-- and e-mails are not unique: the domain allows two onboardings for one e-mail.
CREATE UNIQUE INDEX ${OPEN_LOGIN_INDEX} ON onboardings (login_lower)
  WHERE ${LOGIN_HOLDING_PREDICATE_V1};

CREATE INDEX onboardings_login_idx ON onboardings (login_lower);
CREATE INDEX onboardings_email_idx ON onboardings (email_lower);
CREATE INDEX onboardings_live_seq_idx ON onboardings (seq) WHERE archived_at IS NULL;
CREATE INDEX onboardings_live_state_idx ON onboardings (state) WHERE archived_at IS NULL;
CREATE INDEX onboardings_open_seq_idx ON onboardings (seq)
  WHERE archived_at IS NULL AND state IN ('provisioning', 'pending', 'failed', 'expired');
CREATE INDEX onboardings_expiry_idx ON onboardings (invite_expires_at)
  WHERE archived_at IS NULL AND state = 'pending';
CREATE INDEX onboardings_archivable_idx ON onboardings (updated_at)
  WHERE archived_at IS NULL AND state IN ('accepted', 'revoked', 'expired', 'failed');

CREATE TABLE job_runs (
  name text PRIMARY KEY,
  run jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row at most: the drift list found by the last reconciliation.
CREATE TABLE drift (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  items jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 2,
    name: 'job_slots',
    sql: `
-- A scheduled slot is run by whichever replica records it first.
CREATE TABLE job_slots (
  job text NOT NULL,
  slot text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, slot)
);
`,
  },
  {
    version: 3,
    name: 'channel_pace',
    sql: `
-- When each channel may next be posted to: replicas reserve slots here, so together they keep
-- Slack's pace of one message per second per channel.
CREATE TABLE channel_pace (
  channel text PRIMARY KEY,
  next_at timestamptz NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'approval_states',
    sql: `
-- Requests waiting for an admin (requested), and how they end without an onboarding (rejected,
-- request_expired). A waiting request holds its SIP login like an open onboarding does.
ALTER TABLE onboardings DROP CONSTRAINT onboardings_state_check;
ALTER TABLE onboardings ADD CONSTRAINT onboardings_state_check CHECK (state IN (
  'requested', 'provisioning', 'pending', 'failed', 'accepted', 'expired', 'revoked',
  'rejected', 'request_expired'));

DROP INDEX ${OPEN_LOGIN_INDEX};
CREATE UNIQUE INDEX ${OPEN_LOGIN_INDEX} ON onboardings (login_lower)
  WHERE archived_at IS NULL
    AND (state IN ('requested', 'provisioning', 'pending', 'expired') OR (state = 'failed' AND has_sip_user));

DROP INDEX onboardings_open_seq_idx;
CREATE INDEX onboardings_open_seq_idx ON onboardings (seq)
  WHERE archived_at IS NULL AND state IN ('requested', 'provisioning', 'pending', 'failed', 'expired');

DROP INDEX onboardings_archivable_idx;
CREATE INDEX onboardings_archivable_idx ON onboardings (updated_at)
  WHERE archived_at IS NULL AND state IN ('accepted', 'revoked', 'expired', 'failed', 'rejected', 'request_expired');
`,
  },
  {
    version: 5,
    name: 'offboarded_state',
    sql: `
-- Offboarding adds the state 'offboarded'. Replicas of the previous release never write it;
-- they fail to read such a record (their zod schema does not know it) until they are upgraded.
-- Not archivable: a deactivated member can still be reactivated, which needs a live record.
ALTER TABLE onboardings DROP CONSTRAINT onboardings_state_check;
ALTER TABLE onboardings ADD CONSTRAINT onboardings_state_check
  CHECK (state IN ('requested', 'provisioning', 'pending', 'failed', 'accepted', 'expired',
    'revoked', 'rejected', 'request_expired', 'offboarded'));
`,
  },
  {
    // Start dates: a record waits in `scheduled`, holding its SIP login.
    version: 6,
    name: 'scheduled_state',
    sql: `
-- Widening only: replicas of the previous release never write the new state.
ALTER TABLE onboardings DROP CONSTRAINT onboardings_state_check;
ALTER TABLE onboardings ADD CONSTRAINT onboardings_state_check
  CHECK (state IN ('requested', 'provisioning', 'scheduled', 'pending', 'failed', 'accepted',
    'expired', 'revoked', 'rejected', 'request_expired', 'offboarded'));

-- A scheduled record holds its login (its SIP user exists): rebuilt, then swapped in one transaction.
CREATE UNIQUE INDEX ${OPEN_LOGIN_INDEX}_next ON onboardings (login_lower)
  WHERE archived_at IS NULL
    AND (state IN ('requested', 'provisioning', 'scheduled', 'pending', 'expired')
      OR (state = 'failed' AND has_sip_user));
DROP INDEX ${OPEN_LOGIN_INDEX};
ALTER INDEX ${OPEN_LOGIN_INDEX}_next RENAME TO ${OPEN_LOGIN_INDEX};

DROP INDEX onboardings_open_seq_idx;
CREATE INDEX onboardings_open_seq_idx ON onboardings (seq)
  WHERE archived_at IS NULL AND state IN ('requested', 'provisioning', 'scheduled', 'pending', 'failed', 'expired');
`,
  },
  {
    version: 7,
    name: 'cohort_runs',
    sql: `
-- Cohort runs (CSV uploads): the run as jsonb, its state as a column for the resume query.
CREATE TABLE cohort_runs (
  id text PRIMARY KEY,
  state text NOT NULL,
  created_at timestamptz NOT NULL,
  run jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cohort_runs_running_idx ON cohort_runs (created_at) WHERE state = 'running';
`,
  },
  {
    version: 8,
    name: 'record_version',
    sql: `
-- Bumped by every update: a replica writes the record it changed last in one compare-and-set
-- statement (version and updated_at unchanged) and falls back to a locked read when it lost.
ALTER TABLE onboardings ADD COLUMN version bigint NOT NULL DEFAULT 0;
`,
  },
  {
    version: 9,
    name: 'outbox',
    sql: `
-- Audit lines not posted yet, per channel, in order: what a replica queued is posted even if
-- it stops or dies first (by whichever replica drains the channel next).
CREATE TABLE outbox (
  seq bigserial PRIMARY KEY,
  channel text NOT NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_channel_seq_idx ON outbox (channel, seq);
`,
  },
  {
    version: 10,
    name: 'channel_pace_answered',
    sql: `
-- When Slack last answered a post to the channel: a replica whose slot has come also waits an
-- interval after that answer, so a post that went out late never lands too close to the next.
ALTER TABLE channel_pace ADD COLUMN answered_at timestamptz;
`,
  },
];
