import type { KnownBlock } from '@slack/types';
import type { ScheduledTask } from 'node-cron';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import type { Clock } from '../onboarding/clock.ts';
import { selectDigest } from '../onboarding/digest.ts';
import type { OnboardingRecord } from '../onboarding/model.ts';
import type { OnboardingService } from '../onboarding/service.ts';
import type { Seal } from '../slack/binding.ts';
import { digestBlocks, digestText } from '../slack/views/lists.ts';
import { describeSchedule } from '../slack/views/schedule.ts';
import { lastSlotAtOrBefore, localSlotKey, scheduleJob } from './schedule.ts';

export type DigestResult = {
  posted: boolean;
  channel?: string | undefined;
  text: string;
  blocks: KnownBlock[];
};

export type JobsOptions = {
  config: Config;
  service: OnboardingService;
  clock: Clock;
  logger: Logger;
  /** Seals the digest's buttons to the records they act on. */
  seal: Seal;
  /** Tells the requester (and the audit channel) how an onboarding the jobs ran ended. */
  report: (record: OnboardingRecord) => Promise<void>;
  /** Posts a message to a channel (paced and logged by the notifier). */
  post: (channel: string, text: string, blocks: KnownBlock[]) => Promise<string | undefined>;
  /** Told how each run ended (metrics): skipped = nothing to do (a digest slot already posted). */
  onRun?: ((job: string, result: 'success' | 'failure' | 'skipped') => void) | undefined;
  /** Tells requesters that their requests expired undecided (and updates the requests' messages). */
  requestsExpired?: (records: OnboardingRecord[]) => Promise<void>;
};

const SWEEP_CRON = '*/15 * * * *';
const RECONCILE_CRON = '7 * * * *';
/** Reminders (and other work due at a moment) are looked for every minute. */
const TIMED_CRON = '* * * * *';

/**
 * The node-cron jobs: digest, expiry sweep, reconciliation and reminders. node-cron never
 * replays a missed run, so the digest's last slot is stored and a slot missed
 * while the bot was down is posted once at start.
 */
export class Jobs {
  private readonly o: JobsOptions;
  private tasks: ScheduledTask[] = [];
  private digestRunning: Promise<DigestResult> | undefined;

  constructor(options: JobsOptions) {
    this.o = options;
  }

  /** Sweep + reconcile + select + post. `slot` is the cron slot this run covers (absent on demand). */
  async digest(options: { slot?: Date; requestedBy?: string } = {}): Promise<DigestResult> {
    // One digest at a time: a scheduled run and `/onboard digest` never post twice concurrently.
    while (this.digestRunning) await this.digestRunning.catch(() => undefined);
    const run = this.track('digest', this.runDigest(options), (r) =>
      r.posted ? 'success' : 'skipped',
    );
    this.digestRunning = run;
    try {
      return await run;
    } finally {
      this.digestRunning = undefined;
    }
  }

  private async runDigest(options: { slot?: Date; requestedBy?: string }): Promise<DigestResult> {
    const { config, service, clock, logger } = this.o;
    const tz = config.digest.timezone;
    const slotKey = options.slot ? localSlotKey(options.slot, tz) : undefined;
    const previous = await service.jobRun('digest');
    // The slot is claimed in the store first: with several replicas, one of them posts it.
    const claimed =
      slotKey === undefined ||
      (previous.lastSlot !== slotKey && (await service.claimJobSlot('digest', slotKey)));
    if (!claimed) {
      logger.info('digest slot already posted; skipped', { slot: slotKey });
      return { posted: false, text: 'already posted for this slot', blocks: [] };
    }
    const now = clock();
    await service.sweepExpired();
    await this.expireRequests();
    const report = await service.reconcile().catch((error) => {
      logger.warn('reconciliation failed before the digest', errorFields(error));
      return undefined;
    });
    const digest = selectDigest(await service.listOpen(), now, {
      warningDays: config.expiryWarningDays,
      since: previous.lastRunAt ? new Date(previous.lastRunAt) : undefined,
      upstreamDrift: await service.drift(),
      counts: await service.counts(),
    });
    const blocks = digestBlocks(
      digest,
      `posted ${describeSchedule(config.digest.cron, tz)} · times in your time zone`,
      this.o.seal,
    );
    if (report && report.errors.length > 0) {
      blocks.splice(2, 0, {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `:warning: Upstream could not be checked: ${report.errors.join('; ').slice(0, 2500)}`,
          },
        ],
      });
    }
    const text = digestText(digest);
    const channel = config.digest.channel;
    if (!channel) {
      return {
        posted: false,
        text: `${text} (DIGEST_CHANNEL is not set, so it is shown only to you.)`,
        blocks,
      };
    }
    await this.o.post(channel, text, blocks);
    await service.setJobRun('digest', {
      lastRunAt: now.toISOString(),
      ...(slotKey
        ? { lastSlot: slotKey }
        : previous.lastSlot
          ? { lastSlot: previous.lastSlot }
          : {}),
    });
    logger.info('digest posted', { channel, slot: slotKey, by: options.requestedBy ?? 'schedule' });
    return { posted: true, channel, text, blocks };
  }

  /** Requests undecided for APPROVAL_TTL_DAYS expire; their requesters are told. */
  async expireRequests(): Promise<OnboardingRecord[]> {
    const expired = await this.o.service.expireRequests();
    if (expired.length > 0) {
      this.o.logger.info('onboarding requests expired undecided', { count: expired.length });
      await this.o.requestsExpired?.(expired);
    }
    return expired;
  }

  sweep(): Promise<number> {
    return this.track('expiry-sweep', this.runSweep());
  }

  private async runSweep(): Promise<number> {
    const count = await this.o.service.sweepExpired();
    if (count > 0) this.o.logger.info('invites expired', { count });
    await this.expireRequests();
    const archived = await this.o.service.archive(this.o.config.archiveAfterDays);
    if (archived > 0) this.o.logger.info('closed onboardings archived', { count: archived });
    return count;
  }

  reconcile() {
    // Upstream that could not be asked: the run did not do its work.
    return this.track('reconcile', this.o.service.reconcile(), (r) =>
      r.errors.length > 0 ? 'failure' : 'success',
    );
  }

  /** Reports how a run ended to `onRun`. */
  private async track<T>(
    job: string,
    run: Promise<T>,
    result: (value: T) => 'success' | 'failure' | 'skipped' = () => 'success',
  ): Promise<T> {
    try {
      const value = await run;
      this.o.onRun?.(job, result(value));
      return value;
    } catch (error) {
      this.o.onRun?.(job, 'failure');
      throw error;
    }
  }

  /**
   * Work due at a moment: scheduled onboardings whose start time came (or
   * passed while the bot was down), then the reminders. With a slot (the cron
   * run), the slot is claimed first so one replica runs it; the records' leases
   * and what they record keep each send at most once either way.
   */
  async timed(slot?: Date): Promise<{ sent: number; reminders: number }> {
    const { config, service, logger } = this.o;
    if (slot && !(await service.claimJobSlot('timed', localSlotKey(slot, config.digest.timezone))))
      return { sent: 0, reminders: 0 };
    const sent = await service.sendScheduled();
    if (sent.length > 0) logger.info('scheduled onboardings sent', { count: sent.length });
    await Promise.all(sent.map((record) => this.o.report(record)));
    const reminders = await service.sendReminders(config.reminderHoursBeforeExpiry);
    if (reminders > 0) logger.info('reminders sent', { count: reminders });
    return { sent: sent.length, reminders };
  }

  /**
   * The slot to catch up at start: the latest digest slot, when it passed after
   * the last posted one. On the very first start the current slot is only
   * remembered (nothing was missed).
   */
  async catchUp(): Promise<DigestResult | undefined> {
    const { config, service, clock, logger } = this.o;
    if (!config.digest.channel) return undefined;
    const now = clock();
    const slot = lastSlotAtOrBefore(config.digest.cron, config.digest.timezone, now);
    if (!slot) return undefined;
    const key = localSlotKey(slot, config.digest.timezone);
    const previous = await service.jobRun('digest');
    if (!previous.lastSlot && !previous.lastRunAt) {
      await service.setJobRun('digest', { lastSlot: key });
      return undefined;
    }
    if (previous.lastSlot === key) return undefined;
    if (previous.lastRunAt && Date.parse(previous.lastRunAt) >= slot.getTime()) return undefined;
    logger.info('posting the digest missed while the bot was down', { slot: key });
    return this.digest({ slot });
  }

  start(): void {
    const { config, logger } = this.o;
    const onError = (name: string) => (error: unknown) =>
      logger.error(`job ${name} failed`, errorFields(error));
    this.tasks = [
      scheduleJob(
        {
          name: 'digest',
          expression: config.digest.cron,
          timeZone: config.digest.timezone,
          run: (date) => this.digest({ slot: date }),
        },
        onError('digest'),
      ),
      scheduleJob(
        {
          name: 'expiry-sweep',
          expression: SWEEP_CRON,
          timeZone: config.digest.timezone,
          run: () => this.sweep(),
        },
        onError('expiry-sweep'),
      ),
      scheduleJob(
        {
          name: 'reconcile',
          expression: RECONCILE_CRON,
          timeZone: config.digest.timezone,
          run: () => this.reconcile(),
        },
        onError('reconcile'),
      ),
      scheduleJob(
        {
          name: 'timed',
          expression: TIMED_CRON,
          timeZone: config.digest.timezone,
          run: (date) => this.timed(date),
        },
        onError('timed'),
      ),
    ];
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.destroy()));
    this.tasks = [];
    await this.digestRunning?.catch(() => undefined);
  }
}
