import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { API_TITLES, UpstreamError } from '../providers/http.ts';
import type { OpentactClient } from '../providers/opentact.ts';
import type { SlykClient } from '../providers/slyk.ts';
import type { UserMgmtClient } from '../providers/usermgmt.ts';
import type { Store } from '../store/store.ts';
import { addDays, type Clock } from './clock.ts';
import {
  CHANNEL_LABEL,
  type Channel,
  type Delivery,
  newSteps,
  type OnboardingRecord,
  type Person,
  STEP_LABEL,
  type StepName,
} from './model.ts';

export type Providers = {
  opentact: OpentactClient;
  /** Absent when the SMS channel is not configured. */
  usermgmt?: UserMgmtClient | undefined;
  /** Absent when the e-mail channel is not configured. */
  slyk?: SlykClient | undefined;
};

export type OnboardingRequest = {
  /** Idempotency key: the same key never creates a second record. */
  submissionKey: string;
  requestedBy: string;
  person: Person;
  lifetimeDays: number;
  channels: Channel[];
  note?: string | undefined;
};

export type ServiceOptions = {
  store: Store;
  providers: Providers;
  clock: Clock;
  logger: Logger;
  /** Called after every pipeline run or action that changed a record. */
  onChange?: (record: OnboardingRecord) => void;
};

export type RevokeMode = 'keep' | 'deactivate' | 'remove';

export type ActionOutcome = {
  record: OnboardingRecord;
  /** What happened, in a sentence for the person who clicked. */
  summary: string;
  /** True when nothing had to be done (already revoked, …). */
  noop?: boolean;
};

/** Thrown for actions that cannot apply to a record in its current state. */
export class ActionRefused extends Error {
  override name = 'ActionRefused';
}

/**
 * The provisioning pipeline and the invite lifecycle. Knows nothing of Slack.
 *
 * Every step is recorded as `running` before its upstream call and as done or
 * failed after it, so a crash leaves a record that says exactly where it
 * stopped. A step found `running` at resume time may have landed upstream; for
 * the SIP user, the invite and the Slyk invite the service looks them up before
 * creating them again.
 */
export class OnboardingService {
  private readonly store: Store;
  private readonly providers: Providers;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly onChange: ((record: OnboardingRecord) => void) | undefined;
  /** Per-record serialisation of pipeline runs and actions. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private accepting = true;

  constructor(options: ServiceOptions) {
    this.store = options.store;
    this.providers = options.providers;
    this.clock = options.clock;
    this.log = options.logger;
    this.onChange = options.onChange;
  }

  /** The invitation channels that are configured. */
  enabledChannels(): Channel[] {
    const channels: Channel[] = [];
    if (this.providers.usermgmt) channels.push('sms');
    if (this.providers.slyk) channels.push('email');
    return channels;
  }

  /**
   * Records a new onboarding (or returns the existing one for the same
   * submission key). No upstream call happens here.
   */
  async create(
    request: OnboardingRequest,
  ): Promise<{ record: OnboardingRecord; created: boolean }> {
    this.assertAccepting();
    const existing = this.store.findBySubmission(request.submissionKey);
    if (existing) return { record: existing, created: false };
    const now = this.clock().toISOString();
    const record: OnboardingRecord = {
      id: randomUUID(),
      submissionKey: request.submissionKey,
      createdAt: now,
      updatedAt: now,
      requestedBy: request.requestedBy,
      person: request.person,
      ...(request.note ? { note: request.note } : {}),
      lifetimeDays: request.lifetimeDays,
      channels: request.channels,
      state: 'provisioning',
      steps: newSteps(),
      deliveries: {
        sms: { status: 'pending', attempts: [] },
        email: { status: 'pending', attempts: [] },
      },
      slack: {},
      audit: [
        {
          at: now,
          by: request.requestedBy,
          action: 'requested',
          detail: `channels: ${request.channels.map((c) => CHANNEL_LABEL[c]).join(', ') || 'none'}`,
        },
      ],
    };
    // A second delivery of the same submission may arrive while the first is being written.
    const again = this.store.findBySubmission(request.submissionKey);
    if (again) return { record: again, created: false };
    return { record: await this.store.insert(record), created: true };
  }

  /** Runs the pipeline from the first unfinished step. Safe to call twice: runs are serialised. */
  run(id: string): Promise<OnboardingRecord> {
    return this.track(this.withLock(id, () => this.runPipeline(id)));
  }

  /** Resumes every record whose pipeline did not finish (after a crash or restart). */
  async resumeUnfinished(): Promise<OnboardingRecord[]> {
    const unfinished = this.store.all().filter((r) => r.state === 'provisioning');
    if (unfinished.length > 0) {
      this.log.info('resuming unfinished onboardings', { count: unfinished.length });
    }
    return Promise.all(unfinished.map((r) => this.run(r.id)));
  }

  /** Retries a failed onboarding from the step that failed. */
  retry(id: string, by: string): Promise<OnboardingRecord> {
    return this.track(
      this.withLock(id, async () => {
        const record = this.mustGet(id);
        if (record.state !== 'failed') {
          throw new ActionRefused(`Nothing to retry: this onboarding is ${record.state}.`);
        }
        await this.store.update(
          id,
          (draft) => {
            draft.state = 'provisioning';
            for (const name of ['sip_user', 'invite', 'sms', 'email'] as const) {
              if (draft.steps[name].status === 'failed') draft.steps[name].status = 'todo';
            }
            delete draft.failedStep;
            draft.audit.push({ at: this.nowIso(), by, action: 'retried' });
          },
          this.clock(),
        );
        return this.runPipeline(id);
      }),
    );
  }

  /**
   * Corrects a failed onboarding whose SIP user could not be created (e.g. the
   * login was taken) with new details, and runs it again.
   */
  amend(
    id: string,
    by: string,
    input: Omit<OnboardingRequest, 'submissionKey' | 'requestedBy'>,
  ): Promise<OnboardingRecord> {
    this.assertAccepting();
    return this.withLock(id, async () => {
      const record = this.mustGet(id);
      if (record.state !== 'failed' || record.sipUser) {
        throw new ActionRefused(
          'Only an onboarding whose SIP user could not be created can be corrected.',
        );
      }
      return this.store.update(
        id,
        (draft) => {
          draft.person = input.person;
          draft.lifetimeDays = input.lifetimeDays;
          draft.channels = input.channels;
          if (input.note) draft.note = input.note;
          draft.state = 'provisioning';
          draft.steps = newSteps();
          delete draft.failedStep;
          draft.audit.push({
            at: this.nowIso(),
            by,
            action: 'corrected',
            detail: `login ${input.person.login}`,
          });
        },
        this.clock(),
      );
    });
  }

  /** Stops taking new work and waits (up to `timeoutMs`) for in-flight steps; then flushes. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    const all = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      all.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.store.flush();
    return finished;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  // ——— the pipeline ———

  private async runPipeline(id: string): Promise<OnboardingRecord> {
    let record = this.mustGet(id);
    if (record.state !== 'provisioning') return record;
    const log = this.log.child({ onboarding: id });

    if (record.steps.sip_user.status !== 'done') {
      record = await this.createSipUser(record, log);
      if (record.state === 'failed') return this.changed(record);
    }
    if (record.steps.invite.status !== 'done') {
      record = await this.createInvite(record, log);
      if (record.state === 'failed') return this.changed(record);
    }
    await Promise.all([
      this.deliver(id, 'sms', 'system', log),
      this.deliver(id, 'email', 'system', log),
    ]);

    record = this.mustGet(id);
    const attempted = (['sms', 'email'] as const).filter(
      (c) => record.deliveries[c].status !== 'skipped',
    );
    const sent = attempted.filter((c) => record.deliveries[c].status === 'sent');
    const firstFailed = attempted.find((c) => record.deliveries[c].status === 'failed');
    record = await this.store.update(
      id,
      (draft) => {
        if (attempted.length > 0 && sent.length === 0 && firstFailed) {
          // The invite exists but nobody was told about it: that is a failure the requester must see.
          draft.state = 'failed';
          draft.failedStep = firstFailed;
          draft.audit.push({
            at: this.nowIso(),
            by: 'system',
            action: 'failed',
            detail: 'no invitation could be delivered',
          });
        } else {
          draft.state = 'pending';
          draft.audit.push({
            at: this.nowIso(),
            by: 'system',
            action: 'invited',
            detail:
              sent.length > 0
                ? `sent by ${sent.map((c) => CHANNEL_LABEL[c]).join(' and ')}`
                : 'no channel used',
          });
        }
      },
      this.clock(),
    );
    log.info('onboarding provisioned', { state: record.state, sent });
    return this.changed(record);
  }

  private async createSipUser(record: OnboardingRecord, log: Logger): Promise<OnboardingRecord> {
    const { opentact } = this.providers;
    const { person } = record;
    const wasRunning = record.steps.sip_user.status === 'running';
    record = await this.markRunning(record.id, 'sip_user');
    if (wasRunning) {
      // The last attempt may have landed before the process stopped.
      const found = await this.lookupSipUser(record).catch(() => undefined);
      if (found) return this.adoptSipUser(record, found.uuid, 'found after restart');
    }
    // No password is passed: the client generates the UUID-shaped one the document asks for,
    // sends it once and keeps it nowhere (the invite is how the person gets in).
    try {
      const user = await opentact.createSipUser({
        login: person.login,
        first_name: person.firstName,
        last_name: person.lastName,
        email: person.email,
        phone_number: person.phone,
      });
      return this.adoptSipUser(record, user.uuid);
    } catch (error) {
      if (error instanceof UpstreamError && error.outcomeUnknown) {
        const found = await this.lookupSipUser(record).catch(() => undefined);
        if (found)
          return this.adoptSipUser(record, found.uuid, 'created although the answer was lost');
      }
      log.warn('SIP user creation failed', errorFields(error));
      return this.failStep(record.id, 'sip_user', error);
    }
  }

  private async lookupSipUser(record: OnboardingRecord) {
    const users = await this.providers.opentact.listSipUsers();
    return users.find(
      (u) =>
        u.login === record.person.login &&
        (!u.email || u.email.toLowerCase() === record.person.email.toLowerCase()),
    );
  }

  private adoptSipUser(record: OnboardingRecord, uuid: string, note?: string) {
    return this.store.update(
      record.id,
      (draft) => {
        draft.sipUser = { uuid, login: record.person.login, active: true, removed: false };
        this.finishStep(draft, 'sip_user');
        draft.audit.push({
          at: this.nowIso(),
          by: 'system',
          action: 'sip_user_created',
          detail: note ? `${draft.person.login} (${note})` : draft.person.login,
        });
      },
      this.clock(),
    );
  }

  private async createInvite(record: OnboardingRecord, log: Logger): Promise<OnboardingRecord> {
    const { opentact } = this.providers;
    const wasRunning = record.steps.invite.status === 'running';
    record = await this.markRunning(record.id, 'invite');
    // The invite is named after the SIP login: that is how it is found again (reconciliation, resume).
    const name = record.person.login;
    if (wasRunning) {
      const found = await this.lookupInvite(name).catch(() => undefined);
      if (found)
        return this.adoptInvite(
          record,
          found.uuid,
          found.expiredOn ?? addDays(this.clock(), record.lifetimeDays),
          'found after restart',
        );
    }
    const expiresAt = addDays(this.clock(), record.lifetimeDays);
    try {
      const invite = await opentact.createInvite({ name, expiredOn: expiresAt });
      return this.adoptInvite(record, invite.uuid, invite.expiredOn ?? expiresAt);
    } catch (error) {
      if (error instanceof UpstreamError && error.outcomeUnknown) {
        const found = await this.lookupInvite(name).catch(() => undefined);
        if (found)
          return this.adoptInvite(
            record,
            found.uuid,
            found.expiredOn ?? expiresAt,
            'created although the answer was lost',
          );
      }
      log.warn('SIP user invite creation failed', errorFields(error));
      return this.failStep(record.id, 'invite', error);
    }
  }

  private async lookupInvite(name: string) {
    const invites = await this.providers.opentact.listInvites();
    return invites.find((invite) => invite.name === name);
  }

  private adoptInvite(record: OnboardingRecord, uuid: string, expiresAt: Date, note?: string) {
    return this.store.update(
      record.id,
      (draft) => {
        draft.invite = { uuid, expiresAt: expiresAt.toISOString() };
        this.finishStep(draft, 'invite');
        draft.audit.push({
          at: this.nowIso(),
          by: 'system',
          action: 'invite_created',
          detail: `expires ${expiresAt.toISOString()}${note ? ` (${note})` : ''}`,
        });
      },
      this.clock(),
    );
  }

  /**
   * Sends one channel's invitation and records the attempt. Used by the
   * pipeline and by Resend. Never throws for upstream failures: they are
   * recorded on the delivery.
   */
  private async deliver(id: string, channel: Channel, by: string, log: Logger): Promise<Delivery> {
    let record = this.mustGet(id);
    const step: StepName = channel;
    if (!record.channels.includes(channel)) {
      return this.setDelivery(id, channel, { status: 'skipped', reason: 'not requested' }, by);
    }
    if (!this.enabledChannels().includes(channel)) {
      const reason =
        channel === 'sms'
          ? 'the SMS channel is not configured (USERMGMT_API_URL, USERMGMT_TOKEN)'
          : 'the e-mail channel is not configured (SLYK_API_KEY)';
      return this.setDelivery(id, channel, { status: 'skipped', reason }, by);
    }
    const wasRunning = record.steps[step].status === 'running';
    record = await this.markRunning(id, step);
    try {
      if (channel === 'sms') {
        await this.providers.usermgmt!.sendSmsInvite(record.sipUser!.uuid);
      } else {
        await this.sendEmail(record, wasRunning);
      }
      return this.setDelivery(id, channel, { status: 'sent' }, by);
    } catch (error) {
      log.warn(`${CHANNEL_LABEL[channel]} invitation failed`, errorFields(error));
      return this.setDelivery(
        id,
        channel,
        { status: 'failed', reason: describeError(error) },
        by,
        error,
      );
    }
  }

  private async sendEmail(record: OnboardingRecord, wasRunning: boolean): Promise<void> {
    const slyk = this.providers.slyk!;
    const email = record.person.email;
    let code = record.slykCode;
    if (code) {
      // An e-mail invite that Slyk expired or cancelled cannot be sent again: make a new one.
      const current = await slyk.getInvite(code).catch(() => undefined);
      if (current && current.status !== 'pending') code = undefined;
    }
    if (!code && wasRunning) {
      const page = await slyk
        .listInvites({ filter: { invitedEmail: email, status: 'pending' } })
        .catch(() => undefined);
      code = page?.data[0]?.code;
    }
    if (!code) {
      try {
        code = (await slyk.createInvite({ email })).code;
      } catch (error) {
        if (!(error instanceof UpstreamError && error.outcomeUnknown)) throw error;
        const page = await slyk.listInvites({ filter: { invitedEmail: email, status: 'pending' } });
        code = page.data[0]?.code;
        if (!code) throw error;
      }
      const newCode = code;
      await this.store.update(
        record.id,
        (draft) => {
          draft.slykCode = newCode;
        },
        this.clock(),
      );
    }
    await slyk.sendInvites({ email });
  }

  private async setDelivery(
    id: string,
    channel: Channel,
    outcome: { status: Delivery['status']; reason?: string },
    by: string,
    error?: unknown,
  ): Promise<Delivery> {
    const now = this.nowIso();
    const record = await this.store.update(
      id,
      (draft) => {
        const delivery = draft.deliveries[channel];
        delivery.status = outcome.status;
        if (outcome.reason) delivery.reason = outcome.reason;
        else delete delivery.reason;
        if (outcome.status === 'sent') delivery.sentAt = now;
        if (outcome.status === 'sent' || outcome.status === 'failed') {
          delivery.attempts.push({
            at: now,
            ok: outcome.status === 'sent',
            by,
            ...(outcome.reason ? { reason: outcome.reason } : {}),
          });
        }
        const step = draft.steps[channel];
        step.status =
          outcome.status === 'sent' ? 'done' : outcome.status === 'failed' ? 'failed' : 'skipped';
        step.finishedAt = now;
        if (outcome.reason) step.reason = outcome.reason;
        else delete step.reason;
        if (error instanceof UpstreamError && Object.keys(error.fields).length > 0)
          step.fields = error.fields;
        if (outcome.status !== 'skipped') {
          draft.audit.push({
            at: now,
            by,
            action: outcome.status === 'sent' ? `${channel}_sent` : `${channel}_failed`,
            ...(outcome.reason ? { detail: outcome.reason } : {}),
          });
        }
      },
      this.clock(),
    );
    return record.deliveries[channel];
  }

  // ——— invite lifecycle: extend, resend, revoke ———

  /** Moves the invite's expiry (upstream first, then the record). */
  extend(id: string, by: string, until: Date): Promise<ActionOutcome> {
    return this.track(
      this.withLock(id, async () => {
        const record = this.mustGet(id);
        const closed = alreadyClosed(record, 'extend');
        if (closed) return closed;
        if (!record.invite) {
          throw new ActionRefused(
            'There is no SIP user invite to extend yet; retry the onboarding first.',
          );
        }
        if (until.getTime() <= this.clock().getTime()) {
          throw new ActionRefused('The new expiry must be in the future.');
        }
        const { opentact } = this.providers;
        let inviteUuid = record.invite.uuid;
        let recreated = false;
        try {
          await opentact.modifyInvite(inviteUuid, { expiredOn: until });
        } catch (error) {
          if (!(error instanceof UpstreamError && error.status === 404)) throw error;
          // The invite is gone upstream (expired and removed): issue a new one under the same name.
          inviteUuid = (
            await opentact.createInvite({ name: record.person.login, expiredOn: until })
          ).uuid;
          recreated = true;
        }
        let emailNote = '';
        if (record.slykCode && record.channels.includes('email') && this.providers.slyk) {
          const current = await this.providers.slyk
            .getInvite(record.slykCode)
            .catch(() => undefined);
          if (current && (current.status === 'expired' || current.status === 'canceled')) {
            const delivery = await this.deliver(
              id,
              'email',
              by,
              this.log.child({ onboarding: id }),
            );
            emailNote =
              delivery.status === 'sent'
                ? ' The e-mail invite had lapsed at Slyk, so a new one was sent.'
                : ` The e-mail invite had lapsed and could not be re-sent: ${delivery.reason}.`;
          }
        }
        const updated = await this.store.update(
          id,
          (draft) => {
            draft.invite = { uuid: inviteUuid, expiresAt: until.toISOString() };
            if (draft.state === 'expired') draft.state = 'pending';
            delete draft.expiredAt;
            draft.audit.push({
              at: this.nowIso(),
              by,
              action: 'extended',
              detail: `until ${until.toISOString()}${recreated ? ' (invite re-created)' : ''}`,
            });
          },
          this.clock(),
        );
        return {
          record: this.changed(updated),
          summary: `Extended until ${until.toISOString().slice(0, 10)}.${recreated ? ' The old invite was gone, so a new one was created.' : ''}${emailNote}`,
        };
      }),
    );
  }

  /** Sends the configured invitations again, recording each attempt. */
  resend(id: string, by: string): Promise<ActionOutcome> {
    return this.track(
      this.withLock(id, async () => {
        const record = this.mustGet(id);
        const closed = alreadyClosed(record, 'resend');
        if (closed) return closed;
        if (record.state === 'expired') {
          throw new ActionRefused('The invite has expired: extend it first, then resend.');
        }
        if (!record.invite || !record.sipUser) {
          throw new ActionRefused(
            'The SIP user or its invite does not exist yet; retry the onboarding first.',
          );
        }
        const channels = record.channels.filter((c) => this.enabledChannels().includes(c));
        if (channels.length === 0) {
          throw new ActionRefused(
            'No invitation channel that this onboarding asked for is configured.',
          );
        }
        const log = this.log.child({ onboarding: id });
        const results = await Promise.all(channels.map((c) => this.deliver(id, c, by, log)));
        const sent = channels.filter((_, i) => results[i]!.status === 'sent');
        const updated = await this.store.update(
          id,
          (draft) => {
            if (
              draft.state === 'failed' &&
              sent.length > 0 &&
              draft.steps.invite.status === 'done'
            ) {
              draft.state = 'pending';
              delete draft.failedStep;
            }
            draft.audit.push({
              at: this.nowIso(),
              by,
              action: 'resent',
              detail: channels.join(', '),
            });
          },
          this.clock(),
        );
        const parts = channels.map((c, i) =>
          results[i]!.status === 'sent'
            ? `${CHANNEL_LABEL[c]} sent`
            : `${CHANNEL_LABEL[c]} failed: ${results[i]!.reason ?? 'unknown reason'}`,
        );
        return { record: this.changed(updated), summary: `${parts.join('; ')}.` };
      }),
    );
  }

  /**
   * Removes the Opentact invite, cancels the Slyk invite, and deactivates or
   * removes the SIP user when asked. Steps already done are not repeated, and a
   * partial failure is recorded with what did happen.
   */
  revoke(id: string, by: string, mode: RevokeMode): Promise<ActionOutcome> {
    return this.track(
      this.withLock(id, async () => {
        const record = this.mustGet(id);
        if (record.state === 'revoked') {
          return { record, summary: 'Already revoked.', noop: true };
        }
        if (mode === 'deactivate' && !this.providers.opentact.canModifyDomainUsers) {
          throw new ActionRefused(
            'Deactivating needs the SIP domain (OPENTACT_SIP_DOMAIN is not set). Revoke and keep or remove the SIP user instead.',
          );
        }
        const done: string[] = [];
        const now = () => this.nowIso();
        const fail = async (what: string, error: unknown): Promise<never> => {
          await this.store.update(
            id,
            (draft) => {
              draft.audit.push({
                at: now(),
                by,
                action: 'revoke_failed',
                detail: `${what}: ${describeError(error)}${done.length ? `; done before: ${done.join(', ')}` : ''}`,
              });
            },
            this.clock(),
          );
          throw new ActionRefused(
            `Could not ${what}: ${describeError(error)}.${done.length ? ` Already done: ${done.join(', ')}.` : ''} Try again in a moment.`,
          );
        };
        const { opentact, slyk } = this.providers;
        if (record.invite && !record.invite.goneAt) {
          try {
            await opentact.removeInvite(record.invite.uuid);
            done.push('SIP user invite removed');
          } catch (error) {
            if (error instanceof UpstreamError && error.status === 404)
              done.push('SIP user invite was already gone');
            else await fail('remove the SIP user invite', error);
          }
          await this.store.update(
            id,
            (draft) => {
              if (draft.invite) draft.invite.goneAt = now();
            },
            this.clock(),
          );
        }
        if (record.slykCode && slyk) {
          try {
            const current = await slyk.getInvite(record.slykCode);
            if (current.status === 'pending') {
              await slyk.cancelInvite(record.slykCode);
              done.push('e-mail invite cancelled');
            }
          } catch (error) {
            if (!(error instanceof UpstreamError && error.status === 404))
              await fail('cancel the e-mail invite', error);
          }
        }
        if (record.sipUser && !record.sipUser.removed && mode !== 'keep') {
          try {
            if (mode === 'deactivate') {
              if (record.sipUser.active)
                await opentact.modifyDomainUser(record.sipUser.uuid, { is_active: false });
              done.push('SIP user deactivated');
            } else {
              await opentact.removeSipUser(record.sipUser.uuid);
              done.push('SIP user removed');
            }
          } catch (error) {
            if (mode === 'remove' && error instanceof UpstreamError && error.status === 404) {
              done.push('SIP user was already gone');
            } else {
              await fail(`${mode} the SIP user`, error);
            }
          }
        }
        const updated = await this.store.update(
          id,
          (draft) => {
            draft.state = 'revoked';
            draft.revokedAt = now();
            if (draft.sipUser && mode === 'deactivate') draft.sipUser.active = false;
            if (draft.sipUser && mode === 'remove') draft.sipUser.removed = true;
            draft.audit.push({
              at: now(),
              by,
              action: 'revoked',
              detail: done.join(', ') || 'nothing was open upstream',
            });
          },
          this.clock(),
        );
        return {
          record: this.changed(updated),
          summary: `Revoked: ${done.join(', ') || 'nothing was open upstream'}.`,
        };
      }),
    );
  }

  // ——— step bookkeeping ———

  private markRunning(id: string, step: StepName) {
    return this.store.update(
      id,
      (draft) => {
        const s = draft.steps[step];
        s.status = 'running';
        s.startedAt = this.nowIso();
        s.attempts += 1;
        delete s.reason;
        delete s.fields;
      },
      this.clock(),
    );
  }

  private finishStep(draft: OnboardingRecord, step: StepName) {
    const s = draft.steps[step];
    s.status = 'done';
    s.finishedAt = this.nowIso();
    delete s.reason;
    delete s.fields;
  }

  private failStep(id: string, step: StepName, error: unknown) {
    return this.store.update(
      id,
      (draft) => {
        const s = draft.steps[step];
        s.status = 'failed';
        s.finishedAt = this.nowIso();
        s.reason = describeError(error);
        if (error instanceof UpstreamError && Object.keys(error.fields).length > 0)
          s.fields = error.fields;
        draft.state = 'failed';
        draft.failedStep = step;
        draft.audit.push({
          at: this.nowIso(),
          by: 'system',
          action: 'failed',
          detail: `${STEP_LABEL[step]}: ${s.reason}`,
        });
      },
      this.clock(),
    );
  }

  // ——— plumbing ———

  /** Runs `fn` after every earlier operation on the same record. */
  protected withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.locks.set(id, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.locks.get(id) === next) this.locks.delete(id);
      });
    return next;
  }

  protected track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inFlight.delete(promise));
    return promise;
  }

  protected mustGet(id: string): OnboardingRecord {
    const record = this.store.get(id);
    if (!record) throw new ActionRefused('That onboarding no longer exists.');
    return record;
  }

  protected changed(record: OnboardingRecord): OnboardingRecord {
    try {
      this.onChange?.(record);
    } catch (error) {
      this.log.warn('change listener failed', errorFields(error));
    }
    return record;
  }

  protected nowIso(): string {
    return this.clock().toISOString();
  }

  protected assertAccepting(): void {
    if (!this.accepting)
      throw new ActionRefused('The bot is shutting down; try again in a minute.');
  }
}

/** The answer to an action on an invitation that is already closed (revoked or accepted). */
function alreadyClosed(record: OnboardingRecord, verb: string): ActionOutcome | undefined {
  if (record.state !== 'revoked' && record.state !== 'accepted') return undefined;
  return {
    record,
    summary: `Nothing to ${verb}: the invite is already ${record.state}.`,
    noop: true,
  };
}

/** A secret-free sentence for a failure, for people. */
export function describeError(error: unknown): string {
  if (error instanceof UpstreamError) {
    const fields = Object.entries(error.fields);
    const fieldText =
      fields.length > 0 ? ` (${fields.map(([f, m]) => `${f}: ${m}`).join('; ')})` : '';
    switch (error.kind) {
      case 'timeout':
        return `${API_TITLES[error.api]} did not answer in time`;
      case 'network':
        return `${API_TITLES[error.api]} could not be reached (${error.upstreamMessage})`;
      case 'invalid-response':
        return `${API_TITLES[error.api]} sent an unexpected answer (${error.upstreamMessage})`;
      default:
        return `${API_TITLES[error.api]} said: ${error.upstreamMessage}${fieldText}${error.status ? ` [HTTP ${error.status}]` : ''}`;
    }
  }
  if (error instanceof ActionRefused) return error.message;
  return 'an internal error occurred (see the bot log)';
}
