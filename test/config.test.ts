import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-cfgtest-secret-bot-token',
  SLACK_SIGNING_SECRET: 'cfgtestsigningsecret0123456789ab',
  OPENTACT_TOKEN: 'cfgtest-opentact-jwt-value',
};
const valid = {
  ...SECRETS,
  OPENTACT_SIP_CONNECTION_UUID: '66eb0a8a-571e-41b1-8f50-4d97275cfab7',
};

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
      /OPENTACT_SIP_CONNECTION_UUID should be a lower-case UUID/,
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
    ['INVITE_TTL_DAYS', { INVITE_TTL_DAYS: '0' }, /INVITE_TTL_DAYS should be at least 1/],
    [
      'ONBOARDING_ADMINS',
      { ONBOARDING_ADMINS: 'alice' },
      /ONBOARDING_ADMINS should be comma-separated Slack user IDs/,
    ],
    ['PORT', { PORT: 'eighty' }, /PORT should be a TCP port number/],
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
});
