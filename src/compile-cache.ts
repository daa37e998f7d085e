import { readdirSync } from 'node:fs';
import { enableCompileCache, flushCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `postinstall`: fills the compile cache that `npm start` uses
 * (NODE_COMPILE_CACHE, node_modules/.cache/node-compile-cache), so that the
 * first start after an install is like every later one. Node strips a `.ts`
 * file's types with a WebAssembly module of about 17 MB, loaded in each thread
 * that meets a file it has not cached and kept for the thread's life: a cold
 * first start held 10–30 MB more at its peak than a warm one.
 *
 * It imports every module of src. Importing runs nothing: the entry points
 * start only as `import.meta.main`. The sandbox's two scripts are left out;
 * they are entry points that start servers, and `npm start` never loads them.
 */

export const CACHE_DIR = fileURLToPath(
  new URL('../node_modules/.cache/node-compile-cache', import.meta.url),
);
const SCRIPTS = new Set(['sandbox/demo.ts', 'sandbox/serve.ts', 'compile-cache.ts']);

/** The modules of src, relative to it (the sandbox's scripts and this one left out). */
export function sourceModules(): string[] {
  const src = fileURLToPath(new URL('.', import.meta.url));
  return (readdirSync(src, { recursive: true }) as string[])
    .map((file) => file.split('\\').join('/'))
    .filter((file) => file.endsWith('.ts') && !SCRIPTS.has(file))
    .sort();
}

/** Imports them with the cache on; resolves with the ones that failed to load. */
export async function fillCompileCache(directory = CACHE_DIR): Promise<string[]> {
  enableCompileCache(directory);
  const failed: string[] = [];
  for (const file of sourceModules()) {
    await import(new URL(file, import.meta.url).href).catch((error: unknown) => {
      failed.push(`${file}: ${(error as Error).message ?? String(error)}`);
    });
  }
  flushCompileCache();
  return failed;
}

if (import.meta.main) {
  const failed = await fillCompileCache(process.argv[2] ?? CACHE_DIR);
  // An install is not failed for it: the bot then compiles those modules at its start, as before.
  if (failed.length > 0) {
    process.stderr.write(`compile cache: could not load\n  ${failed.join('\n  ')}\n`);
  }
  process.exit(0);
}
