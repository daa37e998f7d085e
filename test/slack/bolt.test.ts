import { execFileSync } from 'node:child_process';
import * as bolt from '@slack/bolt';
import { expect, test } from 'vitest';
import { App, HTTPReceiver, SocketModeReceiver } from '../../src/slack/bolt.ts';

test('the classes taken from Bolt’s own modules are the ones @slack/bolt exports', () => {
  expect(App).toBe(bolt.App);
  expect(HTTPReceiver).toBe(bolt.HTTPReceiver);
  expect(SocketModeReceiver).toBe(bolt.SocketModeReceiver);
});

test('loading the bot loads neither Bolt’s index nor express', () => {
  const script = `
    await import(${JSON.stringify(new URL('../../src/bot.ts', import.meta.url).href)});
    const { createRequire } = await import('node:module');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({
      index: loaded.some((f) => f.endsWith('/@slack/bolt/dist/index.js')),
      express: loaded.some((f) => f.includes('/node_modules/express/')),
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ index: false, express: false });
});
