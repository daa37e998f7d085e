import type { WebClient } from '@slack/web-api';
import { errorFields, type Logger } from '../../log.ts';
import type { CohortRun, CohortTally } from '../../onboarding/cohort/model.ts';
import type { OnboardingService } from '../../onboarding/service.ts';
import type { Seal } from '../binding.ts';
import { progressBlocks, progressText, summaryBlocks, summaryText } from '../views/cohort.ts';
import { failureLines, resultsCsv } from './files.ts';

type Lane = {
  /** Updates of one run are sent one after the other. */
  chain: Promise<void>;
  last: number;
  timer?: NodeJS.Timeout | undefined;
  pending?: { run: CohortRun; tally: CohortTally } | undefined;
};

/**
 * A cohort's one progress message: posted to the requester when the run
 * starts, updated in place (chat.update) at most once per `minIntervalMs`,
 * and replaced by the summary with the results file at the end. A 429 from
 * Slack is waited out by the Web API client (it honours Retry-After).
 */
export class CohortReporter {
  // A little over a second: Slack counts arrivals, and requests take a few ms to get there.
  minIntervalMs = 1_050;
  private readonly lanes = new Map<string, Lane>();
  private readonly client: WebClient;
  private readonly service: OnboardingService;
  private readonly seal: Seal;
  private readonly log: Logger;

  constructor(options: {
    client: WebClient;
    service: OnboardingService;
    seal: Seal;
    logger: Logger;
  }) {
    this.client = options.client;
    this.service = options.service;
    this.seal = options.seal;
    this.log = options.logger;
  }

  /** The domain's progress listener. */
  readonly progress = (run: CohortRun, tally: CohortTally, final: boolean): void => {
    const lane = this.lane(run.id);
    if (final) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.pending = undefined;
      this.enqueue(lane, () => this.finish(run, tally));
      return;
    }
    lane.pending = { run, tally };
    if (lane.timer) return;
    const wait = Math.max(0, lane.last + this.minIntervalMs - Date.now());
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      const next = lane.pending;
      lane.pending = undefined;
      if (next) this.enqueue(lane, () => this.update(next.run, next.tally));
    }, wait);
  };

  /** Resolves when every update queued so far was sent (or failed and was logged). */
  async flush(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.chain));
  }

  private lane(id: string): Lane {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { chain: Promise.resolve(), last: 0 };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  /** Sends one after the other, each at least `minIntervalMs` after the previous one began. */
  private enqueue(lane: Lane, send: () => Promise<void>): void {
    lane.chain = lane.chain
      .then(async () => {
        const wait = lane.last + this.minIntervalMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lane.last = Date.now();
        await send();
      })
      .catch((error) => this.log.warn('cohort progress not shown', errorFields(error)));
  }

  /** Where the message is: the run's record of it, or a new message (first update, or lost). */
  private async where(run: CohortRun, text: string, blocks: ReturnType<typeof progressBlocks>) {
    const stored = run.progress ?? (await this.service.cohorts.get(run.id))?.progress;
    if (stored) return stored;
    const posted = await this.client.chat.postMessage({ channel: run.requestedBy, text, blocks });
    const progress = { channel: String(posted.channel), ts: String(posted.ts) };
    await this.service.cohorts.rememberProgress(run.id, progress);
    return undefined; // just posted with the current content
  }

  private async update(run: CohortRun, tally: CohortTally): Promise<void> {
    const text = progressText(tally);
    const blocks = progressBlocks(run, tally);
    const at = await this.where(run, text, blocks);
    if (at) await this.client.chat.update({ channel: at.channel, ts: at.ts, text, blocks });
  }

  private async finish(run: CohortRun, tally: CohortTally): Promise<void> {
    const records = await this.service.cohorts.load(run);
    const text = summaryText(tally);
    const blocks = summaryBlocks(run, tally, failureLines(run, records), this.seal);
    const at = await this.where(run, text, blocks);
    if (at) await this.client.chat.update({ channel: at.channel, ts: at.ts, text, blocks });
    const where = at ?? (await this.service.cohorts.get(run.id))?.progress;
    if (!where) return;
    // In the summary's thread: the results file belongs to that message.
    await this.client.filesUploadV2({
      channel_id: where.channel,
      thread_ts: where.ts,
      filename: `cohort-${run.createdAt.slice(0, 10)}-results.csv`,
      title: 'Cohort results',
      content: resultsCsv(run, records),
    });
    this.lanes.delete(run.id);
  }
}
