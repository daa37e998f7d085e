import type { Button, KnownBlock } from '@slack/types';
import {
  CHANNEL_LABEL,
  type Channel,
  displayName,
  OFFBOARD_PART_LABEL,
  OFFBOARD_PARTS,
  type OnboardingRecord,
  STEP_LABEL,
  STEPS,
} from '../../onboarding/model.ts';
import {
  allowedActions,
  retryableChannels,
  unfinishedOffboardParts,
} from '../../onboarding/policy.ts';
import { describeResult } from '../../onboarding/reminders.ts';
import type { Seal } from '../binding.ts';
import { ACTION, type ActionVerb, actionId, itemActionsBlockId, itemBlockId } from '../ids.ts';
import { actions, button, code, context, esc, plain, section, slackDate, user } from './blocks.ts';

/** How one onboarding is described in messages, lists, the digest and the Home tab. */

export const STATE_BADGE: Record<OnboardingRecord['state'], string> = {
  requested: ':raised_hand: waiting for approval',
  provisioning: ':hourglass_flowing_sand: provisioning',
  scheduled: ':calendar: scheduled',
  pending: ':envelope: invited',
  failed: ':x: failed',
  accepted: ':white_check_mark: accepted',
  expired: ':alarm_clock: expired',
  revoked: ':no_entry_sign: revoked',
  rejected: ':heavy_multiplication_x: rejected',
  request_expired: ':hourglass: request expired',
  offboarded: ':wave: offboarded',
};

const DELIVERY_ICON = {
  pending: ':hourglass:',
  sent: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
  unknown: ':grey_question:',
} as const;

export function deliveryLine(record: OnboardingRecord, channel: Channel): string {
  const delivery = record.deliveries[channel];
  const reason = delivery.reason ? ` — ${esc(delivery.reason)}` : '';
  const label = CHANNEL_LABEL[channel];
  if (delivery.status === 'unknown') {
    return `${DELIVERY_ICON.unknown} ${label}: not confirmed${reason}. The person may already have it; Resend only if they did not.`;
  }
  if (delivery.status === 'pending' && record.state === 'scheduled') {
    return `${DELIVERY_ICON.pending} ${label}: goes out on the start date`;
  }
  if (delivery.status === 'pending' && record.state !== 'provisioning') {
    return `${DELIVERY_ICON.skipped} ${label}: not sent (an earlier step failed)`;
  }
  return `${DELIVERY_ICON[delivery.status]} ${label}: ${delivery.status === 'skipped' ? 'not sent' : delivery.status}${reason}`;
}

/**
 * When the invite expires, as a Slack date token: messages stay up for days, so
 * a relative "in 24 hours" would go stale; Slack renders the token in the
 * reader's time zone. `now` tells the past tense from the future.
 */
export function expiryText(record: OnboardingRecord, now: Date): string {
  if (record.state === 'scheduled' && record.startAt)
    return `goes out ${slackDate(record.startAt)}`;
  if (!record.invite) return 'no invite yet';
  const past = Date.parse(record.invite.expiresAt) <= now.getTime();
  return `${past ? 'expired' : 'expires'} ${slackDate(record.invite.expiresAt)}`;
}

/** The automatic reminder, when one went out (or was tried). */
export function reminderText(record: OnboardingRecord): string {
  const reminder = record.reminder;
  if (!reminder) return 'No reminder sent yet.';
  const when = slackDate(reminder.at);
  if (reminder.status === 'sending') {
    return `${DELIVERY_ICON.unknown} Reminder ${when}: not confirmed (interrupted while sending); it is not sent again.`;
  }
  const parts = reminder.results.map(describeResult).join('; ');
  const icon = reminder.status === 'sent' ? ':bell:' : DELIVERY_ICON.failed;
  return `${icon} Reminder ${when}: ${esc(parts)}`;
}

/** One line per person: name, login, channels, state, expiry (or how they were offboarded). */
export function summaryLine(record: OnboardingRecord, now: Date): string {
  const channels = record.channels.map((c) => CHANNEL_LABEL[c]).join(' + ') || 'no channel';
  const when =
    record.state === 'offboarded'
      ? ` · ${offboardText(record)}`
      : record.invite || record.state === 'scheduled'
        ? ` · ${expiryText(record, now)}`
        : '';
  return (
    `*${esc(displayName(record.person))}* · ${code(record.person.login)} · ${channels} · ` +
    `${STATE_BADGE[record.state]}${when}` +
    (record.state === 'requested' && record.approval
      ? ` · undecided, expires ${slackDate(record.approval.expiresAt)} · requested by ${user(record.requestedBy)}`
      : ` · ${record.approval && !record.invite ? 'requested' : 'invited'} by ${user(record.requestedBy)}`)
  );
}

/** What became of a request that needed approval (absent for an admin's own onboarding). */
export function approvalLine(record: OnboardingRecord): string | undefined {
  const a = record.approval;
  if (!a) return undefined;
  const when = a.decidedAt ? ` ${slackDate(a.decidedAt)}` : '';
  switch (a.decision) {
    case 'approved':
      return `*Approval:* approved by ${user(a.decidedBy ?? 'system')}${when}`;
    case 'rejected':
      return `*Approval:* rejected by ${user(a.decidedBy ?? 'system')}${when}${a.reason ? ` — ${esc(a.reason)}` : ''}`;
    case 'expired':
      return `*Approval:* nobody decided before ${slackDate(a.expiresAt)}; the request expired`;
    default:
      return `*Approval:* waiting for an admin (until ${slackDate(a.expiresAt)})`;
  }
}

/** Who offboarded, when, what happened to the SIP user; or that some part is still to do. */
export function offboardText(record: OnboardingRecord): string {
  const o = record.offboarding;
  if (!o) return 'offboarded';
  const unfinished = unfinishedOffboardParts(record);
  const sip = record.sipUser?.removed
    ? 'SIP user removed'
    : record.sipUser && !record.sipUser.active
      ? 'SIP user deactivated'
      : `SIP user ${o.mode === 'remove' ? 'removal' : 'deactivation'} pending`;
  const head = `${sip} by ${user(o.by)} ${slackDate(o.finishedAt ?? o.at)}`;
  if (unfinished.length === 0) return head;
  return `:warning: offboarding incomplete (${unfinished.map((p) => OFFBOARD_PART_LABEL[p]).join(', ')}: not done) · ${head}`;
}

/** The buttons that make sense for a record in its state (policy.allowedActions). */
export function recordButtons(record: OnboardingRecord, seal: Seal): Button[] {
  const id = record.id;
  const allowed = new Set(allowedActions(record));
  const name = `*${esc(displayName(record.person))}*`;
  const buttons: Button[] = [];
  const add = (
    label: string,
    action: ActionVerb,
    style?: 'primary' | 'danger',
    confirm?: Button['confirm'],
  ) => buttons.push(button(label, actionId(action, id), seal(action, id), style, confirm));
  // Approving creates accounts and sends invitations to someone outside: Slack asks first.
  if (allowed.has('approve'))
    add(
      'Approve',
      ACTION.approve,
      'primary',
      ask(
        'Approve the onboarding?',
        `This creates the SIP user of ${name} and sends the invitations.`,
        'Approve',
      ),
    );
  if (allowed.has('reject')) add('Reject', ACTION.reject, 'danger');
  // It reaches someone outside the company before the date they were told: Slack asks first.
  if (allowed.has('send_now'))
    add(
      'Send now',
      ACTION.sendNow,
      'primary',
      ask(
        'Send the invitation now?',
        `The invite for ${name} is created now and the invitations go out at once; its lifetime counts from now.`,
        'Send now',
        'Not yet',
      ),
    );
  if (allowed.has('cancel'))
    add(
      'Cancel',
      ACTION.cancel,
      'danger',
      ask(
        'Cancel the onboarding?',
        `The SIP user \`${esc(record.person.login)}\` reserved for ${name} is removed and nothing is sent.`,
        'Cancel it',
        'Keep it',
      ),
    );
  // Retry may send an SMS or an e-mail to someone outside the company: Slack asks first.
  if (allowed.has('retry'))
    add(
      record.state === 'pending' ? `Retry ${failedLabels(record)}` : 'Retry',
      ACTION.retry,
      'primary',
      ask(
        'Retry the onboarding?',
        `This runs again what failed for ${name}; invitations that failed are sent again.`,
        'Retry',
      ),
    );
  if (allowed.has('amend')) add('Edit and retry', ACTION.editRetry);
  if (allowed.has('extend'))
    add(
      'Extend',
      ACTION.extend,
      record.state === 'pending' && !allowed.has('retry') ? 'primary' : undefined,
    );
  if (allowed.has('resend')) add('Resend', ACTION.resend);
  if (allowed.has('revoke')) add('Revoke', ACTION.revoke, 'danger');
  if (allowed.has('retryOffboard'))
    add(
      'Retry offboarding',
      ACTION.retryOffboard,
      'danger',
      ask(
        'Retry the offboarding?',
        `This runs again the offboarding parts that failed for ${name}.`,
        'Retry',
      ),
    );
  if (allowed.has('reactivate'))
    add(
      'Reactivate',
      ACTION.reactivate,
      'primary',
      ask(
        'Reactivate the SIP user?',
        `${name} (${code(record.person.login)}) gets telephony access again.`,
        'Reactivate',
      ),
    );
  // Offboard opens a dialog that asks what to do with the SIP user: no confirm here.
  if (allowed.has('offboard')) add('Offboard', ACTION.offboard, 'danger');
  return buttons;
}

/** A button's confirmation: Slack asks before the click is sent. */
const ask = (title: string, text: string, confirm: string, deny = 'Cancel') => ({
  title: plain(title, 100),
  text: { type: 'mrkdwn' as const, text },
  confirm: plain(confirm, 30),
  deny: plain(deny, 30),
});

const failedLabels = (record: OnboardingRecord) =>
  retryableChannels(record)
    .map((c) => CHANNEL_LABEL[c])
    .join(' + ');

/** An item: a section and its buttons, with block ids that let an action replace them in place. */
export function itemBlocks(
  record: OnboardingRecord,
  now: Date,
  seal: Seal,
  extra?: string,
): KnownBlock[] {
  const blocks: KnownBlock[] = [
    section(
      extra ? `${summaryLine(record, now)}\n${extra}` : summaryLine(record, now),
      itemBlockId(record.id),
    ),
  ];
  const buttons = recordButtons(record, seal);
  if (buttons.length > 0) blocks.push(actions(itemActionsBlockId(record.id), buttons));
  return blocks;
}

/** Every step and delivery of one onboarding, with its audit trail. */
export function statusBlocks(record: OnboardingRecord, now: Date, seal: Seal): KnownBlock[] {
  const steps = STEPS.map((name) => {
    const step = record.steps[name];
    const icon = {
      todo: ':white_circle:',
      running: ':hourglass_flowing_sand:',
      done: ':white_check_mark:',
      failed: ':x:',
      skipped: ':heavy_minus_sign:',
      unknown: ':grey_question:',
    }[step.status];
    const fields = step.fields
      ? ` (${Object.entries(step.fields)
          .map(([f, m]) => `${f}: ${m}`)
          .join('; ')})`
      : '';
    return `${icon} ${STEP_LABEL[name]}: ${step.status}${step.reason ? ` — ${esc(step.reason)}${esc(fields)}` : ''}`;
  });
  const audit = record.audit
    .slice(-12)
    .map(
      (entry) =>
        `• ${slackDate(entry.at)} ${user(entry.by)} ${esc(entry.action.replace(/_/g, ' '))}${entry.detail ? `: ${esc(entry.detail)}` : ''}`,
    );
  return [
    ...itemBlocks(record, now, seal),
    section(
      `*E-mail:* ${code(record.person.email)}   *Mobile:* ${code(record.person.phone)}\n` +
        `*Requested:* ${slackDate(record.createdAt)} by ${user(record.requestedBy)}` +
        (approvalLine(record) ? `\n${approvalLine(record)}` : '') +
        (record.note ? `\n*Note:* ${esc(record.note)}` : ''),
    ),
    section(
      `*Steps*\n${steps.join('\n')}\n*Deliveries*\n${deliveryLine(record, 'sms')}\n${deliveryLine(record, 'email')}` +
        (record.reminder ? `\n${reminderText(record)}` : ''),
    ),
    ...(record.offboarding ? [section(offboardingLines(record))] : []),
    section(
      `*Audit trail*${record.audit.length > 12 ? ` (last 12 of ${record.audit.length})` : ''}\n${audit.join('\n')}`,
    ),
    ...(record.drift ? [context(`:warning: ${esc(record.drift)}`)] : []),
  ];
}

const PART_ICON = {
  todo: ':white_circle:',
  done: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
} as const;

/** The offboarding, part by part. */
function offboardingLines(record: OnboardingRecord): string {
  const o = record.offboarding!;
  const parts = OFFBOARD_PARTS.map((name) => {
    const part = o.parts[name];
    return `${PART_ICON[part.status]} ${OFFBOARD_PART_LABEL[name]}: ${part.status}${part.detail ? ` — ${esc(part.detail)}` : ''}`;
  });
  return `*Offboarding* (${o.mode} the SIP user, asked by ${user(o.by)} ${slackDate(o.at)})\n${parts.join('\n')}`;
}
