import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObj } from './blockkit-fields.ts';
import { checkContent, sendJson } from './reply.ts';
import { RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL_MS, type ResponseUrlPost } from './types.ts';
import type { Workspace } from './workspace.ts';

/**
 * The `response_url`s Slack hands out with interactions (`/response/<id>`): each
 * may be used 5 times within 30 minutes, to post in the channel, answer
 * ephemerally, or replace or delete the message the interaction came from.
 */

type ResponseTarget = {
  mintedAt: number;
  uses: number;
  channel?: string;
  userId?: string;
  messageTs?: string;
};

export function createResponseUrls(ws: Workspace, baseUrl: () => string) {
  const { messages, ephemerals } = ws;
  const responses: ResponseUrlPost[] = [];
  const responseTargets = new Map<string, ResponseTarget>();

  const mint = (opts: { channel?: string; userId?: string; messageTs?: string } = {}) => {
    const base = baseUrl();
    if (!base) throw new Error('slack simulator: start() it before minting response_urls');
    const urlId = ws.hex(12);
    responseTargets.set(urlId, { mintedAt: ws.now(), uses: 0, ...opts });
    return `${base}/response/${urlId}`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, urlId: string, text: string) => {
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // recorded raw
    }
    const answer = (status: number, error?: string) => {
      responses.push({ id: urlId, body, at: ws.now(), status, ...(error ? { error } : {}) });
      sendJson(res, status, error ? { ok: false, error } : { ok: true });
    };
    const target = responseTargets.get(urlId);
    if (!target) return answer(404, 'not_found');
    if (req.method !== 'POST') return answer(405, 'method_not_allowed');
    if (ws.now() - target.mintedAt > RESPONSE_URL_TTL_MS) return answer(404, 'expired_url');
    if (target.uses >= RESPONSE_URL_MAX_USES) return answer(404, 'used_url');
    if (!isObj(body)) return answer(400, 'invalid_payload');
    const responseType = body.response_type;
    if (
      responseType !== undefined &&
      responseType !== 'ephemeral' &&
      responseType !== 'in_channel'
    ) {
      return answer(400, 'invalid_payload');
    }
    const deleting = body.delete_original === true || body.delete_original === 'true';
    const bad = checkContent(body, !deleting);
    if (bad) {
      const reply = bad.body;
      responses.push({ id: urlId, body, at: ws.now(), status: 400, error: String(reply.error) });
      return sendJson(res, 400, reply);
    }
    target.uses += 1;
    const posted = messages.find((m) => m.ts === target.messageTs && !m.deleted);
    const ephemeral = ephemerals.find((e) => e.ts === target.messageTs);
    const original = target.messageTs ? (posted ?? ephemeral) : undefined;
    const text_ = typeof body.text === 'string' ? body.text : undefined;
    const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
    if (deleting) {
      if (posted) posted.deleted = true;
      else if (ephemeral) ephemerals.splice(ephemerals.indexOf(ephemeral), 1);
    } else if ((body.replace_original === true || body.replace_original === 'true') && original) {
      original.text = text_;
      original.blocks = blocks;
    } else if (responseType === 'in_channel' && target.channel) {
      messages.push({
        channel: target.channel,
        ts: ws.nextTs(),
        text: text_,
        blocks,
        user: ws.botUserId,
        botId: ws.botId,
        via: 'response_url',
      });
    } else if (target.channel && target.userId) {
      ephemerals.push({
        channel: target.channel,
        user: target.userId,
        ts: ws.nextTs(),
        text: text_,
        blocks,
        via: 'response_url',
      });
    }
    answer(200);
  };

  return { responses, mint, handle };
}
