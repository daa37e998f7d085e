import { errorFields } from '../log.ts';
import type { Core } from './core.ts';
import { classify, describeError } from './errors.ts';
import {
  CHANNELS,
  type Channel,
  type OnboardingRecord,
  STEP_LABEL,
  type StepName,
} from './model.ts';
import {
  audit,
  deliveriesSettled,
  finish,
  isChannel,
  markRunning,
  settleState,
} from './step-drafts.ts';
import { emailStep } from './steps/email.ts';
import { inviteStep } from './steps/invite.ts';
import { sipUserStep } from './steps/sip-user.ts';
import { smsStep } from './steps/sms.ts';
import type { Lookup, StepDef, StepRun } from './steps/step.ts';

export type StepOutcome = 'done' | 'failed' | 'unknown' | 'skipped';

/**
 * One run's hand-over between steps: the steps that follow this one, whose
 * intent goes into its outcome's write, and those already marked that way.
 */
type Chain = {
  next: StepDef<unknown>[];
  marked: Set<StepName>;
  /** The record as this run last wrote it (it holds the lock): the next step need not read it. */
  latest?: OnboardingRecord;
  /** The run's deliveries: whichever settles last writes the record's state with its outcome. */
  settles?: boolean;
};

const CHANNEL_STEPS: Record<Channel, StepDef<unknown>> = {
  sms: smsStep as StepDef<unknown>,
  email: emailStep as StepDef<unknown>,
};

/**
 * The step engine and the provisioning pipeline: SIP user → invite → SMS and
 * e-mail in parallel. Every step runs through `runStep`, so recovery after a
 * crash or a lost answer exists once. Callers hold the record's lock (Core.perform).
 */
export class Pipeline {
  private readonly core: Core;

  constructor(core: Core) {
    this.core = core;
  }

  /**
   * Runs the unfinished steps of a `provisioning` record and settles its state. `current`: the
   * record as the caller just read it under the record's lock (Core.perform), not read again.
   */
  async run(id: string, by = 'system', current?: OnboardingRecord): Promise<OnboardingRecord> {
    const { core } = this;
    const record = current ?? (await core.mustGet(id));
    if (record.state !== 'provisioning') return this.settleInterrupted(record);
    const waits =
      record.startAt !== undefined && Date.parse(record.startAt) > core.clock().getTime();
    // What runs next once a step is done; its intent is written with that step's outcome.
    const next = new Map<StepDef<unknown>, StepDef<unknown>[]>([
      [sipUserStep as StepDef<unknown>, waits ? [] : [inviteStep as StepDef<unknown>]],
      [inviteStep as StepDef<unknown>, CHANNELS.map((c) => CHANNEL_STEPS[c])],
    ]);
    // Steps this run marked running with the previous step's outcome and has not attempted yet.
    // Only this run may skip their look-up: it holds the record's lock and made no call for them.
    const marked = new Set<StepName>();
    let latest: OnboardingRecord | undefined = record;
    for (const def of [sipUserStep, inviteStep] as StepDef<unknown>[]) {
      const chain: Chain = { next: next.get(def) ?? [], marked, latest };
      const outcome = await this.runStep(id, def, by, chain);
      if (outcome === 'failed' || outcome === 'unknown') return this.failRecord(id, def.name);
      // A start date ahead: the login is reserved now; the rest runs then, through this engine.
      if (def === sipUserStep && waits) return this.schedule(id);
      latest = chain.latest;
    }
    // In parallel: each starts from the invite's write, and the last one to settle writes the state.
    const deliveries = CHANNELS.map((c) => {
      const chain: Chain = { next: [], marked, latest, settles: true };
      return { chain, done: this.runStep(id, CHANNEL_STEPS[c], by, chain) };
    });
    await Promise.all(deliveries.map((d) => d.done));
    return this.settle(
      id,
      deliveries.map((d) => d.chain.latest),
    );
  }

  /** Sends one channel's invitation again (Resend): the step starts afresh. */
  async deliver(id: string, channel: Channel, by: string): Promise<StepOutcome> {
    await this.core.update(id, (draft) => {
      draft.steps[channel] = { status: 'todo', attempts: draft.steps[channel].attempts };
    });
    return this.runStep(id, CHANNEL_STEPS[channel], by);
  }

  /**
   * A record that is not provisioning but has a step left `running` by a
   * crash (a Resend cut short): settle that step without repeating it.
   */
  private async settleInterrupted(record: OnboardingRecord): Promise<OnboardingRecord> {
    for (const channel of CHANNELS) {
      if (record.steps[channel].status === 'running') {
        await this.runStep(record.id, CHANNEL_STEPS[channel], 'system');
      }
    }
    return this.core.mustGet(record.id);
  }

  async runStep(
    id: string,
    def: StepDef<unknown>,
    by: string,
    chain: Chain = { next: [], marked: new Set() },
  ): Promise<StepOutcome> {
    const record = chain.latest ?? (await this.core.mustGet(id));
    // From here on only a step's own outcome (adopt) says what the record is.
    delete chain.latest;
    const step = record.steps[def.name];
    if (step.status === 'done' || step.status === 'skipped') return step.status;
    const skip = def.skip?.(record, this.core.providers);
    // Nothing can tell whether it landed, and nothing automatic may repeat it.
    if (!skip && step.status === 'unknown' && !def.find) return 'unknown';
    const started = performance.now();
    const outcome = await this.attempt(record, def, by, skip, chain);
    this.core.observeStep({
      step: def.name,
      outcome,
      seconds: (performance.now() - started) / 1000,
    });
    return outcome;
  }

  /** One attempt at a step that is not settled yet. */
  private async attempt(
    record: OnboardingRecord,
    def: StepDef<unknown>,
    by: string,
    skip: string | undefined,
    chain: Chain,
  ): Promise<StepOutcome> {
    const { core } = this;
    const { id } = record;
    const step = record.steps[def.name];
    if (skip) return this.record(id, def, 'skipped', by, skip, undefined, chain);
    // Marked running with the previous step's outcome, in this run: that mark is this attempt's.
    const premarked = chain.marked.delete(def.name) && step.status === 'running';
    const mayHaveLanded =
      !premarked &&
      (step.status === 'unknown' ||
        (step.status === 'running' &&
          (def.effectStage === undefined || step.stage === def.effectStage)));
    const run = this.stepRun(
      premarked
        ? record
        : await core.update(id, (draft) => markRunning(draft, def, mayHaveLanded, core.nowIso())),
      def.name,
    );
    if (mayHaveLanded) {
      const look = await this.lookup(def, run);
      if (look === 'unknown') {
        const why = 'interrupted before its answer was recorded';
        return this.record(id, def, 'unknown', by, why, undefined, chain);
      }
      if (look !== 'absent') {
        return this.adopt(id, def, look.found, by, 'found after a restart', chain);
      }
    }
    try {
      return await this.adopt(id, def, await def.create(run), by, undefined, chain);
    } catch (error) {
      return this.afterFailure(id, def, run, error, by, chain);
    }
  }

  private async afterFailure(
    id: string,
    def: StepDef<unknown>,
    run: StepRun,
    error: unknown,
    by: string,
    chain: Chain,
  ): Promise<StepOutcome> {
    const outcome = classify(error);
    const reason = describeError(error);
    if (outcome !== 'failed' && def.find) {
      const look = await this.lookup(def, run);
      if (typeof look === 'object') {
        const note =
          outcome === 'conflict' ? 'it existed already' : 'created although the answer was lost';
        return this.adopt(id, def, look.found, by, note, chain);
      }
      if (look === 'absent' && outcome === 'unknown') {
        return this.record(id, def, 'failed', by, `${reason}; nothing was created`, error, chain);
      }
    }
    this.core.log.warn(`${def.label} ${outcome === 'unknown' ? 'not confirmed' : 'failed'}`, {
      onboarding: id,
      ...errorFields(error),
    });
    const ended = outcome === 'unknown' ? 'unknown' : 'failed';
    return this.record(id, def, ended, by, reason, error, chain);
  }

  private async lookup(def: StepDef<unknown>, run: StepRun): Promise<Lookup<unknown>> {
    if (!def.find) return 'unknown';
    try {
      // The record may have changed since the run started (a code saved mid-step).
      return await def.find({ ...run, record: await this.core.mustGet(run.record.id) });
    } catch (error) {
      this.core.log.warn(`could not look up the ${def.label}`, errorFields(error));
      return 'unknown';
    }
  }

  private stepRun(record: OnboardingRecord, name: StepName): StepRun {
    const { core } = this;
    return {
      record,
      providers: core.providers,
      now: core.clock,
      save: (change) => core.update(record.id, change),
      checkpoint: async (stage, change) => {
        await core.update(record.id, (draft) => {
          change?.(draft);
          draft.steps[name].stage = stage;
        });
      },
    };
  }

  private async adopt(
    id: string,
    def: StepDef<unknown>,
    value: unknown,
    by: string,
    note?: string,
    chain?: Chain,
  ): Promise<StepOutcome> {
    let detail = '';
    const marked: StepName[] = [];
    const written = await this.core.update(id, (draft) => {
      detail = def.adopt(draft, value);
      finish(draft, def.name, 'done', by, this.core.nowIso());
      const action = isChannel(def.name) ? `${def.name}_sent` : `${def.name}_created`;
      audit(draft, by, action, this.core.nowIso(), note ? `${detail} (${note})` : detail);
      // The next steps' intent in the same write, for those whose mark is harmless if a crash
      // comes before their call: one that can be looked up, or one with an effect stage (an SMS
      // marked running and then cut short would count as "not confirmed", so it marks itself).
      for (const step of chain?.next ?? []) {
        const s = draft.steps[step.name];
        if (s.status !== 'todo' || step.skip?.(draft, this.core.providers)) continue;
        if (!step.find && !step.effectStage) continue;
        markRunning(draft, step, false, this.core.nowIso());
        marked.push(step.name);
      }
      this.settleIfLast(draft, chain);
    });
    for (const name of marked) chain?.marked.add(name);
    if (chain) chain.latest = written;
    return 'done';
  }

  /** Records a step's end that is not a success, and the delivery for channel steps. */
  private async record(
    id: string,
    def: StepDef<unknown>,
    outcome: 'failed' | 'unknown' | 'skipped',
    by: string,
    reason: string,
    error?: unknown,
    chain?: Chain,
  ): Promise<StepOutcome> {
    const fields = (error as { fields?: Record<string, string> } | undefined)?.fields;
    const written = await this.core.update(id, (draft) => {
      finish(draft, def.name, outcome, by, this.core.nowIso(), reason);
      if (fields && Object.keys(fields).length > 0) draft.steps[def.name].fields = fields;
      if (outcome !== 'skipped') {
        const verb = outcome === 'unknown' ? 'not_confirmed' : 'failed';
        audit(draft, by, `${def.name}_${verb}`, this.core.nowIso(), reason);
      }
      this.settleIfLast(draft, chain);
    });
    if (chain) chain.latest = written;
    return outcome;
  }

  private async failRecord(id: string, step: StepName): Promise<OnboardingRecord> {
    const record = await this.core.update(id, (draft) => {
      draft.state = 'failed';
      draft.failedStep = step;
      audit(
        draft,
        'system',
        'failed',
        this.core.nowIso(),
        `${STEP_LABEL[step]}: ${draft.steps[step].reason ?? ''}`,
      );
    });
    return this.core.changed(record);
  }

  /** Waits for the start date: `scheduled` until the timed job (or Send now) continues the run. */
  private async schedule(id: string): Promise<OnboardingRecord> {
    const record = await this.core.update(id, (draft) => {
      draft.state = 'scheduled';
      audit(
        draft,
        'system',
        'scheduled',
        this.core.nowIso(),
        `the invite goes out ${draft.startAt}`,
      );
    });
    return this.core.changed(record);
  }

  /**
   * The state after the deliveries, unless the last delivery's write already set it: failed
   * only when every delivery tried failed for certain; a delivery that may have gone out keeps
   * it pending.
   */
  private async settle(
    id: string,
    written: (OnboardingRecord | undefined)[],
  ): Promise<OnboardingRecord> {
    // The write that settled the state is the run's last one: no need to read the record again.
    let record =
      written.find((r) => r !== undefined && r.state !== 'provisioning') ??
      (await this.core.mustGet(id));
    if (record.state === 'provisioning') {
      record = await this.core.update(id, (draft) => settleState(draft, this.core.nowIso()));
    }
    this.core.log.info('onboarding provisioned', {
      onboarding: id,
      state: record.state,
      sent: CHANNELS.filter((c) => record.deliveries[c].status === 'sent'),
    });
    return this.core.changed(record);
  }

  /** With the run's last delivery settled, the record's state goes into the same write. */
  private settleIfLast(draft: OnboardingRecord, chain: Chain | undefined): void {
    if (chain?.settles && deliveriesSettled(draft)) settleState(draft, this.core.nowIso());
  }
}
