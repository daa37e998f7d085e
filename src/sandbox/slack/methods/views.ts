import { validateView } from '../blockkit.ts';
import type { Json } from '../blockkit-fields.ts';
import type { Modals, Trigger } from '../modals.ts';
import {
  type Args,
  arg,
  fail,
  invalidArgs,
  type Method,
  missing,
  ok,
  type Reply,
  type Result,
} from '../reply.ts';
import { VIEW_STACK_LIMIT } from '../types.ts';
import type { Workspace } from '../workspace.ts';

/** views.open, views.push, views.update, views.publish (https://docs.slack.dev/reference/methods). */
export function viewsMethods(ws: Workspace, modals: Modals): Record<string, Method> {
  const { views } = ws;
  const { stacks, viewJson, createView, duplicateExternal } = modals;

  const parseView = (args: Args, expect: 'modal' | 'home'): Result<Json> => {
    const view = args.view;
    if (view === undefined || view === '') return { reply: missing('view') };
    if (typeof view === 'string')
      return { reply: invalidArgs(['failed to parse view: invalid JSON']) };
    const errors = validateView(view, expect);
    if (errors.length > 0) return { reply: invalidArgs(errors) };
    return { value: view as Json };
  };

  /** views.open / views.push: a valid modal and a fresh trigger (a rejected view keeps the trigger unused). */
  const modalWithTrigger = (args: Args): { reply: Reply } | { view: Json; trigger: Trigger } => {
    if (!arg(args, 'trigger_id')) return { reply: missing('trigger_id') };
    const parsed = parseView(args, 'modal');
    if (parsed.reply) return { reply: parsed.reply };
    const taken = modals.takeTrigger(args);
    if (taken.reply) return { reply: taken.reply };
    return { view: parsed.value, trigger: taken.value };
  };

  return {
    'views.open': {
      scopes: [],
      handler: (args) => {
        const opening = modalWithTrigger(args);
        if ('reply' in opening) return opening.reply;
        const { view, trigger } = opening;
        if (duplicateExternal(view.external_id)) return fail('duplicate_external_id');
        trigger.used = true;
        const created = createView(view, 'modal', trigger.userId);
        stacks.set(created.id, [created.id]);
        return ok({ view: viewJson(created) });
      },
    },

    'views.push': {
      scopes: [],
      handler: (args) => {
        const opening = modalWithTrigger(args);
        if ('reply' in opening) return opening.reply;
        const { view, trigger } = opening;
        const from = views.find((v) => v.id === trigger.viewId && !v.closed && v.type === 'modal');
        if (!from) {
          return fail('invalid_trigger_id', {
            response_metadata: {
              messages: ['[ERROR] trigger_id was not issued from an open modal'],
            },
          });
        }
        const stack = stacks.get(from.rootViewId) ?? [];
        if (stack.length >= VIEW_STACK_LIMIT) return fail('push_limit_reached');
        if (duplicateExternal(view.external_id)) return fail('duplicate_external_id');
        trigger.used = true;
        const created = createView(
          view,
          'modal',
          from.userId,
          from.rootViewId,
          stack.at(-1) ?? null,
        );
        stack.push(created.id);
        stacks.set(from.rootViewId, stack);
        return ok({ view: viewJson(created) });
      },
    },

    'views.update': {
      scopes: [],
      handler: (args) => {
        const viewId = arg(args, 'view_id');
        const externalId = arg(args, 'external_id');
        if (!viewId && !externalId)
          return invalidArgs(['missing required field: view_id or external_id']);
        const target = viewId
          ? views.find((v) => v.id === viewId)
          : views.find((v) => v.externalId === externalId && !v.closed);
        if (!target || target.closed) return fail('not_found');
        const parsed = parseView(args, target.type);
        if (parsed.reply) return parsed.reply;
        const view = parsed.value;
        const hash = arg(args, 'hash');
        if (hash !== undefined && hash !== target.hash) return fail('hash_conflict');
        if (duplicateExternal(view.external_id, target.id)) return fail('duplicate_external_id');
        target.view = view;
        target.history.push(view);
        if (typeof view.external_id === 'string') target.externalId = view.external_id;
        target.hash = ws.newHash();
        return ok({ view: viewJson(target) });
      },
    },

    'views.publish': {
      scopes: [],
      handler: (args) => {
        const userId = arg(args, 'user_id');
        if (!userId) return missing('user_id');
        const parsed = parseView(args, 'home');
        if (parsed.reply) return parsed.reply;
        const view = parsed.value;
        const user = ws.findUser(userId);
        if (!user || user.isBot) return fail('user_not_found');
        const existing = views.find((v) => v.type === 'home' && v.userId === userId);
        const hash = arg(args, 'hash');
        if (hash !== undefined && hash !== existing?.hash) return fail('hash_conflict');
        if (!existing) return ok({ view: viewJson(createView(view, 'home', userId)) });
        existing.view = view;
        existing.history.push(view);
        existing.hash = ws.newHash();
        return ok({ view: viewJson(existing) });
      },
    },
  };
}
