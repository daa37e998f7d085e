import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { errorFields } from '../../../log.ts';
import { displayName, type OnboardingRecord } from '../../../onboarding/model.ts';
import { type ActionOutcome, ActionRefused, describeError } from '../../../onboarding/service.ts';
import { UpstreamError } from '../../../providers/http.ts';
import type { SlackContext } from '../../context.ts';
import { homeFor } from '../../home.ts';
import { isItemBlock } from '../../ids.ts';
import { code, context, esc, slackDate, user } from '../../views/blocks.ts';
import { resultBlocks, resultView } from '../../views/onboard.ts';
import { itemBlocks } from '../../views/record.ts';
import { type Container, type Respond, responseUrlReply } from './container.ts';

/**
 * Runs an action and reports it: the clicked message (or Home tab) is updated in
 * place with who did what and when, the clicker gets a private summary, the audit
 * channel a line, and the requester's result message is kept current.
 */
export async function applyOutcome(
  ctx: SlackContext,
  client: WebClient,
  args: {
    userId: string;
    recordId: string;
    container: Container | undefined;
    blocks?: KnownBlock[] | undefined;
    /** The clicked message's fallback text: a digest keeps its own when one item changes. */
    messageText?: string | undefined;
    /** Bolt's respond when the request came from the message itself (a click). */
    respond?: Respond | undefined;
    verb: string;
    run: () => Promise<ActionOutcome>;
  },
): Promise<void> {
  const c = args.container;
  const respond =
    args.respond ??
    (c?.kind === 'message' && c.responseUrl ? responseUrlReply(c.responseUrl) : undefined);
  let outcome: ActionOutcome;
  try {
    outcome = await args.run();
  } catch (error) {
    // A refusal or an upstream failure is an answer for the clicker; anything else is a bug
    // for the one error handler.
    if (!(error instanceof ActionRefused || error instanceof UpstreamError)) throw error;
    if (error instanceof UpstreamError)
      ctx.logger.warn(`action failed: ${args.verb}`, errorFields(error));
    const text =
      error instanceof ActionRefused
        ? `:warning: ${esc(error.message)}`
        : `:x: Could not complete (${args.verb}): ${esc(describeError(error))}. Nothing else was changed; try again in a moment.`;
    if (args.container)
      await tellPrivately(ctx, client, args.container, args.userId, text, respond);
    return;
  }
  const { record } = outcome;
  const now = ctx.clock();
  const seal = ctx.binder.seal.bind(ctx.binder);
  const what = outcome.noop
    ? outcome.summary
    : `${args.verb}${outcome.partial ? ' (incomplete)' : ''}`;
  const container = args.container;
  if (container) {
    await updateContainer(
      ctx,
      client,
      container,
      record,
      args.userId,
      what,
      args.blocks,
      args.messageText,
      respond,
    ).catch((error) =>
      ctx.logger.warn('could not update the message in place', errorFields(error)),
    );
    await tellPrivately(
      ctx,
      client,
      container,
      args.userId,
      `${outcome.noop ? ':information_source:' : outcome.partial ? ':warning:' : ':white_check_mark:'} ${esc(outcome.summary)}`,
      respond,
    );
  }
  if (!outcome.noop) {
    await ctx.notifier.audit(
      `${user(args.userId)} ${args.verb} for *${esc(displayName(record.person))}* (${code(record.person.login)}): ${esc(outcome.summary)}`,
    );
    const isResultMessage = container?.kind === 'message' && container.ts === record.slack.ts;
    if (record.slack.ts && !isResultMessage) await ctx.notifier.dmResult(record);
    if (
      record.slack.viewId &&
      container?.kind === 'view' &&
      container.viewId === record.slack.viewId
    ) {
      await client.views
        .update({ view_id: record.slack.viewId, view: resultView(record, now, seal) })
        .catch(() => undefined);
    }
  }
}

async function updateContainer(
  ctx: SlackContext,
  client: WebClient,
  container: Container,
  record: OnboardingRecord,
  by: string,
  what: string,
  clickedBlocks: KnownBlock[] | undefined,
  clickedText?: string,
  respond?: Respond,
): Promise<void> {
  const now = ctx.clock();
  const seal = ctx.binder.seal.bind(ctx.binder);
  const acted = context(`${user(by)} ${esc(what)} · ${slackDate(now.toISOString())}`);
  if (container.kind === 'view') {
    if (container.home) {
      await client.views.publish({
        user_id: by,
        view: { type: 'home', blocks: await homeFor(ctx, true) },
      });
    }
    return;
  }
  let blocks: KnownBlock[] | undefined;
  if (container.ts && container.ts === record.slack.ts) {
    blocks = [...resultBlocks(record, now, seal), acted];
  } else {
    const source = clickedBlocks;
    if (source)
      blocks = replaceItem(source, record, [
        ...itemBlocks(record, now, seal),
        { ...acted, block_id: `acted:${record.id}` },
      ]);
  }
  if (!blocks) return;
  const isResult = container.ts !== '' && container.ts === record.slack.ts;
  const text =
    !isResult && clickedText ? clickedText : `${esc(displayName(record.person))}: ${esc(what)}`;
  if (container.ephemeral) {
    await respond?.({ replace_original: true, text, blocks });
    return;
  }
  await client.chat.update({ channel: container.channel, ts: container.ts, text, blocks });
}

/** Replaces the blocks of one item (section, buttons, earlier "acted" line) with new ones. */
export function replaceItem(
  blocks: KnownBlock[],
  record: OnboardingRecord,
  replacement: KnownBlock[],
): KnownBlock[] {
  const belongs = (b: KnownBlock) =>
    isItemBlock(b.block_id, record.id) || b.block_id === `acted:${record.id}`;
  const first = blocks.findIndex(belongs);
  if (first < 0) return blocks;
  let last = first;
  while (last + 1 < blocks.length && belongs(blocks[last + 1]!)) last += 1;
  return [...blocks.slice(0, first), ...replacement, ...blocks.slice(last + 1)];
}

/** Tells the clicker privately: ephemeral in the channel, or a DM from a view. */
export async function tellPrivately(
  ctx: SlackContext,
  client: WebClient,
  container: Container,
  userId: string,
  text: string,
  respond?: Respond,
): Promise<void> {
  try {
    if (container.kind === 'message' && container.ephemeral && respond) {
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } else if (container.kind === 'message' && container.channel) {
      await client.chat.postEphemeral({ channel: container.channel, user: userId, text });
    } else {
      await client.chat.postMessage({ channel: userId, text });
    }
  } catch (error) {
    ctx.logger.warn('could not reply privately', errorFields(error));
  }
}
