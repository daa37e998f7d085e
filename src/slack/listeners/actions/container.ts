import type { BlockAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { keepAliveFetch } from '../../../net/keep-alive.ts';

/** Where a button was clicked: a message (digest, result DM, status) or a view (Home tab, modal). */
export type Container =
  | {
      kind: 'message';
      channel: string;
      ts: string;
      ephemeral: boolean;
      responseUrl?: string | undefined;
    }
  | { kind: 'view'; viewId: string; home: boolean };

/** An answer to the message a request came from (Bolt's `respond`, or its response_url). */
export type Respond = (message: {
  text: string;
  blocks?: KnownBlock[];
  response_type?: 'ephemeral';
  replace_original?: boolean;
}) => Promise<unknown>;

/**
 * A Respond for a dialog's submission, where Bolt has none: the clicked
 * message's response_url, kept in the dialog's sealed metadata.
 */
export function responseUrlReply(url: string): Respond {
  return async (message) => {
    const answer = await keepAliveFetch()(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    if (!answer.ok) throw new Error(`response_url answered ${answer.status}`);
  };
}

/** One click on a button that acts on one onboarding. */
export type Clicked = {
  userId: string;
  recordId: string;
  container: Container;
  /** The clicked message's blocks (to update one item in place) and fallback text. */
  blocks: KnownBlock[] | undefined;
  messageText?: string | undefined;
  triggerId: string;
  /** Set when the click came from inside a modal: dialogs are pushed onto it. */
  inModal: boolean;
  client: WebClient;
  /** Bolt's respond for the clicked message. */
  respond: Respond;
};

export function containerOf(body: BlockAction): Container {
  const c = body.container as {
    type: string;
    channel_id?: string;
    message_ts?: string;
    is_ephemeral?: boolean;
    view_id?: string;
  };
  if (c.type === 'view')
    return {
      kind: 'view',
      viewId: c.view_id ?? body.view?.id ?? '',
      home: body.view?.type === 'home',
    };
  return {
    kind: 'message',
    channel: c.channel_id ?? body.channel?.id ?? '',
    ts: c.message_ts ?? body.message?.ts ?? '',
    ephemeral: Boolean(c.is_ephemeral),
    responseUrl: body.response_url,
  };
}

/** A dialog about a record, opened from a click: pushed inside a modal, opened elsewhere. */
export async function openDialog(
  clicked: Clicked,
  view: Parameters<WebClient['views']['open']>[0]['view'],
) {
  const args = { trigger_id: clicked.triggerId, view };
  return clicked.inModal ? clicked.client.views.push(args) : clicked.client.views.open(args);
}

/**
 * The clicked message's blocks, remembered while a dialog about it is open, so
 * that its submission can update the message in place. Owned by the app
 * (SlackContext), bounded and short-lived; on another replica the update
 * falls back to a fresh rendering.
 */
export class DialogMemory {
  private readonly entries = new Map<
    string,
    { blocks: KnownBlock[]; text?: string | undefined; until: number }
  >();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(ttlMs = 30 * 60_000, max = 1_000) {
    this.ttlMs = ttlMs;
    this.max = max;
  }

  remember(viewId: string, blocks: KnownBlock[], text?: string): void {
    const now = Date.now();
    for (const [key, value] of this.entries) if (value.until < now) this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(viewId, { blocks, text, until: now + this.ttlMs });
  }

  take(viewId: string): { blocks?: KnownBlock[]; messageText?: string | undefined } {
    const entry = this.entries.get(viewId);
    this.entries.delete(viewId);
    return entry && entry.until >= Date.now()
      ? { blocks: entry.blocks, messageText: entry.text }
      : {};
  }
}
