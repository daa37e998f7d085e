import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { sourceModules } from '../src/compile-cache.ts';

const root = mkdtempSync(join(tmpdir(), 'compile-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const src = (file: string) => new URL(`../src/${file}`, import.meta.url).href;

/**
 * What a start loads, in a fresh process on `cache`: the entry points of both
 * threads and the modules they import later (the PostgreSQL store, the
 * warm-up's simulators). Says whether Node loaded its TypeScript stripper.
 */
function loadLikeAStart(cache: string): { stripper: boolean; ended: boolean } {
  const script = `
    for (const file of ${JSON.stringify(
      ['main.ts', 'thread/bot-worker.ts', 'store/postgres/store.ts', 'sandbox/session.ts'].map(src),
    )}) await import(file);
    console.log(JSON.stringify({
      stripper: process.moduleLoadList.some((m) => m.includes('amaro')),
      ended: true,
    }));`;
  // A start that began (a bot, a server) would keep the process alive past the timeout.
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_COMPILE_CACHE: cache },
    timeout: 20_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

test('importing the entry points starts nothing, and a cold cache loads the type stripper', () => {
  expect(loadLikeAStart(join(root, 'empty'))).toEqual({ stripper: true, ended: true });
});

test('after postinstall’s script, a start loads no TypeScript stripper', () => {
  const cache = join(root, 'filled');
  const err = execFileSync(
    process.execPath,
    [new URL('../src/compile-cache.ts', import.meta.url).pathname, cache],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  expect(err).toBe('');
  expect(loadLikeAStart(cache)).toEqual({ stripper: false, ended: true });
}, 30_000);

test('every module of src is filled in but the sandbox’s scripts', () => {
  const modules = sourceModules();
  expect(modules).toContain('main.ts');
  expect(modules).toContain('thread/bot-worker.ts');
  expect(modules).toContain('store/postgres/store.ts');
  expect(modules).not.toContain('sandbox/serve.ts');
  expect(modules).not.toContain('sandbox/demo.ts');
});
