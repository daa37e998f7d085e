// The page's calls to the sandbox server (which plays Slack towards the bot).

/** POSTs JSON to the sandbox; resolves with its outcome `{ ok, message?, errors? }`. */
export async function call(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const outcome = await response
    .json()
    .catch(() => ({ ok: false, message: `HTTP ${response.status}` }));
  return response.ok
    ? outcome
    : { ok: false, message: outcome.message ?? `HTTP ${response.status}` };
}

/**
 * Polls the state for `as` every `everyMs` (ETag: an unchanged state costs a 304),
 * calling `onState` with each new snapshot. Returns a function that stops it.
 */
export function poll(as, onState, everyMs = 500) {
  let etag = '';
  let stopped = false;
  let timer;
  const tick = async () => {
    try {
      const response = await fetch(`/api/state?as=${encodeURIComponent(as)}`, {
        headers: etag ? { 'if-none-match': etag } : {},
      });
      if (response.status === 200) {
        etag = response.headers.get('etag') ?? '';
        const state = await response.json();
        if (!stopped) onState(state);
      }
    } catch {
      // the sandbox restarts or stops: try again at the next tick
    }
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
