import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createOpentactSimulator, type OpentactSimulator } from './opentact.ts';
import { createSlackSimulator, type SlackSimulator } from './slack/index.ts';
import { createSlykSimulator, type SlykSimulator } from './slyk.ts';
import { createUserMgmtSimulator, type UserMgmtSimulator } from './usermgmt.ts';

/**
 * A whole world of simulators (Slack Web API, Opentact, UserMgmt, Slyk) with
 * throw-away credentials, and the environment that points the real bot at it.
 * Used by the e2e tests, the demo and `npm run sandbox`.
 */

export const SANDBOX = {
  teamId: 'T0SANDBOX',
  admin: 'U0ADMIN01',
  member: 'U0MEMBER1',
  owner: 'U0OWNER01',
  /** May ask for onboardings when ONBOARDING_REQUESTERS names it (the browser sandbox does). */
  requester: 'U0REQUEST1',
  digestChannel: 'C0DIGEST1',
  /** Where the browser sandbox's requests wait (APPROVAL_CHANNEL there). */
  approvalChannel: 'C0APPROVE1',
  connection: '66eb0a8a-571e-41b1-8f50-4d97275cfab7',
  domain: 'sandbox.sip.opentact.org',
  // Sandbox-only credentials: they open nothing but these local simulators.
  slackBotToken: 'xoxb-sandbox-bot-token',
  slackAppToken: 'xapp-sandbox-app-token',
  signingSecret: 'sandboxsigningsecret000000000000',
  opentactToken: 'sandbox-opentact-jwt',
  usermgmtToken: 'sandbox-usermgmt-bearer',
  slykApiKey: 'sandbox-slyk-api-key',
} as const;

/** The sandbox's credentials: what must never reach Slack, a log or a page (tests check it). */
export const SANDBOX_CREDENTIALS: readonly string[] = [
  SANDBOX.slackBotToken,
  SANDBOX.slackAppToken,
  SANDBOX.signingSecret,
  SANDBOX.opentactToken,
  SANDBOX.usermgmtToken,
  SANDBOX.slykApiKey,
];

/** The bot scopes manifest.yml grants: the Slack simulator enforces exactly these. */
export function manifestScopes(): string[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifest.yml');
  const manifest = parse(readFileSync(file, 'utf8')) as {
    oauth_config: { scopes: { bot: string[] } };
  };
  return manifest.oauth_config.scopes.bot;
}

export type World = {
  slack: SlackSimulator;
  opentact: OpentactSimulator;
  usermgmt: UserMgmtSimulator;
  slyk: SlykSimulator;
  /** Environment for loadConfig (merge overrides on top). */
  env: Record<string, string>;
  close(): Promise<void>;
};

export type WorldOptions = {
  /** Slack users; default an admin (by ONBOARDING_ADMINS), a workspace owner and a member. */
  now?: () => Date;
  dataFile?: string;
  /** Fixed ports for the simulators (`npm run sandbox`); default: any free port. */
  ports?: { slack: number; opentact: number; usermgmt: number; slyk: number };
};

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const now = options.now ?? (() => new Date());
  const slack = createSlackSimulator({
    botToken: SANDBOX.slackBotToken,
    appToken: SANDBOX.slackAppToken,
    teamId: SANDBOX.teamId,
    scopes: manifestScopes(),
    now: () => now().getTime(),
    users: [
      { id: SANDBOX.admin, name: 'grace', realName: 'Grace Hopper', email: 'grace@example.com' },
      { id: SANDBOX.owner, name: 'owner', realName: 'Olive Owner', isOwner: true, isAdmin: true },
      { id: SANDBOX.member, name: 'linus', realName: 'Linus Member', email: 'linus@example.com' },
      {
        id: SANDBOX.requester,
        name: 'rita',
        realName: 'Rita Requester',
        email: 'rita@example.com',
      },
    ],
    channels: [
      { id: SANDBOX.digestChannel, name: 'telephony-onboarding', isMember: true },
      { id: SANDBOX.approvalChannel, name: 'onboarding-requests', isMember: true },
    ],
  });
  const opentact = createOpentactSimulator({
    token: SANDBOX.opentactToken,
    connections: [SANDBOX.connection],
    domain: SANDBOX.domain,
  });
  // The identity platform knows the users that exist in Opentact.
  const usermgmt = createUserMgmtSimulator({
    token: SANDBOX.usermgmtToken,
    knownUsers: (id) => opentact.state.users.has(id),
    now,
  });
  const slyk = createSlykSimulator({ apiKey: SANDBOX.slykApiKey, now });
  const ports = options.ports;
  await Promise.all([
    slack.start(ports?.slack),
    opentact.server.start(ports?.opentact),
    usermgmt.start(ports?.usermgmt),
    slyk.start(ports?.slyk),
  ]);
  const dataFile =
    options.dataFile ?? join(mkdtempSync(join(tmpdir(), 'onboard-sandbox-')), 'db.json');
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: SANDBOX.slackBotToken,
    SLACK_SIGNING_SECRET: SANDBOX.signingSecret,
    SLACK_API_URL: slack.url.replace(/\/$/, ''),
    PORT: '0',
    OPENTACT_API_URL: opentact.server.url,
    OPENTACT_TOKEN: SANDBOX.opentactToken,
    OPENTACT_SIP_CONNECTION_UUID: SANDBOX.connection,
    OPENTACT_SIP_DOMAIN: SANDBOX.domain,
    USERMGMT_API_URL: usermgmt.url,
    USERMGMT_TOKEN: SANDBOX.usermgmtToken,
    SLYK_API_URL: slyk.url,
    SLYK_API_KEY: SANDBOX.slykApiKey,
    ONBOARDING_ADMINS: SANDBOX.admin,
    DIGEST_CHANNEL: SANDBOX.digestChannel,
    DATA_FILE: dataFile,
    LOG_LEVEL: 'error',
  };
  return {
    slack,
    opentact,
    usermgmt,
    slyk,
    env,
    async close() {
      await Promise.all([slack.close(), opentact.server.close(), usermgmt.close(), slyk.close()]);
    },
  };
}
