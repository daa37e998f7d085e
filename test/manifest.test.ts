import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { COMMAND } from '../src/slack/ids.ts';

/** Keeps manifest.yml consistent with the code: commands, events and exactly the scopes used. */

type Manifest = {
  features: {
    slash_commands: { command: string; usage_hint: string }[];
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[] };
    interactivity: { is_enabled: boolean };
    socket_mode_enabled: boolean;
  };
};

const manifest = parse(readFileSync('manifest.yml', 'utf8')) as Manifest;

function sources(dir: string): string {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .map((path) =>
      statSync(path).isDirectory()
        ? sources(path)
        : path.endsWith('.ts')
          ? readFileSync(path, 'utf8')
          : '',
    )
    .join('\n');
}
// Production code only: the sandbox talks to Slack as Slack, not as the bot.
const code = ['src/slack', 'src/jobs', 'src/onboarding', 'src/bot.ts', 'src/main.ts']
  .map((p) => (p.endsWith('.ts') ? readFileSync(p, 'utf8') : sources(p)))
  .join('\n');

/** The bot scope each Web API method needs (Slack's method reference). */
const METHOD_SCOPES: Record<string, string | null> = {
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.open': 'im:write',
  'users.info': 'users:read',
  'usergroups.users.list': 'usergroups:read',
  'views.open': null,
  'views.push': null,
  'views.update': null,
  'views.publish': null,
  'auth.test': null,
  'files.info': 'files:read',
  // filesUploadV2 calls files.getUploadURLExternal and files.completeUploadExternal.
  'files.uploadV2': 'files:write',
};

describe('manifest.yml', () => {
  test('declares the /onboard command with a usage hint', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([COMMAND]);
    expect(manifest.features.slash_commands[0]!.usage_hint).toMatch(/status/);
  });

  test('subscribes to exactly the events the code listens to', () => {
    const listened = [...code.matchAll(/app\.event\('([a-z_]+)'/g)].map((m) => m[1]);
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      [...new Set(listened)].sort(),
    );
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  test('asks for exactly the bot scopes the code uses, and no more', () => {
    const methods = new Set(
      [
        ...code.matchAll(
          /client\.((?:chat|views|conversations|users|auth|usergroups|files)(?:\.\w+)+)\(/g,
        ),
      ].map((m) => m[1]!),
    );
    if (/client\.filesUploadV2\(/.test(code)) methods.add('files.uploadV2');
    for (const method of methods)
      expect(METHOD_SCOPES, `unknown method ${method}`).toHaveProperty(method);
    const needed = new Set([
      'commands',
      ...[...methods].map((m) => METHOD_SCOPES[m]).filter((s): s is string => Boolean(s)),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
