import type { SipUser } from '../../providers/opentact.ts';
import type { OnboardingRecord } from '../model.ts';
import type { StepDef, StepRun } from './step.ts';

/** Step 1: the SIP user on the configured connection. Found again by its login and e-mail. */
export const sipUserStep: StepDef<{ uuid: string }> = {
  name: 'sip_user',
  label: 'SIP user',
  async find(run: StepRun) {
    const user = await findSipUser(run);
    return user ? { found: { uuid: user.uuid } } : 'absent';
  },
  async create({ record, providers }) {
    const { person } = record;
    // No password is passed: the client generates the UUID-shaped one the document asks for,
    // sends it once and keeps it nowhere (the invite is how the person gets in).
    const user = await providers.opentact.createSipUser({
      login: person.login,
      first_name: person.firstName,
      last_name: person.lastName,
      email: person.email,
      phone_number: person.phone,
    });
    return { uuid: user.uuid };
  },
  adopt(draft: OnboardingRecord, value) {
    draft.sipUser = { uuid: value.uuid, login: draft.person.login, active: true, removed: false };
    return draft.person.login;
  },
};

async function findSipUser({ record, providers }: StepRun): Promise<SipUser | undefined> {
  const users = await providers.opentact.listSipUsers();
  const login = record.person.login.toLowerCase();
  const email = record.person.email.toLowerCase();
  // Ours only if the e-mail we sent matches: a login taken by someone else is never adopted.
  return users.find((u) => u.login.toLowerCase() === login && u.email?.toLowerCase() === email);
}
