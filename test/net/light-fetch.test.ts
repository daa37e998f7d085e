import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lightFetch } from '../../src/net/light-fetch.ts';
import { describeSocketError } from '../../src/providers/http.ts';

/** Each case runs through Node's fetch and through lightFetch: what a caller sees must match. */
let server: Server;
let base: string;
const agent = new Agent({ keepAliveTimeout: 1_000 });
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url === '/echo') {
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end(
          JSON.stringify({ method: req.method, type: req.headers['content-type'] ?? '', body }),
        );
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else if (req.url === '/cut') {
        // Promises 100 bytes, sends 5, then drops the connection.
        res.writeHead(200, { 'content-length': '100', 'content-type': 'application/json' });
        res.write('{"ok"');
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2_000);
      } else res.writeHead(404).end('no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await agent.close();
});

/** A port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const clients: [string, typeof fetch][] = [
  ['fetch', (input, init) => fetch(input, { ...init, dispatcher: agent } as RequestInit)],
  ['lightFetch', lightFetch(agent)],
];

describe.each(clients)('%s', (_name, f) => {
  test('a JSON POST given as a Request (as ky sends it) and its answer', async () => {
    const request = new Request(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    const response = await f(request);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({
      method: 'POST',
      type: 'application/json',
      body: '{"a":1}',
    });
  });

  test('a form body as a string or URLSearchParams with init (as the Slack client sends it)', async () => {
    const asString = await f(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'channel=C1&text=hi',
    });
    expect(await asString.json()).toMatchObject({
      type: 'application/x-www-form-urlencoded',
      body: 'channel=C1&text=hi',
    });
    const asParams = await f(`${base}/echo`, {
      method: 'POST',
      body: new URLSearchParams({ channel: 'C1' }),
    });
    expect(await asParams.json()).toMatchObject({
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
      body: 'channel=C1',
    });
  });

  test('204 has no body; an error status is an answer, not a rejection', async () => {
    const empty = await f(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const missing = await f(`${base}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('no');
  });

  test('a refused connection rejects with TypeError whose cause names it', async () => {
    const error = await f(`http://127.0.0.1:${await closedPort()}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    // What the upstream clients read to tell "never sent" from "may have landed".
    expect(describeSocketError(error)).toBe('could not connect (ECONNREFUSED)');
  });

  test('an answer cut off mid-body resolves, and fails when its body is read', async () => {
    const response = await f(`${base}/cut`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toBeInstanceOf(TypeError);
  });

  test('an abort rejects with the signal reason', async () => {
    const controller = new AbortController();
    const pending = f(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('gave up')), 50);
    await expect(pending).rejects.toThrow('gave up');
  });
});

test('lightFetch leaves a sent Request’s body unlocked: ky’s cancel of it afterwards is a no-op, not an error', async () => {
  const request = new Request(`${base}/echo`, { method: 'POST', body: 'x'.repeat(100_000) });
  const answer = (await (await lightFetch(agent)(request)).json()) as { body: string };
  expect(answer.body).toHaveLength(100_000);
  expect(request.body?.locked).toBe(false);
  await expect(request.body?.cancel()).resolves.toBeUndefined();
});
