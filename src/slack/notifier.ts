import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import type { Clock } from '../onboarding/clock.ts';
import type { OnboardingRecord, OutboxLine } from '../onboarding/model.ts';
import type { RecordStore } from '../onboarding/ports.ts';
import type { Seal } from './binding.ts';
import { approvalMessage } from './views/approval.ts';
import { auditLine, resultBlocks, resultText, resultView } from './views/onboard.ts';

/** Slack errors worth trying again later; any other error code is a refusal. */
const TRANSIENT_SLACK_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Slack Web API errors that mean the bot's setup needs fixing, with the fix. */
export const SLACK_FIXES: Record<string, string> = {
  not_in_channel: 'invite the bot to the channel (/invite @bot) or add the chat:write.public scope',
  channel_not_found: 'check DIGEST_CHANNEL: it must be a channel ID (C…) the bot can see',
  missing_scope:
    'add the missing scope in the app settings (see manifest.yml) and reinstall the app',
  invalid_auth: 'check SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token)',
  not_authed: 'SLACK_BOT_TOKEN is missing',
};

export type Outbox = Pick<RecordStore, 'addToOutbox' | 'outboxChannels' | 'drainOutbox'>;

export function slackErrorCode(error: unknown): string | undefined {
  return (error as { data?: { error?: string } }).data?.error;
}

/** A channel's pace kept by the store for every replica (PostgreSQL). */
export type SharedPace = {
  /** Reserves the channel's next slot, an interval after the previous one; ms to wait. */
  reserve(channel: string, intervalMs: number): Promise<number>;
  /** Ms to wait so a post lands an interval after the last one Slack answered. */
  waitAfterAnswer(channel: string, intervalMs: number): Promise<number>;
  answered(channel: string): Promise<void>;
};

/**
 * Reports outcomes back to Slack: the requester's modal and DM, and the audit
 * line in DIGEST_CHANNEL. Failures to report are logged with the fix; they never
 * undo or block the work that was done.
 */
export class Notifier {
  private readonly client: WebClient;
  private readonly seal: Seal;
  private readonly sharedPace: SharedPace | undefined;
  /** Remembers where the requester's result message lives (the domain stores it). */
  private readonly remember: (id: string, slack: OnboardingRecord['slack']) => Promise<unknown>;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly auditChannel: string | undefined;
  private readonly outbox: Outbox;

  constructor(options: {
    client: WebClient;
    remember: (id: string, slack: OnboardingRecord['slack']) => Promise<unknown>;
    seal: Seal;
    /** With a shared store: the channel's pace across replicas. */
    sharedPace?: SharedPace | undefined;
    logger: Logger;
    clock: Clock;
    auditChannel: string | undefined;
    /** Where audit lines wait until they are posted (the store). */
    outbox: Outbox;
  }) {
    this.client = options.client;
    this.remember = options.remember;
    this.seal = options.seal;
    this.sharedPace = options.sharedPace;
    this.log = options.logger;
    this.clock = options.clock;
    this.auditChannel = options.auditChannel;
    this.outbox = options.outbox;
  }

  /** The outcome of an onboarding: modal, DM (kept up to date later), audit line. */
  async reportOnboarding(record: OnboardingRecord): Promise<void> {
    const now = this.clock();
    const tasks: Promise<unknown>[] = [];
    if (record.slack.viewId) {
      tasks.push(
        this.client.views
          .update({ view_id: record.slack.viewId, view: resultView(record, now, this.seal) })
          .catch((error) =>
            this.log.debug('could not update the modal (closed?)', errorFields(error)),
          ),
      );
    }
    tasks.push(this.dmResult(record));
    tasks.push(this.audit(auditLine(record)));
    await Promise.all(tasks);
  }

  /** Sends (or updates) the requester's result message. */
  async dmResult(record: OnboardingRecord): Promise<void> {
    const blocks = resultBlocks(record, this.clock(), this.seal);
    const text = resultText(record);
    try {
      if (record.slack.channel && record.slack.ts) {
        await this.client.chat.update({
          channel: record.slack.channel,
          ts: record.slack.ts,
          text,
          blocks,
        });
        return;
      }
      const opened = await this.client.conversations.open({ users: record.requestedBy });
      const channel = opened.channel?.id;
      if (!channel) return;
      const posted = await this.client.chat.postMessage({ channel, text, blocks });
      await this.remember(record.id, { channel, ...(posted.ts ? { ts: posted.ts } : {}) });
    } catch (error) {
      this.warn('could not send the result to the requester', error);
    }
  }

  /** Posts a request's message with Approve and Reject to `channel`; where it lives. */
  async postApprovalRequest(
    record: OnboardingRecord,
    channel: string,
  ): Promise<{ channel: string; ts: string } | undefined> {
    const { text, blocks } = approvalMessage(record, this.seal);
    const ts = await this.post(channel, text, blocks);
    return ts ? { channel, ts } : undefined;
  }

  /** Updates a request's message in place (who decided, when; no buttons once decided). */
  async updateApprovalMessage(record: OnboardingRecord): Promise<void> {
    const where = record.approval;
    if (!where?.channel || !where.ts) return;
    const { text, blocks } = approvalMessage(record, this.seal);
    try {
      await this.client.chat.update({ channel: where.channel, ts: where.ts, text, blocks });
    } catch (error) {
      this.warn('could not update the approval message', error);
    }
  }

  /** A direct message to whoever asked for the onboarding. */
  async tellRequester(record: OnboardingRecord, text: string): Promise<void> {
    try {
      const opened = await this.client.conversations.open({ users: record.requestedBy });
      const channel = opened.channel?.id;
      if (channel) await this.client.chat.postMessage({ channel, text });
    } catch (error) {
      this.warn('could not tell the requester', error);
    }
  }

  /**
   * One line in DIGEST_CHANNEL, when configured. Recorded in the channel's
   * outbox (durable when this resolves) and posted from there: it never waits
   * for Slack's pace, what accumulates goes out together in the next post, in
   * order, and a line not posted before a stop or a crash is posted after the
   * next start (at least once: a crash during its post may post it twice).
   */
  async audit(text: string): Promise<void> {
    if (!this.auditChannel) return;
    const channel = this.auditChannel;
    // Tracked from the start, so that flush() also waits for a line still being recorded.
    const adding = this.outbox.addToOutbox(channel, text).then(
      () => {
        this.queued += 1;
        this.kick(channel);
      },
      (error: unknown) => this.warn('could not record an audit line', error),
    );
    this.adding.add(adding);
    void adding.finally(() => this.adding.delete(adding));
    await adding;
  }

  private readonly adding = new Set<Promise<void>>();

  /** Lines per post: Slack's text limit is far above this, a reader's patience is not. */
  private static readonly BATCH = 20;
  /** After Slack or the store failed: how long until the outbox is tried again. */
  retryMs = 5_000;
  private readonly draining = new Map<string, Promise<void>>();
  /** Channels that got a line while being drained: drained once more after. */
  private readonly again = new Set<string>();
  private queued = 0;
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * Posts what earlier runs (or a replica that stopped) left in the outboxes,
   * then looks again every 30 s, so no line waits for the next audit.
   */
  start(): void {
    const look = () =>
      this.outbox.outboxChannels().then(
        (channels) => {
          for (const channel of channels) this.kick(channel);
        },
        (error: unknown) => this.warn('could not read the outbox', error),
      );
    void look();
    this.sweep = setInterval(look, 30_000);
    this.sweep.unref();
  }

  private kick(channel: string): void {
    if (this.stopped) return;
    if (this.draining.has(channel)) {
      this.again.add(channel);
      return;
    }
    const run = this.drain(channel).finally(() => {
      this.draining.delete(channel);
      if (this.again.delete(channel)) this.kick(channel);
    });
    this.draining.set(channel, run);
  }

  private async drain(channel: string): Promise<void> {
    for (;;) {
      let posted: number | 'busy';
      try {
        posted = await this.outbox.drainOutbox(channel, Notifier.BATCH, (lines) =>
          this.postLines(channel, lines),
        );
      } catch {
        // Not posted (Slack or the store did not answer; post() logged it): the lines stay.
        if (!this.stopped) setTimeout(() => this.kick(channel), this.retryMs).unref();
        return;
      }
      // Another replica is draining the channel: lines added after its drain began (this
      // process's among them) are not in its batch, so look again once its post is done.
      if (posted === 'busy') return this.lookAgain(channel, this.minIntervalMs);
      if (posted === 0) return;
      this.queued = Math.max(0, this.queued - posted);
      // Less than a batch was all there was; a line added since has set `again` (see kick).
      if (posted < Notifier.BATCH) return;
    }
  }

  /** One pending look per channel, however many drains found it busy. */
  private lookAgain(channel: string, afterMs: number): void {
    if (this.stopped || this.waiting.has(channel)) return;
    this.waiting.add(channel);
    setTimeout(
      () => {
        this.waiting.delete(channel);
        this.kick(channel);
      },
      Math.max(afterMs, 100),
    ).unref();
  }

  private readonly waiting = new Set<string>();

  private async postLines(channel: string, lines: readonly OutboxLine[]): Promise<void> {
    try {
      await this.post(channel, lines.map((l) => l.text).join('\n'));
    } catch (error) {
      // Slack refused them for good (not_in_channel, invalid_auth, …; logged with the fix):
      // dropped, or they would block every later line. Anything else is tried again.
      const code = slackErrorCode(error);
      if (code && !TRANSIENT_SLACK_ERRORS.has(code)) return;
      throw error;
    }
  }

  /** Audit lines this process queued and has not seen posted yet, for the queue metrics. */
  get outboxDepth(): number {
    return this.queued;
  }

  /** Waits (up to `timeoutMs`) for the posts under way; resolves with how many lines this process queued that are unposted. */
  async flush(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      (async () => {
        while (this.adding.size > 0 || this.draining.size > 0) {
          await Promise.allSettled([...this.adding, ...this.draining.values()]);
        }
      })(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return this.queued;
  }

  /**
   * At shutdown: no new drains, the posts under way get up to `timeoutMs`, and
   * a post still waiting for its slot after that is given up (its lines stay
   * in the outbox for the next start, or another replica). Resolves with how
   * many lines this process queued that are unposted.
   */
  async stop(timeoutMs: number): Promise<number> {
    this.stopped = true;
    clearInterval(this.sweep);
    const unposted = await this.flush(timeoutMs);
    this.halted = true;
    return unposted;
  }

  private halted = false;

  async post(channel: string, text: string, blocks?: KnownBlock[]): Promise<string | undefined> {
    const release = await this.pace(channel);
    try {
      // A post still waiting for its slot when the stop gave up on it: its lines stay queued.
      if (this.halted) throw new Error('the bot stopped before this post');
      const result = await this.client.chat.postMessage({
        channel,
        text,
        ...(blocks ? { blocks } : {}),
      });
      return result.ts;
    } catch (error) {
      this.warn(`could not post to ${channel}`, error);
      throw error;
    } finally {
      // Even a failed post may have reached Slack: the next one, from any replica, waits after it.
      if (this.sharedPace && this.minIntervalMs > 0)
        await this.sharedPace.answered(channel).catch(() => undefined);
      release();
    }
  }

  /**
   * chat.postMessage allows about one message per second per channel: posts to
   * the same channel go one at a time (in call order), each at least
   * `minIntervalMs` after the previous one was answered, so network jitter can
   * never bring two of them closer than the interval on Slack's side.
   */
  private readonly lanes = new Map<string, Promise<void>>();
  minIntervalMs = 1_000;
  private async pace(channel: string): Promise<() => void> {
    const previous = this.lanes.get(channel) ?? Promise.resolve();
    let release!: () => void;
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    const interval = this.minIntervalMs;
    const lane = answered.then(() => sleep(interval));
    this.lanes.set(channel, lane);
    void lane.then(() => {
      if (this.lanes.get(channel) === lane) this.lanes.delete(channel);
    });
    await previous;
    // Several replicas: the store hands out the channel's slots, one per interval, across processes.
    if (this.sharedPace && interval > 0) {
      // A small margin, so network jitter rarely brings two posts closer than the interval at Slack.
      await sleep(await this.sharedPace.reserve(channel, interval + 50).catch(() => 0));
      // The slot's turn has come; but the post before it (another replica's) may have gone out
      // late: this one also waits an interval after Slack answered that one.
      await sleep(await this.sharedPace.waitAfterAnswer(channel, interval).catch(() => 0));
    }
    return release;
  }

  private warn(what: string, error: unknown): void {
    const code = slackErrorCode(error);
    this.log.warn(what, {
      ...errorFields(error),
      slackError: code,
      fix: code ? SLACK_FIXES[code] : undefined,
    });
  }
}

const sleep = (ms: number) =>
  ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
