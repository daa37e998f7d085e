import { validateView } from './blockkit.ts';
import type { Json } from './blockkit-fields.ts';
import { type Args, arg, fail, type Result } from './reply.ts';
import { type SimView, TRIGGER_TTL_MS } from './types.ts';
import type { Workspace } from './workspace.ts';

/**
 * The views the bot opened: trigger ids, modal stacks (open, push, close) and home
 * tabs, the view JSON its listeners receive, and what Slack does with a
 * view_submission's HTTP answer. The views.* methods and the simulator's view
 * accessors share it.
 */

export type Trigger = { mintedAt: number; used: boolean; userId?: string; viewId?: string };

export type Modals = ReturnType<typeof createModals>;

export function createModals(ws: Workspace) {
  const { views } = ws;
  const triggers = new Map<string, Trigger>();
  /** Modal stacks by root view id: the open views, bottom first. */
  const stacks = new Map<string, string[]>();

  const viewJson = (v: SimView): Json => ({
    id: v.id,
    team_id: ws.teamId,
    type: v.type,
    private_metadata: '',
    callback_id: '',
    external_id: v.externalId ?? '',
    state: { values: {} },
    clear_on_close: false,
    notify_on_close: false,
    ...v.view,
    hash: v.hash,
    root_view_id: v.type === 'home' ? null : v.rootViewId,
    previous_view_id: v.previousViewId,
    app_id: ws.appId,
    app_installed_team_id: ws.teamId,
    bot_id: ws.botId,
  });

  const mintTriggerId = (opts: { userId?: string; viewId?: string } = {}) => {
    const triggerId = `${10_000 + (ws.nextSeq() % 90_000)}.${Math.floor(ws.now() / 1000)}.${ws.hex(16)}`;
    triggers.set(triggerId, { mintedAt: ws.now(), used: false, ...opts });
    return triggerId;
  };

  const takeTrigger = (args: Args): Result<Trigger> => {
    const triggerId = arg(args, 'trigger_id');
    const trigger = triggerId ? triggers.get(triggerId) : undefined;
    if (!trigger) return { reply: fail('invalid_trigger_id') };
    if (trigger.used) return { reply: fail('exchanged_trigger_id') };
    if (ws.now() - trigger.mintedAt > TRIGGER_TTL_MS) return { reply: fail('expired_trigger_id') };
    return { value: trigger };
  };

  const duplicateExternal = (externalId: unknown, except?: string) =>
    typeof externalId === 'string' &&
    views.some((v) => v.externalId === externalId && v.id !== except && !v.closed);

  const createView = (
    view: Json,
    type: 'modal' | 'home',
    userId: string | undefined,
    rootViewId?: string,
    previousViewId: string | null = null,
  ): SimView => {
    const viewId = ws.id('V');
    const created: SimView = {
      id: viewId,
      type,
      userId,
      hash: ws.newHash(),
      externalId: typeof view.external_id === 'string' ? view.external_id : undefined,
      rootViewId: rootViewId ?? viewId,
      previousViewId,
      view,
      history: [view],
      closed: false,
    };
    views.push(created);
    return created;
  };

  const closeView = (viewId: string) => {
    const view = views.find((v) => v.id === viewId);
    if (!view) return;
    const stack = stacks.get(view.rootViewId) ?? [view.id];
    const at = stack.indexOf(viewId);
    for (const closedId of stack.splice(Math.max(at, 0))) {
      const v = views.find((x) => x.id === closedId);
      if (v) v.closed = true;
    }
    view.closed = true;
    if (stack.length === 0) stacks.delete(view.rootViewId);
  };

  const applyViewAck = (viewId: string, ack: Record<string, unknown> | undefined): string[] => {
    const view = views.find((v) => v.id === viewId);
    if (!view) return [`unknown view ${viewId}`];
    const action = ack?.response_action;
    if (action === 'errors') return [];
    if (action === 'update' || action === 'push') {
      const errors = validateView(ack?.view, 'modal');
      if (errors.length > 0) return errors;
      if (action === 'update') {
        view.view = ack!.view as Json;
        view.history.push(view.view);
        view.hash = ws.newHash();
      } else {
        const pushed = createView(
          ack!.view as Json,
          'modal',
          view.userId,
          view.rootViewId,
          view.id,
        );
        stacks.get(view.rootViewId)?.push(pushed.id);
      }
      return [];
    }
    if (action === 'clear') {
      const root = views.find((v) => v.id === view.rootViewId);
      if (root) closeView(root.id);
      return [];
    }
    closeView(viewId);
    return [];
  };

  const viewPayload = (viewId: string) => {
    const view = views.find((v) => v.id === viewId);
    return view ? viewJson(view) : undefined;
  };

  const viewStack = (viewId: string) => {
    const view = views.find((v) => v.id === viewId);
    return view ? (stacks.get(view.rootViewId) ?? []).slice() : [];
  };

  const homeOf = (userId: string) => views.find((v) => v.type === 'home' && v.userId === userId);

  return {
    stacks,
    viewJson,
    mintTriggerId,
    takeTrigger,
    duplicateExternal,
    createView,
    closeView,
    applyViewAck,
    viewPayload,
    viewStack,
    homeOf,
  };
}
