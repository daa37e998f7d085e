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

/** Dialogs opened from a button about one onboarding: they confirm before acting (Cancel: nothing done). */
const dialog = (
  callbackId: string,
  title: string,
  submit: string,
  metadata: string,
  blocks: KnownBlock[],
): ModalView => ({
  type: 'modal',
  callback_id: callbackId,
  title: plain(title, 24),
  submit: plain(submit, 24),
  close: plain('Cancel', 24),
  private_metadata: metadata,
  blocks,
});

/** A required choice, the first option preselected; its action id is the block id + `_input`. */
const radioInput = (
  blockId: string,
  label: string,
  options: { text: ReturnType<typeof plain>; value: string }[],
): KnownBlock => ({
  type: 'input',
  block_id: blockId,
  label: plain(label),
  element: {
    type: 'radio_buttons',
    action_id: `${blockId}_input`,
    options,
    initial_option: options[0]!,
  },
});

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
  return dialog(CALLBACK.revokeModal, 'Revoke invitation', 'Revoke', metadata, [
    section(
      `Revoke the invitation of *${esc(displayName(record.person))}* (${code(record.person.login)})? The SIP user invite is removed and the e-mail invite cancelled.`,
    ),
    radioInput(REVOKE_INPUT.mode, 'And the SIP user?', options),
  ]);
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
  return dialog(CALLBACK.resendModal, 'Resend invitation', 'Send', metadata, blocks);
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
  return dialog(CALLBACK.offboardModal, 'Offboard member', 'Offboard', metadata, [
    section(
      `Offboard *${esc(displayName(record.person))}* (${code(record.person.login)}, ${code(record.person.email)})? Their telephony access ends; open SIP user invites are removed and pending e-mail invites cancelled.`,
    ),
    radioInput(OFFBOARD_INPUT.mode, 'The SIP user', options),
    ...(canDeactivate
      ? []
      : [context('Deactivating needs the SIP domain (OPENTACT_SIP_DOMAIN), which is not set.')]),
  ]);
}
