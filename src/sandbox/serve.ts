import { sandboxPort, startWebSandbox } from './web/sandbox.ts';
import { SANDBOX } from './world.ts';

/**
 * `npm run sandbox`: the simulators, the real bot in HTTP mode and a Slack-like
 * web page in one process. Open the printed URL, pick who you are, type
 * `/onboard`. SANDBOX_PORT (default 3100) moves all six ports (it and the next five).
 */
let port: number;
try {
  port = sandboxPort(process.env.SANDBOX_PORT);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const sandbox = await startWebSandbox({ port }).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  process.stderr.write(
    code === 'EADDRINUSE'
      ? `A sandbox port is taken (${String((error as Error).message)}). Set SANDBOX_PORT to another base port, e.g. SANDBOX_PORT=4100.\n`
      : `The sandbox did not start: ${(error as Error).message}\n`,
  );
  process.exit(1);
});
const p = sandbox.ports;
process.stdout.write(
  `Sandbox ready: open ${sandbox.url}\n\n` +
    `  real bot (HTTP mode) on :${p.bot}; simulated Slack :${p.slack}, Opentact :${p.opentact}, UserMgmt :${p.usermgmt}, Slyk :${p.slyk}\n` +
    `  users: ${SANDBOX.admin} (onboarding admin), ${SANDBOX.owner} (workspace owner), ${SANDBOX.member} (member), ${SANDBOX.requester} (requester: may ask, an admin approves)\n` +
    `  data lives in a temporary file; Ctrl-C stops everything.\n`,
);
const stop = () => void sandbox.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
