import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../../log.ts';
import { ACTION, CALLBACK, COMMAND, INPUT, inputActionId } from '../ids.ts';

/**
 * What a request must look like before Bolt or a listener sees it. Bolt and
 * the listeners read these fields without checking; a signed request that
 * lacks them (a fuzzer, a replay of a damaged payload) is refused with a 4xx
 * and a log line instead of a 500 or a hang.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Why `body` cannot be handled, or undefined when it can. */
export function payloadProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'the payload is not an object';
  if ('command' in body) return commandProblem(body);
  if (!isStr(body.type)) return 'the payload has no type';
  switch (body.type) {
    case 'block_actions':
      return userProblem(body) ?? actionsProblem(body) ?? optionalView(body.view);
    case 'view_submission':
    case 'view_closed':
      return userProblem(body) ?? viewProblem(body.view, body.type === 'view_submission');
    case 'event_callback':
      return eventProblem(body.event);
    case 'url_verification':
      return isStr(body.challenge) ? undefined : 'the url_verification has no challenge';
    case 'shortcut':
    case 'message_action':
    case 'block_suggestion':
      return userProblem(body);
    default:
      return undefined; // Bolt answers unknown kinds itself
  }
}

function eventProblem(event: unknown): string | undefined {
  if (!isObj(event) || !isStr(event.type)) return 'the event has no type';
  // Bolt reads the user and channel of an event before any middleware runs.
  for (const key of ['user', 'channel', 'team']) {
    const value = event[key];
    if (value !== undefined && !isStr(value) && !(isObj(value) && isStr(value.id)))
      return `the event ${key} is malformed`;
  }
  if (event.type === 'app_home_opened' && !isStr(event.user))
    return 'the app_home_opened event has no user';
  return undefined;
}

function commandProblem(body: Obj): string | undefined {
  for (const key of ['command', 'user_id', 'trigger_id', 'team_id']) {
    if (!isStr(body[key]) || body[key] === '') return `the slash command has no ${key}`;
  }
  if (body.text !== undefined && !isStr(body.text)) return 'the slash command text is not a string';
  return undefined;
}

function userProblem(body: Obj): string | undefined {
  return isObj(body.user) && isStr(body.user.id) && body.user.id !== ''
    ? undefined
    : 'the payload has no user';
}

function actionsProblem(body: Obj): string | undefined {
  const { actions } = body;
  if (!Array.isArray(actions) || actions.length === 0) return 'the block action has no actions';
  for (const action of actions) {
    if (!isObj(action) || !isStr(action.action_id) || !isStr(action.type))
      return 'an action has no action_id or type';
    if (action.value !== undefined && !isStr(action.value))
      return 'an action value is not a string';
  }
  if (body.container !== undefined && !isObj(body.container))
    return 'the container is not an object';
  return undefined;
}

function optionalView(view: unknown): string | undefined {
  return view === undefined ? undefined : viewProblem(view, false);
}

function viewProblem(view: unknown, needsState: boolean): string | undefined {
  if (!isObj(view) || !isStr(view.id)) return 'the payload has no view';
  if (view.callback_id !== undefined && !isStr(view.callback_id))
    return 'the view callback_id is not a string';
  if (
    view.private_metadata !== undefined &&
    view.private_metadata !== null &&
    !isStr(view.private_metadata)
  ) {
    return 'the view private_metadata is not a string';
  }
  if (needsState && !(isObj(view.state) && isObj(view.state.values)))
    return 'the view has no state values';
  if (isObj(view.state) && isObj(view.state.values)) {
    for (const block of Object.values(view.state.values)) {
      if (!isObj(block)) return 'a view state block is not an object';
      for (const element of Object.values(block))
        if (!isObj(element)) return 'a view state element is not an object';
    }
  }
  return undefined;
}

const BUTTON = new RegExp(`^(${Object.values(ACTION).join('|')}):`);
const INPUT_ACTIONS = new Set<string>([
  inputActionId(INPUT.firstName),
  inputActionId(INPUT.lastName),
]);
const SUBMISSIONS = new Set<string>([
  CALLBACK.onboardModal,
  CALLBACK.revokeModal,
  CALLBACK.resendModal,
  CALLBACK.rejectModal,
  CALLBACK.offboardModal,
  CALLBACK.cohortUpload,
  CALLBACK.cohortConfirm,
]);
/** Views whose closing a listener of ours wants to know (notify_on_close). */
const CLOSES = new Set<string>([CALLBACK.cohortConfirm]);

/**
 * Whether a listener of ours handles this (well-formed) payload. What none
 * handles is acked at once rather than left to Bolt's unhandled-request timer.
 */
export function isHandled(body: Obj): boolean {
  if ('command' in body) return body.command === COMMAND;
  switch (body.type) {
    case 'block_actions': {
      const [action] = body.actions as Obj[];
      const id = String(action!.action_id);
      return BUTTON.test(id) || INPUT_ACTIONS.has(id);
    }
    case 'view_submission':
      return SUBMISSIONS.has(String((body.view as Obj).callback_id));
    case 'view_closed':
      return CLOSES.has(String((body.view as Obj).callback_id));
    case 'event_callback':
      return (body.event as Obj).type === 'app_home_opened';
    case 'url_verification':
      return true;
    default:
      return false;
  }
}

/** The same check as Bolt's first global middleware (Socket Mode has no front door). */
export function payloadGuard(log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const problem = payloadProblem(args.body);
    if (!problem && isHandled(args.body as Obj)) return args.next();
    if (problem) log.warn('refused a malformed Slack payload', { problem });
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  };
}
