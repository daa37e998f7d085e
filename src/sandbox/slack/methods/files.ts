import type { IncomingMessage, ServerResponse } from 'node:http';
import { arg, fail, type Method, missing, ok, sendJson } from '../reply.ts';
import type { Workspace } from '../workspace.ts';

/**
 * Files, as the bot meets them (https://docs.slack.dev/messaging/working-with-files):
 * - a person uploads a file into a modal's file_input (uploadUserFile); the bot
 *   reads it with files.info (`files:read`) and downloads `url_private_download`
 *   with the bot token — without it Slack redirects to its sign-in page;
 * - the bot shares a file with the current two-step flow: files.getUploadURLExternal
 *   (`files:write`), a POST of the bytes to the returned URL, then
 *   files.completeUploadExternal, which posts it in a channel or a thread.
 */

export type SimFile = {
  id: string;
  name: string;
  title?: string | undefined;
  user: string;
  content: Buffer;
  created: number;
  /** Bot uploads: announced length, and whether completeUploadExternal shared it. */
  declaredLength?: number;
  uploaded?: boolean;
  completed?: boolean;
  /** Where it was shared: channel and message ts. */
  shares: { channel: string; ts: string }[];
};

const FILETYPE: Record<string, string> = { csv: 'csv', txt: 'text', json: 'javascript' };
const MIMETYPE: Record<string, string> = { csv: 'text/csv', txt: 'text/plain' };
const MAX_UPLOAD = 1024 * 1024 * 1024;

export function createFiles(ws: Workspace, baseUrl: () => string, botToken: string) {
  const files: SimFile[] = [];
  const ext = (name: string) => (/\.([a-z0-9]+)$/i.exec(name)?.[1] ?? '').toLowerCase();
  const json = (f: SimFile) => ({
    id: f.id,
    created: f.created,
    timestamp: f.created,
    name: f.name,
    title: f.title ?? f.name,
    mimetype: MIMETYPE[ext(f.name)] ?? 'application/octet-stream',
    filetype: FILETYPE[ext(f.name)] ?? (ext(f.name) || 'binary'),
    user: f.user,
    size: f.content.length,
    is_external: false,
    url_private: `${baseUrl()}/files-pri/${ws.teamId}-${f.id}/${encodeURIComponent(f.name)}`,
    url_private_download: `${baseUrl()}/files-pri/${ws.teamId}-${f.id}/download/${encodeURIComponent(f.name)}`,
    channels: f.shares.map((s) => s.channel),
  });
  const find = (id: string | undefined) => files.find((f) => f.id === id);

  const methods: Record<string, Method> = {
    'files.info': {
      scopes: ['files:read'],
      handler: (args) => {
        const id = arg(args, 'file');
        if (!id) return missing('file');
        const file = find(id);
        if (!file || (file.declaredLength !== undefined && !file.completed))
          return fail('file_not_found');
        return ok({ file: json(file) });
      },
    },

    'files.getUploadURLExternal': {
      scopes: ['files:write'],
      handler: (args) => {
        const filename = arg(args, 'filename');
        const length = Number(arg(args, 'length'));
        if (!filename) return missing('filename');
        if (!Number.isInteger(length) || length < 1) return fail('invalid_arguments');
        if (length > MAX_UPLOAD) return fail('file_too_large');
        const file: SimFile = {
          id: ws.id('F'),
          name: filename,
          user: ws.botUserId,
          content: Buffer.alloc(0),
          created: Math.floor(ws.now() / 1000),
          declaredLength: length,
          shares: [],
        };
        files.push(file);
        return ok({ upload_url: `${baseUrl()}/upload/${file.id}`, file_id: file.id });
      },
    },

    'files.completeUploadExternal': {
      scopes: ['files:write'],
      handler: (args) => {
        let list: { id?: unknown; title?: unknown }[];
        try {
          list = typeof args.files === 'string' ? JSON.parse(args.files) : (args.files as never);
        } catch {
          return fail('invalid_arguments');
        }
        if (!Array.isArray(list) || list.length === 0) return missing('files');
        const targets = list.map((entry) => find(String(entry.id)));
        if (targets.some((f) => !f || f.declaredLength === undefined))
          return fail('file_not_found');
        if (targets.some((f) => !f!.uploaded)) return fail('file_upload_not_found');
        if (targets.some((f) => f!.completed)) return fail('file_already_completed');
        const channelId = arg(args, 'channel_id');
        const threadTs = arg(args, 'thread_ts');
        if (threadTs && !channelId) return fail('invalid_arguments');
        let share: { channel: string; ts: string } | undefined;
        if (channelId) {
          const ch = ws.findChannel(channelId);
          if (!ch) return fail('channel_not_found');
          if (!ch.isIm && !ch.isMember) return fail('not_in_channel');
          if (threadTs && !ws.findMessage(ch.id, threadTs)) return fail('thread_not_found');
          const message = {
            channel: ch.id,
            ts: ws.nextTs(),
            text: arg(args, 'initial_comment') ?? '',
            user: ws.botUserId,
            botId: ws.botId,
            ...(threadTs ? { threadTs } : {}),
            files: targets.map((f) => f!.id),
            via: 'files.completeUploadExternal' as const,
          };
          ws.messages.push(message);
          share = { channel: ch.id, ts: message.ts };
        }
        targets.forEach((f, i) => {
          f!.completed = true;
          const title = list[i]?.title;
          if (typeof title === 'string') f!.title = title;
          if (share) f!.shares.push(share);
        });
        return ok({ files: targets.map((f) => ({ id: f!.id, title: f!.title ?? f!.name })) });
      },
    },
  };

  /** POST <upload_url>: the bytes, raw or as multipart form-data (what @slack/web-api sends). */
  const handleUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    body: Buffer,
  ) => {
    const file = find(id);
    if (req.method !== 'POST' || !file || file.declaredLength === undefined || file.completed) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    let content = body;
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const part = [...form.values()][0];
      content =
        typeof part === 'string'
          ? Buffer.from(part)
          : Buffer.from(await (part as Blob).arrayBuffer());
    }
    file.content = content;
    file.uploaded = true;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${content.length}`);
  };

  /** GET url_private(_download): only with the bot token; otherwise Slack's sign-in redirect. */
  const handleDownload = (req: IncomingMessage, res: ServerResponse, id: string) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token !== botToken) {
      res.writeHead(302, { location: 'https://slack.com/signin?redir=%2Ffiles-pri' });
      res.end();
      return;
    }
    const file = find(id);
    if (!file) return sendJson(res, 404, { ok: false, error: 'file_not_found' });
    res.writeHead(200, {
      'content-type': MIMETYPE[ext(file.name)] ?? 'application/octet-stream',
      'content-length': String(file.content.length),
    });
    res.end(file.content);
  };

  return {
    files,
    methods,
    handleUpload,
    handleDownload,
    /** A person uploads a file into a modal's file_input: the state value Slack sends with it. */
    uploadUserFile(user: string, name: string, content: string | Buffer) {
      const file: SimFile = {
        id: ws.id('F'),
        name,
        user,
        content: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'),
        created: Math.floor(ws.now() / 1000),
        shares: [],
      };
      files.push(file);
      return { type: 'file_input', files: [json(file)] };
    },
    /** The files shared in a channel (in its messages and threads), with their content. */
    filesIn(channel: string) {
      return files.filter((f) => f.shares.some((s) => s.channel === channel));
    },
  };
}
