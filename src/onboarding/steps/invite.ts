import type { OpentactClient } from '../../providers/opentact.ts';
import { addDays } from '../clock.ts';
import type { StepDef } from './step.ts';

type Invite = { uuid: string; expiresAt: Date };

/**
 * Step 2: the SIP user invite. It is named after the SIP login: that is how it
 * is found again (resume, reconciliation, a lost answer).
 */
export const inviteStep: StepDef<Invite> = {
  name: 'invite',
  label: 'SIP user invite',
  async find({ record, providers, now }) {
    const found = await findInvite(providers.opentact, record.person.login);
    if (!found) return 'absent';
    return {
      found: {
        uuid: found.uuid,
        expiresAt: found.expiredOn ?? addDays(now(), record.lifetimeDays),
      },
    };
  },
  async create({ record, providers, now }) {
    const expiresAt = addDays(now(), record.lifetimeDays);
    const invite = await providers.opentact.createInvite({
      name: record.person.login,
      expiredOn: expiresAt,
    });
    return { uuid: invite.uuid, expiresAt: invite.expiredOn ?? expiresAt };
  },
  adopt(draft, value) {
    draft.invite = { uuid: value.uuid, expiresAt: value.expiresAt.toISOString() };
    return `expires ${value.expiresAt.toISOString()}`;
  },
};

export async function findInvite(opentact: OpentactClient, name: string) {
  const invites = await opentact.listInvites();
  return invites.find((invite) => invite.name === name);
}
