import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { isSignedBySlack } from '../../src/slack/signature.ts';

const SECRET = 'test-signing-secret';
const NOW = Date.parse('2026-12-01T10:00:00Z');
const ts = NOW / 1000;
const sign = (body: string, at = ts, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`;

describe('Slack request signatures', () => {
  test('a request signed with the secret within five minutes is accepted', () => {
    expect(isSignedBySlack(SECRET, ts, 'a=1', sign('a=1'), NOW)).toBe(true);
    expect(isSignedBySlack(SECRET, ts - 299, 'a=1', sign('a=1', ts - 299), NOW)).toBe(true);
  });

  test('another body, another secret, another version or a malformed signature is refused', () => {
    expect(isSignedBySlack(SECRET, ts, 'a=2', sign('a=1'), NOW)).toBe(false);
    expect(isSignedBySlack(SECRET, ts, 'a=1', sign('a=1', ts, 'other'), NOW)).toBe(false);
    expect(isSignedBySlack(SECRET, ts, 'a=1', sign('a=1').replace('v0=', 'v1='), NOW)).toBe(false);
    expect(isSignedBySlack(SECRET, ts, 'a=1', 'v0=zz', NOW)).toBe(false);
    expect(isSignedBySlack(SECRET, ts, 'a=1', sign('a=1').slice(0, -2), NOW)).toBe(false);
  });

  test('a replay older than five minutes, or a timestamp from the future, is refused', () => {
    for (const at of [ts - 301, ts + 301, ts + 0.5]) {
      expect(isSignedBySlack(SECRET, at, 'a=1', sign('a=1', at), NOW)).toBe(false);
    }
  });
});
