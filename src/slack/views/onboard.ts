import type { KnownBlock, ModalView } from '@slack/types';
import {
  CHANNEL_LABEL,
  type Channel,
  displayName,
  type OnboardingRecord,
  STEP_LABEL,
  STEPS,
} from '../../onboarding/model.ts';
import type { Seal } from '../binding.ts';
import { CALLBACK, INPUT, inputActionId, itemActionsBlockId } from '../ids.ts';
import { actions, code, context, esc, header, plain, section, slackDate } from './blocks.ts';
import { deliveryLine, expiryText, offboardText, recordButtons, statusBlocks } from './record.ts';

export type ModalDefaults = {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  login?: string;
  lifetimeDays: number;
  channels?: Channel[];
  note?: string;
  /** A start date already chosen (YYYY-MM-DD). */
  startDate?: string;
  /** When scheduled invitations go out (SEND_HOUR in DIGEST_TIMEZONE), for the field's hint. */
  sendTime?: { hour: number; timeZone: string };
};

export type ModalMetadata = {
  /** The failed record this submission corrects (Edit and retry). */
  retryOf?: string;
};

const CHANNEL_CHOICES: { value: string; channels: Channel[]; label: string }[] = [
  { value: 'both', channels: ['sms', 'email'], label: 'SMS and e-mail' },
  { value: 'sms', channels: ['sms'], label: 'SMS only' },
  { value: 'email', channels: ['email'], label: 'E-mail only' },
];

export function channelChoice(value: string | undefined): Channel[] | undefined {
  return CHANNEL_CHOICES.find((c) => c.value === value)?.channels;
}

/** The `/onboard` modal. Only configured channels are offered. */
export function onboardModal(
  enabled: Channel[],
  defaults: ModalDefaults,
  /** Sealed `private_metadata` (Binder.sealMetadata), e.g. the record an Edit and retry corrects. */
  privateMetadata = '',
  notice?: string,
): ModalView {
  const text = (
    blockId: (typeof INPUT)[keyof typeof INPUT],
    label: string,
    opts: {
      max: number;
      min?: number;
      placeholder?: string;
      hint?: string;
      initial?: string | undefined;
      optional?: boolean;
      multiline?: boolean;
      /** Tell the bot as the user types (used to suggest the SIP login from the name). */
      dispatch?: boolean;
    },
  ): KnownBlock => ({
    type: 'input',
    block_id: blockId,
    label: plain(label, 2000),
    optional: opts.optional ?? false,
    ...(opts.dispatch ? { dispatch_action: true } : {}),
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: inputActionId(blockId),
      ...(opts.dispatch
        ? { dispatch_action_config: { trigger_actions_on: ['on_character_entered' as const] } }
        : {}),
      max_length: opts.max,
      ...(opts.min ? { min_length: opts.min } : {}),
      ...(opts.multiline ? { multiline: true } : {}),
      ...(opts.placeholder ? { placeholder: plain(opts.placeholder) } : {}),
      ...(opts.initial ? { initial_value: opts.initial } : {}),
    },
  });
  const choices = CHANNEL_CHOICES.filter((c) => c.channels.every((ch) => enabled.includes(ch)));
  const wanted = defaults.channels ?? enabled;
  const initialChoice =
    choices.find(
      (c) => c.channels.length === wanted.length && c.channels.every((ch) => wanted.includes(ch)),
    ) ?? choices[0];

  const blocks: KnownBlock[] = [];
  if (notice) blocks.push(section(`:warning: ${esc(notice)}`));
  blocks.push(
    text(INPUT.firstName, 'First name', {
      max: 24,
      placeholder: 'Ada',
      initial: defaults.firstName,
      dispatch: true,
    }),
    text(INPUT.lastName, 'Last name', {
      max: 24,
      placeholder: 'Lovelace',
      initial: defaults.lastName,
      dispatch: true,
    }),
    {
      type: 'input',
      block_id: INPUT.email,
      label: plain('Work e-mail'),
      hint: plain('6–80 characters. The e-mail invitation goes here.'),
      element: {
        type: 'email_text_input',
        action_id: inputActionId(INPUT.email),
        placeholder: plain('ada@example.com'),
        ...(defaults.email ? { initial_value: defaults.email } : {}),
      },
    },
    text(INPUT.phone, 'Mobile number', {
      max: 20,
      placeholder: '+4915112345678',
      hint: 'International format (E.164): a plus sign, the country code and the number. The SMS invitation goes here.',
      initial: defaults.phone,
    }),
    text(INPUT.login, 'SIP login', {
      max: 15,
      optional: true,
      placeholder: 'Leave empty to use first.last',
      hint: '7–15 characters: letters, digits, dot, dash or underscore. Empty: made from the name (e.g. ada.lovelace).',
      initial: defaults.login,
    }),
    {
      type: 'input',
      block_id: INPUT.lifetime,
      label: plain('Invite lifetime (days)'),
      hint: plain('How long the invitation stays valid: 1 to 90 days.'),
      element: {
        type: 'number_input',
        action_id: inputActionId(INPUT.lifetime),
        is_decimal_allowed: false,
        min_value: '1',
        max_value: '90',
        initial_value: String(defaults.lifetimeDays),
      },
    },
  );
  const send = defaults.sendTime;
  blocks.push({
    type: 'input',
    block_id: INPUT.startDate,
    label: plain('Start date'),
    optional: true,
    hint: plain(
      `Optional. The SIP user is created now (the login is reserved); the invite and the invitations go out on this day${send ? ` at ${String(send.hour).padStart(2, '0')}:00 (${send.timeZone})` : ''}, and the lifetime counts from then. Empty: at once.`,
      2000,
    ),
    element: {
      type: 'datepicker',
      action_id: inputActionId(INPUT.startDate),
      placeholder: plain('At once'),
      ...(defaults.startDate ? { initial_date: defaults.startDate } : {}),
    },
  });
  if (initialChoice) {
    blocks.push({
      type: 'input',
      block_id: INPUT.channels,
      label: plain('How to invite'),
      element: {
        type: 'radio_buttons',
        action_id: inputActionId(INPUT.channels),
        options: choices.map((c) => ({ text: plain(c.label, 75), value: c.value })),
        initial_option: { text: plain(initialChoice.label, 75), value: initialChoice.value },
      },
    });
  } else {
    blocks.push(
      context(
        ':warning: No invitation channel is configured (SMS needs USERMGMT_*, e-mail needs SLYK_API_KEY): the SIP user and invite are created, but nobody is notified.',
      ),
    );
  }
  blocks.push(
    text(INPUT.note, 'Note', {
      max: 500,
      optional: true,
      multiline: true,
      placeholder: 'Team, start date, anything the audit trail should say',
      initial: defaults.note,
    }),
  );
  return {
    type: 'modal',
    callback_id: CALLBACK.onboardModal,
    title: plain('Onboard a member', 24),
    submit: plain('Onboard', 24),
    close: plain('Cancel', 24),
    private_metadata: privateMetadata,
    blocks,
  };
}

/**
 * The same modal with the SIP login's placeholder showing the login the name
 * suggests (what an empty login becomes). Only the placeholder changes, so what
 * the user typed anywhere stays as it is.
 */
export function withLoginSuggestion(view: ModalView, suggestion: string): ModalView {
  const blocks = (view.blocks as KnownBlock[]).map((block) => {
    if (block.type !== 'input' || block.block_id !== INPUT.login) return block;
    return {
      ...block,
      element: {
        ...block.element,
        placeholder: plain(`Suggested: ${suggestion} (leave empty to use it)`),
      },
    } as KnownBlock;
  });
  return {
    type: 'modal',
    callback_id: view.callback_id ?? CALLBACK.onboardModal,
    title: view.title,
    ...(view.submit ? { submit: view.submit } : {}),
    ...(view.close ? { close: view.close } : {}),
    ...(view.private_metadata ? { private_metadata: view.private_metadata } : {}),
    blocks,
  };
}

/** A modal with nothing to submit: progress, checks, failures. */
function infoModal(title: string, blocks: KnownBlock[]): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.progress,
    title: plain(title, 24),
    close: plain('Close', 24),
    blocks,
  };
}

/** Shown while the pipeline runs (the submission is acknowledged with it). */
export function progressView(name: string, channels: Channel[]): ModalView {
  const steps = STEPS.filter((s) => s === 'sip_user' || s === 'invite' || channels.includes(s));
  return infoModal('Onboarding', [
    section(`:hourglass_flowing_sand: *Onboarding ${esc(name)}…*`),
    section(steps.map((s) => `:white_circle: ${STEP_LABEL[s]}`).join('\n')),
    context('You can close this window: the result also arrives as a direct message.'),
  ]);
}

/** Shown for a moment while the bot checks who may onboard. */
export function checkingView(what = 'Checking that you may onboard people…'): ModalView {
  return infoModal('Onboard a member', [section(`:hourglass_flowing_sand: ${esc(what)}`)]);
}

/** The submission could not be recorded: nothing happened, and the person is told why. */
export function failureView(message: string): ModalView {
  return infoModal('Onboarding', [
    section(`:x: ${esc(message)}`),
    context('Try again in a minute; if it keeps failing, check the bot log.'),
  ]);
}

/** The modal's final state: the outcome of the pipeline. */
export function resultView(record: OnboardingRecord, now: Date, seal: Seal): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.progress,
    title: plain(
      record.state === 'failed'
        ? 'Onboarding failed'
        : record.state === 'scheduled'
          ? 'Onboarding scheduled'
          : 'Onboarding done',
      24,
    ),
    close: plain('Close', 24),
    blocks: resultBlocks(record, now, seal),
  };
}

/** Result of an onboarding for the requester (modal and DM). Never a secret. */
export function resultBlocks(record: OnboardingRecord, now: Date, seal: Seal): KnownBlock[] {
  const name = displayName(record.person);
  const blocks: KnownBlock[] = [];
  if (record.state === 'failed') {
    const step = record.failedStep ? record.steps[record.failedStep] : undefined;
    blocks.push(header(`Onboarding ${name} failed`));
    blocks.push(
      section(
        `:x: *${record.failedStep ? STEP_LABEL[record.failedStep] : 'A step'} failed:* ${esc(step?.reason ?? 'unknown reason')}` +
          (step?.fields
            ? `\n${Object.entries(step.fields)
                .map(([f, m]) => `• *${esc(fieldLabel(f))}*: ${esc(m)}`)
                .join('\n')}`
            : ''),
      ),
    );
    blocks.push(section(existsUpstream(record)));
  } else if (record.state === 'offboarded') {
    blocks.push(header(`${name} was offboarded`), section(offboardText(record)));
  } else if (record.state === 'scheduled') {
    blocks.push(header(`${name} is scheduled`));
  } else {
    blocks.push(header(`${name} is invited`));
  }
  blocks.push(
    section(
      `*Login:* ${code(record.person.login)}\n*E-mail:* ${code(record.person.email)}\n*Mobile:* ${code(record.person.phone)}\n` +
        `*Invite:* ${expiryText(record, now)}\n${deliveryLine(record, 'sms')}\n${deliveryLine(record, 'email')}`,
    ),
  );
  const buttons = recordButtons(record, seal);
  if (buttons.length > 0) blocks.push(actions(itemActionsBlockId(record.id), buttons));
  if (record.state === 'scheduled') {
    blocks.push(
      context(
        `The SIP user exists, so the login is reserved. The invite is created and the invitations go out ${record.startAt ? slackDate(record.startAt) : 'on the start date'}; Send now sends them today, Cancel removes the SIP user.`,
      ),
    );
  }
  if (record.state === 'failed') {
    blocks.push(
      context(
        'Retry runs the failed step again; steps that succeeded are not repeated. `/onboard status` shows every step.',
      ),
    );
  }
  return blocks;
}

export function resultText(record: OnboardingRecord): string {
  // The notification and preview text is mrkdwn too: user text goes through esc like in blocks.
  const name = esc(displayName(record.person));
  if (record.state === 'offboarded')
    return `${name} was offboarded (login ${code(record.person.login)}).`;
  if (record.state === 'scheduled')
    return `${name} is scheduled (login ${code(record.person.login)} reserved; the invitations go out later).`;
  return record.state === 'failed'
    ? `Onboarding ${name} failed at ${record.failedStep ? STEP_LABEL[record.failedStep] : 'a step'}.`
    : `${name} is invited (login ${code(record.person.login)}).`;
}

/** What exists upstream for a failed record, so nothing is orphaned silently. */
function existsUpstream(record: OnboardingRecord): string {
  const parts: string[] = [];
  parts.push(
    record.sipUser ? `SIP user \`${esc(record.sipUser.login)}\` exists` : 'no SIP user was created',
  );
  parts.push(record.invite ? 'the SIP user invite exists' : 'no SIP user invite was created');
  return `*In Opentact:* ${parts.join('; ')}.`;
}

const FIELD_LABELS: Record<string, string> = {
  'body.login': 'SIP login',
  login: 'SIP login',
  'body.email': 'E-mail',
  email: 'E-mail',
  'body.phone_number': 'Mobile number',
  phone_number: 'Mobile number',
  'body.first_name': 'First name',
  'body.last_name': 'Last name',
};
export const fieldLabel = (field: string) => FIELD_LABELS[field] ?? field;

/** Maps upstream field names onto the modal's blocks (for Edit and retry). */
export const UPSTREAM_FIELD_TO_INPUT: Record<string, (typeof INPUT)[keyof typeof INPUT]> = {
  'body.login': INPUT.login,
  login: INPUT.login,
  'body.email': INPUT.email,
  email: INPUT.email,
  'body.phone_number': INPUT.phone,
  phone_number: INPUT.phone,
  'body.first_name': INPUT.firstName,
  'body.last_name': INPUT.lastName,
};

/** The audit line in DIGEST_CHANNEL. */
export function auditLine(record: OnboardingRecord): string {
  const channels = record.channels.map((c) => CHANNEL_LABEL[c]).join(' + ') || 'no channel';
  const outcome =
    record.state === 'failed'
      ? `failed at ${record.failedStep ? STEP_LABEL[record.failedStep] : 'a step'}`
      : record.state === 'scheduled'
        ? `scheduled: SIP user created, invitations via ${channels} ${record.startAt ? slackDate(record.startAt) : 'later'}`
        : `invited via ${channels}`;
  return `<@${record.requestedBy}> onboarded *${esc(displayName(record.person))}* (${code(record.person.login)}): ${outcome}.`;
}

export { statusBlocks };
