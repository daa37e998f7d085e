import type { KnownBlock, ModalView } from '@slack/types';
import type { Digest } from '../../onboarding/digest.ts';
import { isDigestEmpty } from '../../onboarding/digest.ts';
import {
  CHANNEL_LABEL,
  displayName,
  type OnboardingRecord,
  STATES,
  STEP_LABEL,
} from '../../onboarding/model.ts';
import { isOpen } from '../../onboarding/policy.ts';
import type { Seal } from '../binding.ts';
import { CALLBACK, COMMAND } from '../ids.ts';
import { code, context, divider, esc, header, plain, section, user } from './blocks.ts';
import { itemBlocks, reminderText, STATE_BADGE, summaryLine } from './record.ts';

/** Slack allows 50 blocks in a message; keep room for the header and the summary. */
export const MESSAGE_BLOCK_LIMIT = 50;

export function helpText(admins: string[]): string {
  const who =
    admins.length > 0 ? admins.map((id) => `<@${id}>`).join(', ') : 'workspace admins and owners';
  return [
    `*${COMMAND}* onboards a new team member onto the company telephony.`,
    `• \`${COMMAND}\` — open the onboarding form (name, e-mail, mobile, SIP login, invite lifetime, channels)`,
    `• \`${COMMAND} list\` — pending invitations: who, how, expiry, state (scheduled ones too)`,
    `• \`${COMMAND} status <email | login>\` — one onboarding in full: every step, every delivery, the audit trail`,
    `• \`${COMMAND} offboard <email | login>\` — end a member's telephony access: deactivate (reversible) or remove their SIP user, close their open invites`,
    `• \`${COMMAND} digest\` — post the expiry digest now`,
    `• \`${COMMAND} bulk\` — onboard a cohort from one CSV file, with a preview before anything is created`,
    `• \`${COMMAND} export [open|all]\` — the onboardings as a CSV file, in your DM with the bot`,
    `• \`${COMMAND} help\` — this text`,
    `Who can use it: ${who}. Requesters (if configured) use \`${COMMAND}\` too: their onboarding waits for an admin's approval.`,
  ].join('\n');
}

export function refusalText(admins: string[]): string {
  const who =
    admins.length > 0 ? admins.map((id) => `<@${id}>`).join(', ') : 'workspace admins and owners';
  return `:lock: Only ${who} can onboard people or act on invitations. Ask one of them if someone needs telephony access.`;
}

export function refusalView(admins: string[]): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.refusal,
    title: plain('Onboard a member', 24),
    close: plain('Close', 24),
    blocks: [section(refusalText(admins))],
  };
}

/** `/onboard list`: open onboardings, soonest expiry first, within the block limit. */
export function listBlocks(records: readonly OnboardingRecord[], now: Date): KnownBlock[] {
  const open = records.filter(isOpen).sort((a, b) => expiryMs(a) - expiryMs(b));
  if (open.length === 0) return [section(':sparkles: No pending invitations.')];
  const blocks: KnownBlock[] = [header(`Pending invitations (${open.length})`)];
  // One section per item; each carries up to 10 lines to stay within the limit on long lists.
  const perSection = open.length > 40 ? 10 : 1;
  const room = MESSAGE_BLOCK_LIMIT - 2;
  let shown = 0;
  for (let i = 0; i < open.length && blocks.length < room; i += perSection) {
    const chunk = open.slice(i, i + perSection);
    blocks.push(section(chunk.map((r) => summaryLine(r, now)).join('\n')));
    shown += chunk.length;
  }
  if (shown < open.length) {
    blocks.push(
      context(
        `…and ${open.length - shown} more. Use \`${COMMAND} status <email | login>\` for one person.`,
      ),
    );
  }
  return blocks;
}

const expiryMs = (r: OnboardingRecord) =>
  r.invite ? Date.parse(r.invite.expiresAt) : Number.MAX_SAFE_INTEGER;

/**
 * The daily digest. Items (each two blocks) are added section by section until
 * the message limit; the rest is summarised with a pointer to `/onboard list`.
 */
export function digestBlocks(digest: Digest, timeZoneLabel: string, seal: Seal): KnownBlock[] {
  const now = digest.now;
  const counts = STATES.filter((s) => digest.counts[s] > 0)
    .map((s) => `${digest.counts[s]} ${s.replace('_', ' ')}`)
    .join(' · ');
  const blocks: KnownBlock[] = [
    header('Invitation digest'),
    context(`${counts || 'No onboardings yet'} · ${esc(timeZoneLabel)}`),
  ];
  if (isDigestEmpty(digest)) {
    blocks.push(
      section(
        `:white_check_mark: Nothing needs attention: ${digest.counts.pending} pending, none expiring soon, no failures.`,
      ),
    );
    return blocks;
  }
  const limit = MESSAGE_BLOCK_LIMIT - 2; // room for the closing summary
  let omitted = 0;
  const addSection = (title: string, items: { record: OnboardingRecord; extra: string }[]) => {
    if (items.length === 0) return;
    if (blocks.length + 3 > limit) {
      omitted += items.length;
      return;
    }
    blocks.push(divider(), section(`*${title}* (${items.length})`));
    for (const item of items) {
      const itemBlocksList = itemBlocks(item.record, now, seal, item.extra);
      if (blocks.length + itemBlocksList.length > limit) {
        omitted += 1;
        continue;
      }
      blocks.push(...itemBlocksList);
    }
  };
  /** A section of lines (the first 20 shown), whole or left out. */
  const addLines = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    if (blocks.length + 3 > limit) {
      omitted += lines.length;
      return;
    }
    blocks.push(
      divider(),
      section(
        `*${title}* (${lines.length})\n${lines.slice(0, 20).join('\n')}${lines.length > 20 ? `\n…and ${lines.length - 20} more` : ''}`,
      ),
    );
  };
  addSection(
    ':raised_hand: Waiting for approval',
    digest.awaitingApproval.map((record) => ({ record, extra: '' })),
  );
  addSection(
    ':alarm_clock: Expiring soon',
    digest.expiringSoon.map((record) => ({ record, extra: '' })),
  );
  addSection(
    ':hourglass: Expired since the last digest',
    digest.expiredSince.map((record) => ({ record, extra: 'Not used before it expired.' })),
  );
  addSection(
    ':calendar: Scheduled (invitations go out on the start date)',
    digest.scheduled.map((record) => ({ record, extra: '' })),
  );
  // Lines, not items: a reminded invite is often "expiring soon" too, and an item's block ids
  // may appear once per message.
  addLines(
    ':bell: Reminders sent since the last digest',
    digest.remindedSince.map(
      (r) => `• *${esc(displayName(r.person))}* (${code(r.person.login)}): ${reminderText(r)}`,
    ),
  );
  addSection(
    ':x: Failed or unconfirmed deliveries',
    digest.failedDeliveries.map((f) => ({
      record: f.record,
      extra: `${CHANNEL_LABEL[f.channel]} ${f.status === 'failed' ? 'failed' : 'not confirmed'}: ${esc(f.reason)}`,
    })),
  );
  addSection(
    ':warning: Failed onboardings',
    digest.failed.map((record) => ({
      record,
      extra: `${record.failedStep ? STEP_LABEL[record.failedStep] : 'A step'} failed: ${esc(record.failedStep ? (record.steps[record.failedStep].reason ?? '') : '')}`,
    })),
  );
  const drift = [
    ...digest.drift.records.map(
      (r) => `• *${esc(displayName(r.person))}* (${code(r.person.login)}): ${esc(r.drift ?? '')}`,
    ),
    ...digest.drift.upstream.map(
      (d) =>
        `• ${d.api === 'opentact' ? 'Opentact' : 'Slyk'}: ${esc(d.what)} (${d.kind === 'upstream-only' ? 'exists upstream, no record here' : 'recorded here, gone upstream'})`,
    ),
  ];
  addLines(':mag: Drift between the records and upstream', drift);
  if (omitted > 0) {
    blocks.push(
      context(
        `…and ${omitted} more item${omitted === 1 ? '' : 's'} not shown. See \`${COMMAND} list\`.`,
      ),
    );
  }
  blocks.push(
    context(
      `${digest.counts.pending} pending in total. Buttons act on one invitation; the message shows who did what.`,
    ),
  );
  return blocks;
}

export function digestText(digest: Digest): string {
  const reminded =
    digest.remindedSince.length > 0 ? `, ${digest.remindedSince.length} reminded` : '';
  return `Invitation digest: ${digest.awaitingApproval.length ? `${digest.awaitingApproval.length} waiting for approval, ` : ''}${digest.expiringSoon.length} expiring soon, ${digest.expiredSince.length} expired${reminded}, ${digest.failedDeliveries.length} failed deliveries, ${digest.counts.pending} pending.`;
}

/** The Home tab. */
export function homeBlocks(
  isAdmin: boolean,
  recent: readonly OnboardingRecord[],
  digest: Digest | undefined,
  admins: string[],
  seal: Seal,
): KnownBlock[] {
  if (!isAdmin || !digest) {
    return [
      header('Telephony onboarding'),
      section(
        'This bot sets up new team members on the company telephony: it creates their SIP account and sends them an invitation by SMS and e-mail, then keeps track of it until it is used.',
      ),
      section(refusalText(admins)),
    ];
  }
  const now = digest.now;
  const counts = STATES.map((s) => `${STATE_BADGE[s]}: *${digest.counts[s]}*`).join('\n');
  const blocks: KnownBlock[] = [
    header('Telephony onboarding'),
    section(counts),
    context(`Use \`${COMMAND}\` to onboard someone. \`${COMMAND} help\` lists everything.`),
  ];
  const limit = 100 - 4; // Home tabs allow 100 blocks.
  // An item's block ids may appear once per view: a record already shown is not shown again.
  const shown = new Set<string>();
  const add = (title: string, all: readonly OnboardingRecord[], max: number) => {
    const list = all.filter((r) => !shown.has(r.id));
    if (list.length === 0) return;
    blocks.push(divider(), section(`*${title}* (${list.length})`));
    for (const record of list.slice(0, max)) {
      shown.add(record.id);
      const items = itemBlocks(record, now, seal);
      if (blocks.length + items.length > limit) break;
      blocks.push(...items);
    }
    if (list.length > max)
      blocks.push(context(`…and ${list.length - max} more (\`${COMMAND} list\`).`));
  };
  add(':raised_hand: Waiting for approval', digest.awaitingApproval, 10);
  add(':alarm_clock: Expiring soon', digest.expiringSoon, 10);
  add(':x: Failed deliveries', [...new Set(digest.failedDeliveries.map((f) => f.record))], 10);
  add(':warning: Failed onboardings', digest.failed, 5);
  add(':calendar: Scheduled', digest.scheduled, 10);
  add(':new: Latest onboardings', recent, 10);
  return blocks;
}

export function requesterLabel(record: OnboardingRecord): string {
  return `invited by ${user(record.requestedBy)}`;
}
