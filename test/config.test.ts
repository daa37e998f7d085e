import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { LIFETIME_DAYS } from '../src/onboarding/limits.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-cfgtest-secret-bot-token',
  SLACK_SIGNING_SECRET: 'cfgtestsigningsecret0123456789ab',
  OPENTACT_TOKEN: 'cfgtest-opentact-jwt-value',
};
const valid = {
  ...SECRETS,
  OPENTACT_SIP_CONNECTION_UUID: '66eb0a8a-571e-41b1-8f50-4d97275cfab7',
};

/** .env.example's assignments, as `npm start` would read them after `cp .env.example .env`. */
function example(): Record<string, string> {
  const text = readFileSync(join(import.meta.dirname, '..', '.env.example'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  test('defaults', () => {
    const config = loadConfig(valid);
    expect(config.slack.mode).toBe('http');
    expect(config.slack.port).toBe(3000);
    expect(config.slack.apiUrl).toBe('https://slack.com/api');
    expect(config.opentact.apiUrl).toBe('https://api.opentact.org/rest');
    expect(config.usermgmt).toBeUndefined();
    expect(config.slyk).toBeUndefined();
    expect(config.admins).toEqual([]);
    expect(config.digest).toEqual({ channel: undefined, cron: '0 9 * * *', timezone: 'UTC' });
    expect(config.inviteTtlDays).toBe(7);
    expect(config.expiryWarningDays).toBe(2);
    expect(config.dataFile).toMatch(/data\/db\.json$/);
    expect(config.logLevel).toBe('info');
    expect(config.httpThreadNice).toBe(-10);
    expect(config.warnings).toEqual([]);
  });

  test('Socket Mode when an app token is set; channels enabled by their credentials', () => {
    const config = loadConfig({
      ...valid,
      SLACK_SIGNING_SECRET: undefined,
      SLACK_APP_TOKEN: 'xapp-1-cfgtest',
      USERMGMT_API_URL: 'http://127.0.0.1:1/',
      USERMGMT_TOKEN: 'um-token-value',
      SLYK_API_KEY: 'slyk-key-value',
      ONBOARDING_ADMINS: 'U012ABCDEF, W034GHIJKL',
      DIGEST_CHANNEL: 'C0123456789',
      DIGEST_TIMEZONE: 'Europe/Berlin',
    });
    expect(config.slack.mode).toBe('socket');
    expect(config.usermgmt).toEqual({ apiUrl: 'http://127.0.0.1:1', token: 'um-token-value' });
    expect(config.slyk?.apiUrl).toBe('https://api.slyk.io');
    expect(config.admins).toEqual(['U012ABCDEF', 'W034GHIJKL']);
  });

  test.each([
    ['SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: undefined }, /SLACK_BOT_TOKEN is required/],
    ['OPENTACT_TOKEN', { OPENTACT_TOKEN: undefined }, /OPENTACT_TOKEN is required/],
    [
      'OPENTACT_SIP_CONNECTION_UUID',
      { OPENTACT_SIP_CONNECTION_UUID: 'nope' },
      /OPENTACT_SIP_CONNECTION_UUID should be a UUID like /,
    ],
    [
      'SLACK_SIGNING_SECRET in HTTP mode',
      { SLACK_SIGNING_SECRET: '' },
      /SLACK_SIGNING_SECRET is required in HTTP mode/,
    ],
    ['DIGEST_CRON', { DIGEST_CRON: 'every day' }, /DIGEST_CRON should be a cron expression/],
    [
      'DIGEST_TIMEZONE',
      { DIGEST_TIMEZONE: 'Mars/Olympus' },
      /DIGEST_TIMEZONE should be an IANA time zone/,
    ],
    ['INVITE_TTL_DAYS', { INVITE_TTL_DAYS: '0' }, /INVITE_TTL_DAYS should be at least 1 day\b/],
    [
      'INVITE_TTL_DAYS past the form and Extend limit',
      { INVITE_TTL_DAYS: '120' },
      /INVITE_TTL_DAYS should be at most 90 days \(an invite's lifetime, as in the form and Extend\)/,
    ],
    [
      'DIGEST_CRON with seconds',
      { DIGEST_CRON: '* * * * * *' },
      /DIGEST_CRON fires more than once a minute \(its first of six fields is seconds\)/,
    ],
    [
      'DIGEST_CRON with a non-zero second',
      { DIGEST_CRON: '30 0 9 * * *' },
      /DIGEST_CRON has a seconds field/,
    ],
    [
      'ONBOARDING_ADMINS',
      { ONBOARDING_ADMINS: 'alice' },
      /ONBOARDING_ADMINS should be comma-separated Slack user IDs/,
    ],
    ['PORT', { PORT: 'eighty' }, /PORT should be a TCP port number/],
    [
      'HTTP_THREAD_NICE',
      { HTTP_THREAD_NICE: '-30' },
      /HTTP_THREAD_NICE should be a whole number from -20 to 19 \(a Linux nice value/,
    ],
    [
      'USERMGMT_TOKEN',
      { USERMGMT_API_URL: 'http://x.test' },
      /USERMGMT_TOKEN is required when USERMGMT_API_URL is set/,
    ],
  ])('%s: a bad value names the variable and what it should look like', (_, patch, message) => {
    expect(problemsOf({ ...valid, ...patch })).toMatch(message);
  });

  test('a malformed secret is named but its value is never echoed', () => {
    const message = problemsOf({ ...valid, SLACK_BOT_TOKEN: 'xoxp-cfgtest-a-user-token-oops' });
    expect(message).toMatch(/SLACK_BOT_TOKEN should be a bot token starting with xoxb-/);
    expect(message).not.toContain('cfgtest-a-user-token-oops');
    const all = problemsOf({ SLACK_SIGNING_SECRET: 'short!', OPENTACT_TOKEN: '' });
    for (const value of ['short!', ...Object.values(SECRETS)]) expect(all).not.toContain(value);
    // Every problem is reported at once, one per line.
    expect(all.split('\n').length).toBeGreaterThanOrEqual(4);
  });

  test('copying .env.example unchanged: every problem in one round, the placeholder named', () => {
    let problems: string[] = [];
    try {
      loadConfig(example());
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^SLACK_BOT_TOKEN is still the placeholder from \.env\.example: /),
      expect.stringMatching(/^SLACK_SIGNING_SECRET is required in HTTP mode/),
      expect.stringMatching(/^OPENTACT_TOKEN is required: /),
      expect.stringMatching(/^OPENTACT_SIP_CONNECTION_UUID is required: /),
    ]);
  });

  test("every value .env.example ships with is either the default or refused as the example's placeholder", () => {
    const defaults = loadConfig(valid);
    for (const [name, value] of Object.entries(example())) {
      if (value === '') continue;
      let result: unknown;
      try {
        result = loadConfig({ ...valid, [name]: value });
      } catch (error) {
        result = (error as ConfigError).problems;
      }
      if (Array.isArray(result)) {
        expect(result, name).toEqual([
          expect.stringMatching(
            new RegExp(`^${name} is still the placeholder from \\.env\\.example`),
          ),
        ]);
        expect(result.join(), name).not.toContain(value);
      } else {
        expect(result, name).toEqual(defaults);
      }
    }
  });

  test('placeholder-looking secrets are refused; the value is not echoed', () => {
    const problems = problemsOf({
      ...valid,
      OPENTACT_TOKEN: 'your-opentact-jwt',
      SLYK_API_KEY: 'changeme',
      SLACK_SIGNING_SECRET: '<signing secret>',
    });
    expect(problems).toMatch(/OPENTACT_TOKEN looks like a placeholder/);
    expect(problems).toMatch(/SLYK_API_KEY looks like a placeholder/);
    expect(problems).toMatch(/SLACK_SIGNING_SECRET looks like a placeholder/);
    expect(problems.match(/SLACK_SIGNING_SECRET/g)).toHaveLength(1); // one line per variable
    for (const value of ['your-opentact-jwt', 'changeme', '<signing secret>']) {
      expect(problems).not.toContain(value);
    }
  });

  test('cross-variable rules run in the same round as the per-variable ones', () => {
    const problems = problemsOf({
      SLACK_BOT_TOKEN: 'xoxb-cfgtest-secret-bot-token',
      OPENTACT_TOKEN: 'cfgtest-opentact-jwt-value',
      OPENTACT_SIP_CONNECTION_UUID: 'nope',
      USERMGMT_TOKEN: 'um-token-value',
      PORT: 'eighty',
    });
    expect(problems.split('\n').slice(1)).toEqual([
      expect.stringMatching(/SLACK_SIGNING_SECRET is required in HTTP mode/),
      expect.stringMatching(/PORT should be a TCP port number/),
      expect.stringMatching(/OPENTACT_SIP_CONNECTION_UUID should be a UUID/),
      expect.stringMatching(/USERMGMT_API_URL is required when USERMGMT_TOKEN is set/),
    ]);
  });

  test('one lifetime limit: INVITE_TTL_DAYS accepts exactly LIFETIME_DAYS', () => {
    const ttl = (days: number) => () => loadConfig({ ...valid, INVITE_TTL_DAYS: String(days) });
    expect(ttl(LIFETIME_DAYS.min)().inviteTtlDays).toBe(LIFETIME_DAYS.min);
    expect(ttl(LIFETIME_DAYS.max)().inviteTtlDays).toBe(LIFETIME_DAYS.max);
    expect(ttl(LIFETIME_DAYS.min - 1)).toThrow(ConfigError);
    expect(ttl(LIFETIME_DAYS.max + 1)).toThrow(ConfigError);
  });

  test('messages use singular and plural correctly', () => {
    const problems = problemsOf({ ...valid, EXPIRY_WARNING_DAYS: '0', ARCHIVE_AFTER_DAYS: '9999' });
    expect(problems).toContain('EXPIRY_WARNING_DAYS should be at least 1 day');
    expect(problems).toContain('ARCHIVE_AFTER_DAYS should be at most 3650 days');
    expect(problems).not.toMatch(/\b1 days\b/);
  });

  test('reminder hours and the send hour: defaults, 0 allowed, out of range named', () => {
    const defaults = loadConfig(valid);
    expect(defaults.reminderHoursBeforeExpiry).toBe(24);
    expect(defaults.sendHour).toBe(9);
    const off = loadConfig({ ...valid, REMINDER_HOURS_BEFORE_EXPIRY: '0', SEND_HOUR: '0' });
    expect(off.reminderHoursBeforeExpiry).toBe(0);
    expect(off.sendHour).toBe(0);
    const problems = problemsOf({ ...valid, REMINDER_HOURS_BEFORE_EXPIRY: '-1', SEND_HOUR: '24' });
    expect(problems).toContain('REMINDER_HOURS_BEFORE_EXPIRY should be at least 0 hours');
    expect(problems).toContain('SEND_HOUR should be at most 23 hours (a local hour, 0–23)');
    expect(problemsOf({ ...valid, SEND_HOUR: '9.5' })).toContain(
      'SEND_HOUR should be a whole number of hours',
    );
  });

  test('a digest more often than hourly is accepted with a warning for the start log', () => {
    const everyMinute = loadConfig({ ...valid, DIGEST_CRON: '* * * * *' });
    expect(everyMinute.digest.cron).toBe('* * * * *');
    expect(everyMinute.warnings).toEqual([
      expect.stringMatching(
        /^DIGEST_CRON "\* \* \* \* \*" fires every minute; fine for demos and tests/,
      ),
    ]);
    expect(loadConfig({ ...valid, DIGEST_CRON: '*/15 * * * *' }).warnings).toEqual([
      expect.stringContaining('fires 4 times an hour'),
    ]);
    for (const hourlyOrLess of ['0 * * * *', '0 9 * * 1-5', '0 0 9 * * *']) {
      expect(loadConfig({ ...valid, DIGEST_CRON: hourlyOrLess }).warnings, hourlyOrLess).toEqual(
        [],
      );
    }
  });

  test('approvals: requesters are users or user groups; requests need a channel to wait in', () => {
    expect(loadConfig(valid).approvals).toEqual({
      requesters: [],
      requesterGroups: [],
      channel: undefined,
      requireApproval: false,
      ttlDays: 7,
    });
    const config = loadConfig({
      ...valid,
      ONBOARDING_REQUESTERS: 'U0AAAAAA1, S0GROUP01',
      DIGEST_CHANNEL: 'C0DIGEST1',
      REQUIRE_APPROVAL: ' TRUE ',
      APPROVAL_TTL_DAYS: '3',
    });
    expect(config.approvals).toEqual({
      requesters: ['U0AAAAAA1'],
      requesterGroups: ['S0GROUP01'],
      channel: 'C0DIGEST1', // APPROVAL_CHANNEL unset → DIGEST_CHANNEL
      requireApproval: true,
      ttlDays: 3,
    });
    expect(
      loadConfig({ ...valid, REQUIRE_APPROVAL: 'true', APPROVAL_CHANNEL: 'C0APPROV1' }).approvals
        .channel,
    ).toBe('C0APPROV1');
    const problems = problemsOf({
      ...valid,
      ONBOARDING_REQUESTERS: 'U0AAAAAA1,#general',
      REQUIRE_APPROVAL: 'yes',
      APPROVAL_TTL_DAYS: '0',
    });
    expect(problems).toContain('ONBOARDING_REQUESTERS should be comma-separated Slack user IDs');
    expect(problems).toContain('REQUIRE_APPROVAL should be true or false');
    expect(problems).toContain('APPROVAL_TTL_DAYS should be at least 1 day');
    expect(problemsOf({ ...valid, ONBOARDING_REQUESTERS: 'U0AAAAAA1' })).toContain(
      'APPROVAL_CHANNEL is required when ONBOARDING_REQUESTERS or REQUIRE_APPROVAL=true is set',
    );
  });

  test('an upper-case SIP connection UUID is accepted and lower-cased', () => {
    const config = loadConfig({
      ...valid,
      OPENTACT_SIP_CONNECTION_UUID: ' 66EB0A8A-571E-41B1-8F50-4D97275CFAB7 ',
    });
    expect(config.opentact.sipConnectionUuid).toBe('66eb0a8a-571e-41b1-8f50-4d97275cfab7');
  });
});
