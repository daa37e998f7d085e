import { createRequire } from 'node:module';
import type * as Bolt from '@slack/bolt';

/**
 * Bolt's classes from their own modules. `@slack/bolt`'s index also loads its
 * ExpressReceiver, and with it express and its ~60 modules: about 90 ms of
 * start-up and 6 MB for a receiver the bot never uses. Types still come from
 * the index; test/slack/bolt.test.ts checks that these are the index's own
 * classes, so a Bolt upgrade that moves them fails there, not in production.
 * `require`, because Node and Vitest read an ESM default import of a CommonJS
 * module differently (its `exports`, or its `exports.default`).
 */
const require = createRequire(import.meta.url);

export const App: typeof Bolt.App = require('@slack/bolt/dist/App.js').default;
export const HTTPReceiver: typeof Bolt.HTTPReceiver =
  require('@slack/bolt/dist/receivers/HTTPReceiver.js').default;
export const SocketModeReceiver: typeof Bolt.SocketModeReceiver =
  require('@slack/bolt/dist/receivers/SocketModeReceiver.js').default;
