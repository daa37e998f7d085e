import { describe, expect, test } from 'vitest';
import { redact, redactValue, registerSecret } from '../src/redact.ts';

describe('redact', () => {
  test('masks secret shapes and registered values, leaves prose alone', () => {
    registerSecret('registered-secret-value');
    const text = [
      'token xoxb-1234-5678-abcdef',
      'app xapp-1-A0-123-abc',
      'Authorization: Bearer abc.def-123456789XYZ',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
      '{"password":"hunter2-uuid"}',
      'the registered-secret-value leaked',
    ].join('\n');
    const out = redact(text);
    for (const secret of [
      'xoxb-1234',
      'xapp-1-A0',
      'abc.def-123456789XYZ',
      'eyJhbGciOiJIUzI1NiJ9',
      'hunter2-uuid',
      'registered-secret-value',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(redact('Invalid bearer token for this user')).toBe('Invalid bearer token for this user');
  });

  test('masks secret keys at any depth', () => {
    expect(redactValue({ a: { password: 'p', token: 't', list: [{ ha1: 'h' }] }, ok: 1 })).toEqual({
      a: { password: '[redacted]', token: '[redacted]', list: [{ ha1: '[redacted]' }] },
      ok: 1,
    });
  });

  test('per-onboarding secrets are masked while recent; the set stays bounded', () => {
    const values = Array.from(
      { length: 300 },
      (_, i) => `transient-secret-${String(i).padStart(4, '0')}`,
    );
    for (const value of values) registerSecret(value, 'transient');
    expect(redact(`x ${values[299]} y`)).toBe('x [redacted] y');
    expect(redact(`x ${values[0]} y`)).toBe(`x ${values[0]} y`); // long gone: no growth without bound
  });
});
