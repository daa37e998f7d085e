import type { KnownBlock, ModalView } from '@slack/types';
import { CHANNEL_LABEL, displayName, type OnboardingRecord } from '../../onboarding/model.ts';
import type { Seal } from '../binding.ts';
import { CALLBACK, REJECT_INPUT } from '../ids.ts';
import { actions, code, context, esc, header, plain, section, slackDate, user } from './blocks.ts';
import { approvalLine, recordButtons, STATE_BADGE } from './record.ts';

/**
 * Requests that wait for an admin: the message in APPROVAL_CHANNEL (updated in
 * place once decided), what the requester sees, and the reject dialog. The
 * details are what the form asked for; nothing secret exists yet.
 */

/** Who decides, for the requester: the admins by name, or the workspace admins. */
export function approversText(admins: readonly string[], channel: string | undefined): string {
  const who =
    admins.length > 0 ? admins.map((id) => `<@${id}>`).join(', ') : 'a workspace admin or owner';
  return `${who}${channel ? ` in <#${channel}>` : ''}`;
}

export function approvalMessage(
  record: OnboardingRecord,
  seal: Seal,
): { text: string; blocks: KnownBlock[] } {
  const name = esc(displayName(record.person));
  const channels = record.channels.map((c) => CHANNEL_LABEL[c]).join(' + ') || 'no channel';
  const blocks: KnownBlock[] = [
    header('Onboarding request'),
    section(
      `${user(record.requestedBy)} asks to onboard *${name}*.\n` +
        `*Login:* ${code(record.person.login)}\n*E-mail:* ${code(record.person.email)}\n` +
        `*Mobile:* ${code(record.person.phone)}\n*Invite by:* ${channels} · lifetime ${record.lifetimeDays} day${record.lifetimeDays === 1 ? '' : 's'}` +
        (record.note ? `\n*Note:* ${esc(record.note)}` : ''),
    ),
  ];
  if (record.state === 'requested') {
    const buttons = recordButtons(record, seal);
    if (buttons.length > 0) blocks.push(actions(`approval:${record.id}`, buttons));
    blocks.push(
      context(
        `Requested ${slackDate(record.createdAt)}. Undecided requests expire ${slackDate(record.approval?.expiresAt ?? record.createdAt)}. Nothing is created until an admin approves.`,
      ),
    );
  } else {
    blocks.push(context(`${approvalLine(record) ?? ''} · now ${STATE_BADGE[record.state]}`));
  }
  return { text: `Onboarding request from ${user(record.requestedBy)}: ${name}`, blocks };
}

/** What the requester's form turns into once the request is recorded. */
export function requestSentView(record: OnboardingRecord, approvers: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.progress,
    title: plain('Request sent', 24),
    close: plain('Close', 24),
    blocks: [
      section(
        `:raised_hand: *Your request to onboard ${esc(displayName(record.person))} waits for approval* by ${approvers}.`,
      ),
      context(
        `Nothing is created until then. You get a direct message when it is decided (undecided requests expire ${slackDate(record.approval?.expiresAt ?? record.createdAt)}).`,
      ),
    ],
  };
}

/** The requester's message once a request is closed without an onboarding (rejected or expired). */
export function requestClosedText(record: OnboardingRecord): string {
  const name = `*${esc(displayName(record.person))}* (${code(record.person.login)})`;
  const a = record.approval;
  if (record.state === 'rejected') {
    return `:heavy_multiplication_x: Your request to onboard ${name} was rejected by ${user(a?.decidedBy ?? 'system')}${a?.reason ? `: ${esc(a.reason)}` : ' (no reason given)'}. Nothing was created.`;
  }
  return `:hourglass: Your request to onboard ${name} expired: no admin decided before ${slackDate(a?.expiresAt ?? record.updatedAt)}. Nothing was created; ask again with \`/onboard\` if it is still needed.`;
}

export function rejectDialog(record: OnboardingRecord, metadata: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.rejectModal,
    title: plain('Reject request', 24),
    submit: plain('Reject', 24),
    close: plain('Cancel', 24),
    private_metadata: metadata,
    blocks: [
      section(
        `Reject the request of ${user(record.requestedBy)} to onboard *${esc(displayName(record.person))}* (${code(record.person.login)})? Nothing is created; the requester is told.`,
      ),
      {
        type: 'input',
        block_id: REJECT_INPUT.reason,
        optional: true,
        label: plain('Reason (the requester sees it)'),
        element: {
          type: 'plain_text_input',
          action_id: `${REJECT_INPUT.reason}_input`,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  };
}
