import type { KnownBlock, ModalView } from '@slack/types';
import {
  CHANNEL_LABEL,
  type Channel,
  displayName,
  type OnboardingRecord,
} from '../../onboarding/model.ts';
import { unconfirmedChannels } from '../../onboarding/policy.ts';
import { CALLBACK, OFFBOARD_INPUT, RESEND_INPUT, REVOKE_INPUT } from '../ids.ts';
import { code, context, esc, plain, section, slackDate } from './blocks.ts';

/** Dialogs opened from a button about one onboarding: they confirm before acting. */

export function revokeDialog(
  record: OnboardingRecord,
  metadata: string,
  canDeactivate: boolean,
): ModalView {
  const options = [
    { text: plain('Keep the SIP user', 75), value: 'keep' },
    ...(canDeactivate ? [{ text: plain('Deactivate the SIP user', 75), value: 'deactivate' }] : []),
    { text: plain('Remove the SIP user', 75), value: 'remove' },
  ];
  return {
    type: 'modal',
    callback_id: CALLBACK.revokeModal,
    title: plain('Revoke invitation', 24),
    submit: plain('Revoke', 24),
    close: plain('Cancel', 24),
    private_metadata: metadata,
    blocks: [
      section(
        `Revoke the invitation of *${esc(displayName(record.person))}* (${code(record.person.login)})? The SIP user invite is removed and the e-mail invite cancelled.`,
      ),
      {
        type: 'input',
        block_id: REVOKE_INPUT.mode,
        label: plain('And the SIP user?'),
        element: {
          type: 'radio_buttons',
          action_id: `${REVOKE_INPUT.mode}_input`,
          options,
          initial_option: options[0]!,
        },
      },
    ],
  };
}

/**
 * Resend reaches a person outside the company: the admin sees what each
 * channel's last attempt did and picks the channels (default: those not
 * confirmed sent, or all of them when every one was confirmed).
 */
export function resendDialog(
  record: OnboardingRecord,
  channels: Channel[],
  metadata: string,
): ModalView {
  const unconfirmed = unconfirmedChannels(record).filter((c) => channels.includes(c));
  const preselected = unconfirmed.length > 0 ? unconfirmed : channels;
  const option = (c: Channel) => ({ text: plain(CHANNEL_LABEL[c], 75), value: c });
  const lines = channels.map((c) => `• *${CHANNEL_LABEL[c]}:* ${lastAttempt(record, c)}`);
  const blocks: KnownBlock[] = [
    section(
      `Send the invitation of *${esc(displayName(record.person))}* (${code(record.person.login)}) again?\n${lines.join('\n')}`,
    ),
    {
      type: 'input',
      block_id: RESEND_INPUT.channels,
      label: plain('Send by'),
      element: {
        type: 'checkboxes',
        action_id: `${RESEND_INPUT.channels}_input`,
        options: channels.map(option),
        initial_options: preselected.map(option),
      },
    },
    context('The person gets a new message for each channel picked.'),
  ];
  return {
    type: 'modal',
    callback_id: CALLBACK.resendModal,
    title: plain('Resend invitation', 24),
    submit: plain('Send', 24),
    close: plain('Cancel', 24),
    private_metadata: metadata,
    blocks,
  };
}

function lastAttempt(record: OnboardingRecord, channel: Channel): string {
  const delivery = record.deliveries[channel];
  switch (delivery.status) {
    case 'sent':
      return `sent ${delivery.sentAt ? slackDate(delivery.sentAt) : ''}`.trim();
    case 'unknown':
      return 'not confirmed — the person may already have it';
    case 'failed':
      return `failed — ${esc(delivery.reason ?? 'unknown reason')}`;
    default:
      return 'not sent yet';
  }
}

/**
 * Offboarding ends a member's telephony access: the admin chooses between
 * deactivating the SIP user (reversible: Reactivate) and removing it.
 */
export function offboardDialog(
  record: OnboardingRecord,
  metadata: string,
  canDeactivate: boolean,
): ModalView {
  const options = [
    ...(canDeactivate
      ? [{ text: plain('Deactivate the SIP user (can be reactivated)', 75), value: 'deactivate' }]
      : []),
    { text: plain('Remove the SIP user (cannot be undone)', 75), value: 'remove' },
  ];
  return {
    type: 'modal',
    callback_id: CALLBACK.offboardModal,
    title: plain('Offboard member', 24),
    submit: plain('Offboard', 24),
    close: plain('Cancel', 24),
    private_metadata: metadata,
    blocks: [
      section(
        `Offboard *${esc(displayName(record.person))}* (${code(record.person.login)}, ${code(record.person.email)})? Their telephony access ends; open SIP user invites are removed and pending e-mail invites cancelled.`,
      ),
      {
        type: 'input',
        block_id: OFFBOARD_INPUT.mode,
        label: plain('The SIP user'),
        element: {
          type: 'radio_buttons',
          action_id: `${OFFBOARD_INPUT.mode}_input`,
          options,
          initial_option: options[0]!,
        },
      },
      ...(canDeactivate
        ? []
        : [context('Deactivating needs the SIP domain (OPENTACT_SIP_DOMAIN), which is not set.')]),
    ],
  };
}
