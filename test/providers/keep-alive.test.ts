import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { z } from 'zod';
import { createHttpClient } from '../../src/providers/http.ts';
import { modalValues, waitFor } from '../../src/sandbox/driver.ts';
import { startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';

/**
 * Connection reuse, counted where the server accepts TCP connections. The
 * servers advertise `Keep-Alive: timeout=1` as the simulators do: with Node's
 * default dispatcher (2 s margin below the hint) every call was a new connection.
 */

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A JSON server like the simulators (keepAliveTimeout 1 s) that counts accepted connections. */
async function countingServer() {
  const counter = { connections: 0, requests: 0 };
  server = createServer((req, res) => {
    counter.requests += 1;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, n: counter.requests }));
    });
  });
  server.keepAliveTimeout = 1_000;
  server.on('connection', () => {
    counter.connections += 1;
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { counter, url: `http://127.0.0.1:${port}/api` };
}

const answer = z.object({ ok: z.literal(true), n: z.number() });

function client(baseUrl: string) {
  return createHttpClient({
    api: 'opentact',
    baseUrl,
    headers: {},
    parseError: (status) => ({ message: `HTTP ${status}` }),
  });
}

test('20 sequential calls to one API reuse one connection (≤ 2)', async () => {
  const { counter, url } = await countingServer();
  const http = client(url);
  for (let i = 0; i < 20; i += 1) {
    const method = i % 2 === 0 ? 'get' : 'post';
    await http.request(
      { method, path: `/things/${i}`, operation: 'thing', json: undefined },
      answer,
    );
  }
  expect(counter.requests).toBe(20);
  expect(counter.connections).toBeLessThanOrEqual(2);
});

test('a socket idle for nearly the server keep-alive is not reused: the POST after it succeeds', async () => {
  const { counter, url } = await countingServer();
  const http = client(url);
  for (let i = 0; i < 3; i += 1) {
    if (i > 0) await new Promise((r) => setTimeout(r, 850));
    await http.request(
      { method: 'post', path: '/things', operation: 'create', json: { i } },
      answer,
    );
  }
  expect(counter.requests).toBe(3);
  expect(counter.connections).toBeLessThanOrEqual(3);
});

test('the real bot reuses connections to Slack and every upstream over 5 onboardings', async () => {
  const accepted = new Map<number, number>();
  const onSocket = (message: unknown) => {
    const port = (message as { socket: Socket }).socket.localPort ?? 0;
    accepted.set(port, (accepted.get(port) ?? 0) + 1);
  };
  subscribe('net.server.socket', onSocket);
  const rig = await startSandboxSession();
  try {
    const { world, bot, driver } = rig;
    accepted.clear(); // start-up checks are not under test
    for (let i = 0; i < 5; i += 1) {
      const seen = new Set(world.slack.views.map((v) => v.id));
      await driver.command(SANDBOX.admin, '');
      const modal = await waitFor(() =>
        world.slack.views.find((v) => v.type === 'modal' && !seen.has(v.id)),
      );
      const values = modalValues({ login: `reuse0${i}x`, email: `reuse${i}@example.com` });
      await driver.submitView(modal.id, SANDBOX.admin, values);
      await waitFor(
        () => bot.lowdb!.all().filter((r) => r.state === 'pending').length > i || undefined,
        10_000,
      );
    }
    const port = (url: string) => Number(new URL(url).port);
    const apis = {
      slack: port(world.slack.url),
      opentact: port(world.opentact.server.url),
      usermgmt: port(world.usermgmt.url),
      slyk: port(world.slyk.url),
    };
    const calls = {
      slack: world.slack.calls.length,
      opentact: world.opentact.server.calls.length,
      usermgmt: world.usermgmt.calls.length,
      slyk: world.slyk.calls.length,
    };
    // Before connection reuse: one connection per call (22 to Slack, 10 / 5 / 10 upstream).
    for (const [name, p] of Object.entries(apis)) {
      const made = calls[name as keyof typeof calls];
      const connections = accepted.get(p) ?? 0;
      expect(made, name).toBeGreaterThanOrEqual(5);
      // Only calls in parallel need sockets of their own: the SMS and the e-mail; Slack's view
      // update, DM and audit post.
      expect(connections, `${name}: ${connections} connections for ${made} calls`).toBeLessThan(
        name === 'slack' ? 6 : 3,
      );
    }
  } finally {
    unsubscribe('net.server.socket', onSocket);
    await rig.close();
  }
});
