import { type Dispatcher, request } from 'undici';

/**
 * A `fetch` for the bot's own small JSON and form calls (ky's upstream
 * requests, the Slack Web API client, response_url posts), on undici's
 * `request` instead of its WHATWG fetch: about half the CPU per call (fetch's
 * controller and web streams were the largest part of an onboarding's CPU in
 * the profile). It reads the whole answer, then hands back a standard
 * `Response`, so callers see fetch's behaviour:
 * - a failed connection rejects with `TypeError('fetch failed', { cause })`;
 * - an answer cut off mid-body rejects only when the body is read;
 * - an abort rejects with the signal's reason.
 * Bodies it does not handle (FormData, streams: file uploads) go to `fetch`.
 */
export function lightFetch(dispatcher: Dispatcher): typeof fetch {
  return async (input, init) => {
    const given = input instanceof Request ? input : undefined;
    const body = init?.body;
    if (body !== undefined && body !== null && !isSimpleBody(body)) {
      return fetch(input, { ...init, dispatcher } as RequestInit);
    }
    const url = given ? given.url : String(input);
    const method = (init?.method ?? given?.method ?? 'GET').toUpperCase();
    const headers = new Headers(given?.headers);
    for (const [key, value] of new Headers(init?.headers)) headers.set(key, value);
    let payload: string | Uint8Array | undefined;
    if (body instanceof URLSearchParams) {
      payload = body.toString();
      if (!headers.has('content-type')) {
        headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      }
    } else if (typeof body === 'string') {
      payload = body;
      if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    } else if (body) payload = new Uint8Array(body as ArrayBuffer);
    else if (given?.body) payload = await readAll(given.body);
    const signal = init?.signal ?? given?.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);

    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers: Object.fromEntries(headers),
        body: payload,
        signal,
        dispatcher,
      });
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw new TypeError('fetch failed', { cause: error });
    }
    const responseHeaders = new Headers();
    for (const [key, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(key, v);
      else if (value !== undefined) responseHeaders.append(key, value);
    }
    const status = answer.statusCode;
    const init2 = { status, headers: responseHeaders };
    if (method === 'HEAD' || NULL_BODY.has(status)) {
      await answer.body.dump();
      return new Response(null, init2);
    }
    try {
      return new Response(await answer.body.arrayBuffer(), init2);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      // As fetch does: the answer's head arrived, its body fails when it is read.
      const failed = new ReadableStream({
        start: (controller) => controller.error(new TypeError('terminated', { cause: error })),
      });
      return new Response(failed, init2);
    }
  };
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A request's body, read to the end and its stream left unlocked: ky cancels every request's
 * body once the call is done, and cancelling a stream still locked by its reader rejects with an
 * error (stack trace included) that ky then ignores, once per call.
 */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  reader.releaseLock();
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function isSimpleBody(body: unknown): boolean {
  return (
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  );
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
