import type { SandboxSession } from '../session.ts';
import { USERMGMT_SEND_SMS_PATH } from '../usermgmt.ts';
import { buildSnapshot, GENERAL_CHANNEL, type LocalNote, type Refusal } from './state.ts';

/**
 * Slack's side of what a person does in the page: each click becomes the
 * signed request Slack would send the bot (through the SlackDriver), and
 * what Slack shows of the bot's answer (an ack's text, a failed command, a
 * modal's field errors, a refused view) is kept for the page.
 */

export type Where = { channel: string; ts: string; ephemeral?: boolean } | { viewId: string };

export type ElementAction = {
  type: string;
  action_id: string;
  block_id?: string | undefined;
  value?: string | undefined;
  selected_option?: unknown;
  selected_options?: unknown[];
  selected_date?: string;
};

export type Outcome = { ok: boolean; message?: string; errors?: Record<string, string> };

/** Files a person chose in a modal's file_input, sent by the page when the modal is submitted. */
export type Upload = {
  block_id: string;
  action_id: string;
  files: { name: string; content: Buffer }[];
};

/** Slack's file_input without max_files takes up to 10 files. */
const FILE_INPUT_MAX = 10;

const SLACKBOT = 'USLACKBOT';
const SMS_FAULT = {
  method: 'POST',
  route: USERMGMT_SEND_SMS_PATH,
  status: 200,
  body: { Result: null, Error: { Message: 'SMS gateway unavailable (sandbox switch)' } },
};

/** Slack's own wording when an app fails to answer an interaction. */
const appFailed = (status: number) =>
  status === 0 ? 'operation_timeout' : status >= 500 ? 'http_service_error' : `http_${status}`;

export class SlackSide {
  private readonly notes: LocalNote[] = [];
  private readonly refusals: Refusal[] = [];
  private smsCallsWhenArmed: number | undefined;
  private latencyMs = 0;
  private seq = 0;

  private readonly session: SandboxSession;

  constructor(session: SandboxSession) {
    this.session = session;
  }

  private get slack() {
    return this.session.world.slack;
  }

  private note(channel: string, forUser: string, text: string, user = SLACKBOT) {
    // Local notes sort with the simulator's messages (same ts format: seconds.microseconds).
    const micros = Date.now() * 1000 + (++this.seq % 1000);
    const ts = `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
    this.notes.push({ channel, forUser, ts, user, text, ephemeral: true, edited: false });
  }

  private refused(where: string, error: string, detail: string[] = []) {
    this.refusals.push({ at: Date.now(), where, error, detail });
  }

  snapshot(me: string) {
    const armed =
      this.smsCallsWhenArmed !== undefined &&
      this.session.world.usermgmt.callsTo('POST', USERMGMT_SEND_SMS_PATH).length ===
        this.smsCallsWhenArmed;
    return buildSnapshot(this.session.world, this.session.bot, me, {
      notes: this.notes,
      refusals: this.refusals,
      smsFailArmed: armed,
      latencyMs: this.latencyMs,
    });
  }

  /** A line typed in the message box of `channel`. Only `/onboard …` reaches the bot. */
  async type(me: string, channel: string, line: string): Promise<Outcome> {
    const text = line.trim();
    if (!text) return { ok: false, message: 'Type a command, e.g. /onboard' };
    const command = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
    if (!command) {
      this.note(
        channel,
        me,
        'The bot only listens to its slash command here: try `/onboard help`.',
      );
      return { ok: true };
    }
    if (command[1] !== 'onboard') {
      this.note(
        channel,
        me,
        `/${command[1]} is not a valid command. In Slack, this app only has /onboard.`,
      );
      return { ok: true };
    }
    const response = await this.session.driver.command(me, command[2] ?? '', {
      channelId: channel || GENERAL_CHANNEL,
    });
    if (response.status !== 200) {
      this.note(channel, me, `/onboard failed with the error "${appFailed(response.status)}"`);
      return { ok: false, message: `the bot answered HTTP ${response.status}` };
    }
    // An ack with a body is shown to the person who typed the command, like an ephemeral.
    const body = response.body;
    if (typeof body === 'string' && body) this.note(channel, me, body, this.slack.botUserId);
    else if (body && typeof body === 'object') {
      const ack = body as { text?: string; blocks?: unknown[] };
      if (ack.text || ack.blocks) {
        this.note(channel, me, ack.text ?? '', this.slack.botUserId);
        const last = this.notes.at(-1)!;
        last.blocks = ack.blocks;
      }
    }
    return { ok: true };
  }

  /** A click on an interactive element in a message, the Home tab or a modal. */
  async act(
    me: string,
    where: Where,
    action: ElementAction,
    values?: Record<string, Record<string, unknown>>,
  ): Promise<Outcome> {
    const driver = this.session.driver;
    let status: number;
    if (action.type === 'button') {
      const blocks =
        'channel' in where && where.ephemeral
          ? this.slack.ephemerals.find((e) => e.channel === where.channel && e.ts === where.ts)
              ?.blocks
          : undefined;
      const button = {
        action_id: action.action_id,
        value: action.value,
        block_id: action.block_id,
      };
      const target = 'viewId' in where ? where : { ...where, ...(blocks ? { blocks } : {}) };
      status = (await driver.click(me, button, target)).status;
    } else {
      status = (await this.selection(me, where, action, values)).status;
    }
    if (status !== 200) {
      const channel = 'channel' in where ? where.channel : GENERAL_CHANNEL;
      this.note(channel, me, `This app did not respond ("${appFailed(status)}").`);
      return { ok: false, message: `the bot answered HTTP ${status}` };
    }
    return { ok: true };
  }

  /** Selects, overflow menus, date pickers…: block_actions carrying the selection. */
  private selection(
    me: string,
    where: Where,
    action: ElementAction,
    values?: Record<string, Record<string, unknown>>,
  ) {
    const element = {
      ...action,
      block_id: action.block_id ?? 'b',
      action_ts: String(Date.now() / 1000),
    };
    return this.session.driver.act(
      me,
      element,
      where,
      'viewId' in where ? { values: values ?? {} } : { message: this.messageAt(where) },
    );
  }

  /** The clicked message as Slack puts it in a payload (ephemerals only carry what was shown). */
  private messageAt(where: { channel: string; ts: string; ephemeral?: boolean }) {
    const found = where.ephemeral
      ? this.slack.ephemerals.find((e) => e.channel === where.channel && e.ts === where.ts)
      : this.slack.messagesIn(where.channel).find((m) => m.ts === where.ts);
    return { type: 'message', ts: where.ts, text: found?.text ?? '', blocks: found?.blocks ?? [] };
  }

  /** Typing into an input with dispatch_action (the bot may update the modal as one types). */
  async typeInto(
    me: string,
    viewId: string,
    input: { block_id: string; action_id: string; value: string },
    values: Record<string, Record<string, unknown>>,
  ): Promise<Outcome> {
    const response = await this.session.driver.typeInto(me, viewId, input, values);
    return { ok: response.status === 200 };
  }

  /**
   * Submit: the bot's ack decides (errors on fields, update, push, clear, or close). Chosen
   * files go into the Slack simulator first, as Slack uploads them, and their file_input state
   * joins the values.
   */
  async submit(
    me: string,
    viewId: string,
    values: Record<string, Record<string, unknown>>,
    uploads: Upload[] = [],
  ): Promise<Outcome> {
    const view = this.slack.viewPayload(viewId) as { blocks?: unknown[] } | undefined;
    if (!view) return { ok: false, message: 'This modal is no longer open.' };
    const errors: Record<string, string> = {};
    for (const upload of uploads) {
      const problem = fileInputProblem(view.blocks ?? [], upload);
      if (problem) errors[upload.block_id] = problem;
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    const all = { ...values };
    for (const upload of uploads) {
      const files = upload.files.flatMap(
        (f) => this.slack.uploadUserFile(me, f.name, f.content).files,
      );
      all[upload.block_id] = { [upload.action_id]: { type: 'file_input', files } };
    }
    const response = await this.session.driver.submitView(viewId, me, all);
    if (response.status !== 200) {
      // What Slack shows in the modal when the app fails to answer a submission.
      return { ok: false, message: 'We had some trouble connecting. Try again?' };
    }
    if (response.viewErrors.length > 0) {
      this.refused('view_submission response_action', 'invalid_view', response.viewErrors);
      return { ok: false, message: 'We had some trouble connecting. Try again?' };
    }
    const ack = response.body as { response_action?: string; errors?: Record<string, string> };
    if (ack && typeof ack === 'object' && ack.response_action === 'errors') {
      return { ok: false, errors: ack.errors ?? {} };
    }
    return { ok: true };
  }

  /**
   * A file the bot shared where `me` can see it (a channel of the page or their DM): its
   * content comes from the simulator's state, so the page never needs the bot token.
   */
  fileFor(me: string, id: string): { name: string; content: Buffer } | undefined {
    const visible = new Set(
      this.snapshot(me)
        .conversations.map((c) => c.id)
        .filter(Boolean),
    );
    const file = this.slack.files.find((f) => f.id === id);
    if (!file?.shares.some((s) => visible.has(s.channel))) return undefined;
    return { name: file.name, content: file.content };
  }

  /** Close (the top view) or × (the whole stack); view_closed when the view asked for it. */
  async close(me: string, viewId: string, all: boolean): Promise<Outcome> {
    const view = this.slack.viewPayload(viewId) as
      | { notify_on_close?: boolean; root_view_id?: string }
      | undefined;
    if (!view) return { ok: true };
    if (view.notify_on_close) await this.session.driver.viewClosed(me, view, all);
    this.slack.closeView(all && view.root_view_id ? view.root_view_id : viewId);
    return { ok: true };
  }

  /** Opening the App Home tab: Slack sends app_home_opened every time. */
  async openHome(me: string): Promise<Outcome> {
    const response = await this.session.driver.event({
      type: 'app_home_opened',
      user: me,
      channel: this.slack.dmWith(me) ?? 'D0HOME',
      tab: 'home',
    });
    return { ok: response.status === 200 };
  }

  // ---- the sandbox's own switches

  /** The invitee used the newest pending invitation (Opentact and Slyk); the bot reconciles. */
  async acceptLatest(): Promise<Outcome> {
    const { world, bot } = this.session;
    const open = await bot.service.listOpen();
    const latest = open
      .filter((r) => r.state === 'pending' && r.invite && !r.invite.goneAt)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .at(-1);
    if (!latest)
      return { ok: false, message: 'No pending invitation to accept: run /onboard first.' };
    world.opentact.acceptInvite(latest.invite!.uuid);
    if (latest.slykCode) world.slyk.accept(latest.slykCode);
    const report = await bot.jobs.reconcile();
    return {
      ok: true,
      message: `${latest.person.firstName} ${latest.person.lastName} accepted; the bot's reconciliation found ${report.accepted} accepted.`,
    };
  }

  failNextSms(): Outcome {
    const usermgmt = this.session.world.usermgmt;
    usermgmt.addFault(SMS_FAULT);
    this.smsCallsWhenArmed = usermgmt.callsTo('POST', USERMGMT_SEND_SMS_PATH).length;
    return { ok: true, message: 'The next SMS invitation will fail.' };
  }

  setLatency(ms: number): Outcome {
    const { opentact, usermgmt, slyk } = this.session.world;
    for (const server of [opentact.server, usermgmt, slyk]) server.setLatency(ms);
    this.latencyMs = ms;
    return {
      ok: true,
      message: ms ? `Every upstream call now waits ${ms} ms.` : 'No added latency.',
    };
  }

  async digestNow(me: string): Promise<Outcome> {
    const result = await this.session.bot.jobs.digest({ requestedBy: me });
    return { ok: result.posted, message: result.posted ? 'Digest posted.' : result.text };
  }
}

/** What Slack's client refuses before uploading: not a file_input of this view, a type or count it does not take. */
function fileInputProblem(blocks: unknown[], upload: Upload): string | undefined {
  const block = blocks.find(
    (b): b is { block_id: string; element: Record<string, unknown> } =>
      (b as { block_id?: string }).block_id === upload.block_id &&
      (b as { element?: { action_id?: string } }).element?.action_id === upload.action_id,
  );
  if (block?.element.type !== 'file_input')
    return `This view has no file input ${upload.block_id}/${upload.action_id}.`;
  const max = Number(block.element.max_files ?? FILE_INPUT_MAX);
  if (upload.files.length > max)
    return `You can upload at most ${max} file${max === 1 ? '' : 's'}.`;
  const types = (block.element.filetypes as string[] | undefined) ?? [];
  const wrong = upload.files.find((f) => {
    const ext = /\.([^.]+)$/.exec(f.name)?.[1]?.toLowerCase() ?? '';
    return types.length > 0 && !types.includes(ext);
  });
  if (wrong) return `${wrong.name}: this file type is not accepted here (${types.join(', ')}).`;
  return undefined;
}
