import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { errorFields } from '../../log.ts';
import { addDays } from '../../onboarding/clock.ts';
import { selectDigest } from '../../onboarding/digest.ts';
import { displayName, type OnboardingRecord } from '../../onboarding/model.ts';
import { type ActionOutcome, ActionRefused, describeError } from '../../onboarding/service.ts';
import type { SlackContext } from '../context.ts';
import {
  ACTION,
  type ActionVerb,
  actionPattern,
  CALLBACK,
  isItemBlock,
  REVOKE_INPUT,
} from '../ids.ts';
import { context, esc, plain, section, slackDate, user } from '../views/blocks.ts';
import { homeBlocks, refusalText } from '../views/lists.ts';
import {
  onboardModal,
  resultBlocks,
  resultView,
  UPSTREAM_FIELD_TO_INPUT,
} from '../views/onboard.ts';
import { itemBlocks } from '../views/record.ts';

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

export type RevokeMetadata = { recordId: string; container: Container };

/** Message blocks seen at click time, for updating the message after the revoke dialog. */
const pendingBlocks = new Map<string, { blocks: KnownBlock[]; until: number }>();

export function registerActions(app: App, ctx: SlackContext): void {
  const handle = (verb: ActionVerb, handler: (args: Clicked) => Promise<void>) => {
    app.action<BlockAction<ButtonAction>>(
      actionPattern(verb),
      async ({ ack, body, action, client, respond }) => {
        await ack();
        const clicked: Clicked = {
          userId: body.user.id,
          recordId: action.value ?? '',
          container: containerOf(body),
          blocks: (body.message?.blocks as KnownBlock[] | undefined) ?? undefined,
          triggerId: body.trigger_id,
          client,
        };
        if (!(await ctx.authz.isAllowed(clicked.userId))) {
          await tellPrivately(
            ctx,
            client,
            clicked.container,
            clicked.userId,
            refusalText(ctx.authz.adminList),
            respond,
          );
          return;
        }
        await handler(clicked);
      },
    );
  };

  handle(ACTION.extend, (c) =>
    applyOutcome(ctx, c.client, {
      ...c,
      verb: 'extended the invitation',
      run: () =>
        ctx.service.extend(c.recordId, c.userId, addDays(ctx.clock(), ctx.config.inviteTtlDays)),
    }),
  );
  handle(ACTION.resend, (c) =>
    applyOutcome(ctx, c.client, {
      ...c,
      verb: 'resent the invitation',
      run: () => ctx.service.resend(c.recordId, c.userId),
    }),
  );
  handle(ACTION.retry, async (c) => {
    await applyOutcome(ctx, c.client, {
      ...c,
      verb: 'retried the onboarding',
      run: async () => {
        const record = await ctx.service.retry(c.recordId, c.userId);
        return {
          record,
          summary:
            record.state === 'failed'
              ? `It failed again: ${record.failedStep ? record.steps[record.failedStep].reason : ''}`
              : 'Done.',
        };
      },
    });
  });
  handle(ACTION.editRetry, async (c) => {
    const record = await ctx.service.get(c.recordId);
    if (record?.state !== 'failed') {
      await tellPrivately(
        ctx,
        c.client,
        c.container,
        c.userId,
        'Nothing to correct: this onboarding is not failed any more.',
      );
      return;
    }
    const problems = Object.entries(record.steps.sip_user.fields ?? {})
      .map(([field, message]) => `${UPSTREAM_FIELD_TO_INPUT[field] ?? field}: ${message}`)
      .join('; ');
    await c.client.views.open({
      trigger_id: c.triggerId,
      view: onboardModal(
        ctx.service.enabledChannels(),
        {
          ...record.person,
          lifetimeDays: record.lifetimeDays,
          channels: record.channels,
          ...(record.note ? { note: record.note } : {}),
        },
        { retryOf: record.id },
        `Opentact refused: ${problems}. Correct it and submit again.`,
      ),
    });
  });
  handle(ACTION.revoke, async (c) => {
    const record = await ctx.service.get(c.recordId);
    if (record?.state === 'revoked') {
      const by = [...record.audit].reverse().find((a) => a.action === 'revoked');
      await tellPrivately(
        ctx,
        c.client,
        c.container,
        c.userId,
        `Already revoked${by ? ` by ${user(by.by)} ${slackDate(by.at)}` : ''}.`,
      );
      return;
    }
    if (!record) {
      await tellPrivately(
        ctx,
        c.client,
        c.container,
        c.userId,
        'That onboarding no longer exists.',
      );
      return;
    }
    const opened = await c.client.views.open({
      trigger_id: c.triggerId,
      view: revokeDialog(record, c.container, ctx.config.opentact.sipDomain !== undefined),
    });
    if (opened.view?.id && c.blocks)
      pendingBlocks.set(opened.view.id, { blocks: c.blocks, until: Date.now() + 30 * 60_000 });
  });
}

type Clicked = {
  userId: string;
  recordId: string;
  container: Container;
  blocks: KnownBlock[] | undefined;
  triggerId: string;
  client: WebClient;
};

function containerOf(body: BlockAction): Container {
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

function revokeDialog(record: OnboardingRecord, container: Container, canDeactivate: boolean) {
  const options = [
    { text: plain('Keep the SIP user', 75), value: 'keep' },
    ...(canDeactivate ? [{ text: plain('Deactivate the SIP user', 75), value: 'deactivate' }] : []),
    { text: plain('Remove the SIP user', 75), value: 'remove' },
  ];
  const metadata: RevokeMetadata = { recordId: record.id, container };
  return {
    type: 'modal' as const,
    callback_id: CALLBACK.revokeModal,
    title: plain('Revoke invitation', 24),
    submit: plain('Revoke', 24),
    close: plain('Cancel', 24),
    private_metadata: JSON.stringify(metadata),
    blocks: [
      section(
        `Revoke the invitation of *${esc(displayName(record.person))}* (\`${esc(record.person.login)}\`)? The SIP user invite is removed and the e-mail invite cancelled.`,
      ),
      {
        type: 'input' as const,
        block_id: REVOKE_INPUT.mode,
        label: plain('And the SIP user?'),
        element: {
          type: 'radio_buttons' as const,
          action_id: `${REVOKE_INPUT.mode}_input`,
          options,
          initial_option: options[0]!,
        },
      },
    ] as KnownBlock[],
  };
}

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
    verb: string;
    run: () => Promise<ActionOutcome>;
  },
): Promise<void> {
  let outcome: ActionOutcome;
  try {
    outcome = await args.run();
  } catch (error) {
    if (!(error instanceof ActionRefused))
      ctx.logger.warn(`action failed: ${args.verb}`, errorFields(error));
    const text =
      error instanceof ActionRefused
        ? `:warning: ${error.message}`
        : `:x: Could not complete (${args.verb}): ${describeError(error)}. Nothing else was changed; try again in a moment.`;
    if (args.container) await tellPrivately(ctx, client, args.container, args.userId, text);
    return;
  }
  const { record } = outcome;
  const now = ctx.clock();
  const what = outcome.noop ? outcome.summary : `${args.verb}`;
  const container = args.container;
  if (container) {
    await updateContainer(ctx, client, container, record, args.userId, what, args.blocks).catch(
      (error) => ctx.logger.warn('could not update the message in place', errorFields(error)),
    );
    await tellPrivately(
      ctx,
      client,
      container,
      args.userId,
      `${outcome.noop ? ':information_source:' : ':white_check_mark:'} ${outcome.summary}`,
    );
  }
  if (!outcome.noop) {
    await ctx.notifier.audit(
      `${user(args.userId)} ${args.verb} for *${esc(displayName(record.person))}* (\`${esc(record.person.login)}\`): ${esc(outcome.summary)}`,
    );
    const isResultMessage = container?.kind === 'message' && container.ts === record.slack.ts;
    if (record.slack.ts && !isResultMessage) await ctx.notifier.dmResult(record);
    if (
      record.slack.viewId &&
      container?.kind === 'view' &&
      container.viewId === record.slack.viewId
    ) {
      await client.views
        .update({ view_id: record.slack.viewId, view: resultView(record, now) })
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
): Promise<void> {
  const now = ctx.clock();
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
    blocks = [...resultBlocks(record, now), acted];
  } else {
    const source = clickedBlocks;
    if (source)
      blocks = replaceItem(source, record, [
        ...itemBlocks(record, now),
        { ...acted, block_id: `acted:${record.id}` },
      ]);
  }
  if (!blocks) return;
  const text = `${displayName(record.person)}: ${what}`;
  if (container.ephemeral) {
    if (container.responseUrl) {
      await fetch(container.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ replace_original: true, text, blocks }),
      });
    }
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
  respond?: (message: {
    response_type: 'ephemeral';
    replace_original: false;
    text: string;
  }) => Promise<unknown>,
): Promise<void> {
  try {
    if (container.kind === 'message' && container.ephemeral && respond) {
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } else if (container.kind === 'message' && container.ephemeral && container.responseUrl) {
      await fetch(container.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      });
    } else if (container.kind === 'message' && container.channel) {
      await client.chat.postEphemeral({ channel: container.channel, user: userId, text });
    } else {
      await client.chat.postMessage({ channel: userId, text });
    }
  } catch (error) {
    ctx.logger.warn('could not reply privately', errorFields(error));
  }
}

export async function homeFor(ctx: SlackContext, isAdmin: boolean): Promise<KnownBlock[]> {
  if (!isAdmin) return homeBlocks(false, [], undefined, ctx.authz.adminList);
  const { service } = ctx;
  const digest = selectDigest(await service.listOpen(), ctx.clock(), {
    warningDays: ctx.config.expiryWarningDays,
    upstreamDrift: await service.drift(),
    counts: await service.counts(),
  });
  return homeBlocks(true, await service.recent(10), digest, ctx.authz.adminList);
}

/** The clicked message's blocks, remembered while the revoke dialog is open (same process). */
export function takePendingBlocks(viewId: string): KnownBlock[] | undefined {
  const entry = pendingBlocks.get(viewId);
  pendingBlocks.delete(viewId);
  for (const [key, value] of pendingBlocks) if (value.until < Date.now()) pendingBlocks.delete(key);
  return entry && entry.until >= Date.now() ? entry.blocks : undefined;
}
