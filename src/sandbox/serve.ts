import { SANDBOX, startWorld } from './world.ts';

/**
 * `npm run sandbox`: starts the four simulators on fixed local ports and prints
 * the .env that points the bot at them. Then `npm start` in another terminal.
 * Slack itself is simulated too, so drive the bot with the demo's driver or curl.
 */
const world = await startWorld({ dataFile: 'data/sandbox.json' });
const env = { ...world.env, PORT: '3000', LOG_LEVEL: 'info' };
process.stdout.write(`Simulators are running. Put this in .env and run \`npm start\`:\n\n`);
for (const [key, value] of Object.entries(env)) process.stdout.write(`${key}=${value}\n`);
process.stdout.write(
  `\nSlack users: admin ${SANDBOX.admin}, member ${SANDBOX.member}. Ctrl-C stops.\n`,
);
const stop = () => void world.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
