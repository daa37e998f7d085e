import type { Logger } from '../log.ts';
import { type Amendment, amend } from './actions/amend.ts';
import { approve } from './actions/approve.ts';
import { extend } from './actions/extend.ts';
import { offboard, retryOffboard } from './actions/offboard.ts';
import type { ActionOutcome } from './actions/outcome.ts';
import { reactivate } from './actions/reactivate.ts';
import { reject } from './actions/reject.ts';
import { resend } from './actions/resend.ts';
import { retry } from './actions/retry.ts';
import { type RevokeMode, revoke } from './actions/revoke.ts';
import { Admission } from './admission.ts';
import type { Clock } from './clock.ts';
import { type CohortListener, Cohorts } from './cohort/runner.ts';
import { Core } from './core.ts';
import { expireRequests, reconcile, sweepExpired } from './lifecycle.ts';
import type {
  Channel,
  JobRun,
  OffboardMode,
  OnboardingRecord,
  OnboardingState,
  Person,
} from './model.ts';
import { Pipeline } from './pipeline.ts';
import type { DomainObserver, Providers, RecordStore } from './ports.ts';
import { newRecord, type OnboardingRequest } from './record.ts';
import { sendReminders } from './reminders.ts';
import { cancel, sendDue, sendNow } from './scheduled.ts';
import { clashes, type Except, loginClash } from './uniqueness.ts';

export { ActionRefused, describeError } from './errors.ts';
export type { ActionOutcome, Amendment, OffboardMode, OnboardingRequest, RevokeMode };

export type ServiceOptions = {
  store: RecordStore;
  providers: Providers;
  clock: Clock;
  logger: Logger;
  onChange?: (record: OnboardingRecord) => void;
  /** Onboardings whose pipeline runs at once; the rest wait in order (default 8). */
  concurrency?: number;
  leaseMs?: number;
  /** Rows of one cohort in flight at once, within `concurrency` (default 4). */
  cohortConcurrency?: number;
  onCohortProgress?: CohortListener;
  /** Told about step outcomes (the bot's metrics). */
  observer?: DomainObserver;
};

/**
 * The domain's front door: what Slack listeners and jobs call. It knows
 * nothing of Slack or of how records are stored. Reads go straight to the
 * store; every change goes through Core.perform (lock, shutdown, tracking).
 */
export class OnboardingService {
  private readonly core: Core;
  private readonly pipeline: Pipeline;
  private readonly admission: Admission;
  /** Bulk onboarding from a CSV upload. */
  readonly cohorts: Cohorts;

  constructor(options: ServiceOptions) {
    this.core = new Core(options);
    this.pipeline = new Pipeline(this.core);
    this.admission = new Admission(options.concurrency ?? 8);
    this.cohorts = new Cohorts(
      this.core,
      {
        run: (id) => this.run(id, 'background'),
        retry: (id, by) => this.retry(id, by),
      },
      options.cohortConcurrency ?? 4,
      options.onCohortProgress,
    );
  }

  /** The invitation channels that are configured. */
  enabledChannels(): Channel[] {
    const { providers } = this.core;
    return [
      ...(providers.usermgmt ? (['sms'] as const) : []),
      ...(providers.slyk ? (['email'] as const) : []),
    ];
  }

  /**
   * Records a new onboarding durably (or returns the one with the same
   * submission key). No upstream call happens here: the caller acks, then runs.
   */
  async submit(
    request: OnboardingRequest,
  ): Promise<{ record: OnboardingRecord; created: boolean }> {
    this.core.assertAccepting();
    return this.core.store.insert(newRecord(request, this.core.clock()));
  }

  /**
   * Records a request that waits for an admin's approval (state `requested`,
   * undecided until `expiresAt`). Nothing upstream happens until approve().
   */
  async request(
    request: OnboardingRequest,
    expiresAt: Date,
  ): Promise<{ record: OnboardingRecord; created: boolean }> {
    this.core.assertAccepting();
    return this.core.store.insert(
      newRecord({ ...request, approvalExpiresAt: expiresAt }, this.core.clock()),
    );
  }

  /** Approves a request (never the requester's own): it is provisioning now; call run() next. */
  approve(id: string, by: string): Promise<OnboardingRecord> {
    return approve(this.core, id, by);
  }

  /** Rejects a request; nothing is created upstream. */
  reject(id: string, by: string, reason?: string): Promise<OnboardingRecord> {
    return reject(this.core, id, by, reason);
  }

  /** Where a request's approval message lives, to update it in place later. */
  rememberApprovalMessage(id: string, where: { channel: string; ts: string }) {
    return this.core.note(id, (draft) => {
      if (draft.approval) draft.approval = { ...draft.approval, ...where };
    });
  }

  /**
   * Runs the pipeline from the first unfinished step, once a slot is free
   * (admission control). Safe to call twice: runs of one record are serialised.
   */
  run(id: string, lane: 'foreground' | 'background' = 'foreground'): Promise<OnboardingRecord> {
    this.core.assertAccepting();
    return this.admission.run(
      () => this.core.perform(id, (record) => this.pipeline.run(id, 'system', record)),
      lane,
    );
  }

  /** Onboardings running and waiting for a slot (reported by /health and the logs). */
  get queue() {
    return this.admission.depth;
  }

  /**
   * Resumes every record a crash or a restart left unfinished — here, or on a
   * replica whose lease on it has lapsed (failover). Records another live
   * process is working on are left to it.
   */
  async resumeUnfinished(): Promise<OnboardingRecord[]> {
    const candidates = (await this.core.store.listOpen()).filter(
      (r) =>
        (r.state === 'provisioning' ||
          Object.values(r.steps).some((s) => s.status === 'running')) &&
        !this.core.leasedElsewhere(r),
    );
    // A running cohort's rows are resumed by the cohort, at its own pace (cohorts.resume()).
    const running = new Set((await this.core.store.runningCohorts()).map((run) => run.id));
    const unfinished = candidates.filter((r) => !r.cohort || !running.has(r.cohort.id));
    if (unfinished.length === 0) return [];
    this.core.log.info('resuming unfinished onboardings', { count: unfinished.length });
    const runs = await Promise.allSettled(unfinished.map((r) => this.run(r.id)));
    return runs.flatMap((run) => (run.status === 'fulfilled' ? [run.value] : []));
  }

  retry(id: string, by: string): Promise<OnboardingRecord> {
    return retry(this.core, this.pipeline, id, by);
  }

  /** Corrects a failed onboarding (durable when it resolves); call run() next. */
  amend(id: string, by: string, input: Amendment): Promise<OnboardingRecord> {
    return amend(this.core, id, by, input);
  }

  extend(id: string, by: string, until: Date): Promise<ActionOutcome> {
    return extend(this.core, this.pipeline, id, by, until);
  }

  resend(id: string, by: string, channels?: readonly Channel[]): Promise<ActionOutcome> {
    return resend(this.core, this.pipeline, id, by, channels);
  }

  revoke(id: string, by: string, mode: RevokeMode): Promise<ActionOutcome> {
    return revoke(this.core, id, by, mode);
  }

  /** Offboards an accepted member (deactivate or remove the SIP user; close their invites). */
  offboard(id: string, by: string, mode: OffboardMode): Promise<ActionOutcome> {
    return offboard(this.core, id, by, mode);
  }

  retryOffboard(id: string, by: string): Promise<ActionOutcome> {
    return retryOffboard(this.core, id, by);
  }

  /** Makes a deactivated member's SIP user active again; the record is accepted again. */
  reactivate(id: string, by: string): Promise<ActionOutcome> {
    return reactivate(this.core, id, by);
  }

  /** A live record, or an archived one brought back to the live set (to offboard it). */
  async getOrRestore(id: string): Promise<OnboardingRecord | undefined> {
    return (await this.core.store.get(id)) ?? this.core.store.restoreArchived(id);
  }

  /** Whether SIP users can be deactivated (the SIP domain is configured). */
  get canDeactivate(): boolean {
    return this.core.providers.opentact.canModifyDomainUsers;
  }

  /** Scheduled onboarding → invited now (Send now). */
  sendNow(id: string, by: string): Promise<ActionOutcome> {
    return sendNow(this.core, this.pipeline, id, by);
  }

  /** Scheduled onboarding → cancelled: its SIP user removed, nothing sent. */
  cancel(id: string, by: string): Promise<ActionOutcome> {
    return cancel(this.core, id, by);
  }

  /** Sends the scheduled onboardings whose start time has passed; returns them as they ended. */
  sendScheduled(): Promise<OnboardingRecord[]> {
    return sendDue(this.core, this.pipeline);
  }

  sweepExpired(): Promise<number> {
    return sweepExpired(this.core);
  }

  /** Requests undecided past their approval expiry become request_expired; returns them. */
  expireRequests(): Promise<OnboardingRecord[]> {
    return expireRequests(this.core);
  }

  reconcile() {
    return reconcile(this.core);
  }

  /** Sends the reminders that are due (`hours` before expiry); returns how many went out. */
  sendReminders(hours: number): Promise<number> {
    return sendReminders(this.core, hours);
  }

  /** Where the requester's result lives in Slack, to update it later (kept through shutdown). */
  rememberSlack(id: string, slack: OnboardingRecord['slack']): Promise<OnboardingRecord> {
    return this.core.note(id, (draft) => {
      draft.slack = { ...draft.slack, ...slack };
    });
  }

  // ——— reads ———

  get(id: string) {
    return this.core.store.get(id);
  }

  /** The newest onboarding (live or archived) for an e-mail or SIP login. */
  lookup(query: string) {
    return this.core.store.findByEmailOrLogin(query);
  }

  /**
   * An onboarding already using this login (other than `except`): an open one,
   * or an accepted one whose SIP user still exists.
   */
  loginInUse(login: string, except: Except = {}) {
    return loginClash(this.core.store, login, except);
  }

  /** Login and e-mail problems of a person against the other onboardings (requests, approvals). */
  clashes(person: Person, except: Except = {}) {
    return clashes(this.core.store, person, except);
  }

  listOpen() {
    return this.core.store.listOpen();
  }

  recent(limit: number) {
    return this.core.store.recent(limit);
  }

  counts(): Promise<Record<OnboardingState, number>> {
    return this.core.store.countByState();
  }

  drift() {
    return this.core.store.drift();
  }

  /** When a scheduled job last ran (the jobs persist their slots through the domain). */
  jobRun(name: string) {
    return this.core.store.jobRun(name);
  }

  setJobRun(name: string, run: JobRun) {
    return this.core.store.setJobRun(name, run);
  }

  /** How long to wait before posting to `channel` so all replicas together keep the pace. */
  reservePostSlot(channel: string, intervalMs: number) {
    return this.core.store.reservePostSlot(channel, intervalMs);
  }

  /** How long to wait so a post lands an interval after the channel's last answered one. */
  waitAfterAnswer(channel: string, intervalMs: number) {
    return this.core.store.waitAfterAnswer(channel, intervalMs);
  }

  /** Slack answered a post to `channel` (any replica's next post waits an interval after it). */
  postAnswered(channel: string) {
    return this.core.store.postAnswered(channel);
  }

  /** True for the first process to claim this slot of a job (each digest slot is posted once). */
  claimJobSlot(job: string, slot: string) {
    return this.core.store.claimJobSlot(job, slot);
  }

  /** Whether other processes share the store (then unfinished work is picked up periodically). */
  get shared(): boolean {
    return this.core.store.shared;
  }

  /** Moves closed records older than `days` to the archive. */
  archive(days: number): Promise<number> {
    return this.core.store.archiveClosed(new Date(this.core.clock().getTime() - days * 86_400_000));
  }

  get isAccepting(): boolean {
    return this.core.isAccepting;
  }

  /** Stops taking new work and waits (up to `timeoutMs`) for work in flight; then flushes. */
  async drain(timeoutMs: number): Promise<boolean> {
    const finished = await this.core.drain(timeoutMs);
    await this.core.store.flush();
    return finished;
  }
}
