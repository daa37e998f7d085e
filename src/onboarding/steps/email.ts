import { isInviteUsable, type SlykClient } from '../../providers/slyk.ts';
import { classify } from '../errors.ts';
import type { StepDef, StepRun } from './step.ts';

/**
 * Step 4: the e-mail invitation — a Slyk invite for the address, then Slyk's
 * send. The invite is found again by address, so creating it is safe to
 * repeat; the send is not. An attempt interrupted before `sending` never sent
 * anything; after it, only an invite Slyk reports accepted proves the send
 * landed (a pending invite says nothing either way).
 */
export const emailStep: StepDef<{ code: string }> = {
  name: 'email',
  label: 'e-mail invitation',
  effectStage: 'sending',
  skip(record, providers) {
    if (!record.channels.includes('email')) return 'not requested';
    if (!providers.slyk) return 'the e-mail channel is not configured (SLYK_API_KEY)';
    return undefined;
  },
  async find({ record, providers }) {
    if (!record.slykCode) return 'unknown';
    const invite = await providers.slyk!.getInvite(record.slykCode);
    return invite.status === 'accepted' ? { found: { code: invite.code } } : 'unknown';
  },
  async create(run) {
    const slyk = run.providers.slyk!;
    const code = await ensureInvite(slyk, run);
    // The invite's code and "sending" in one write, before the send: a crash before it leaves a
    // created invite unrecorded, which the next attempt finds by address (pendingFor).
    await run.checkpoint('sending', (draft) => {
      draft.slykCode = code;
    });
    await slyk.sendInvites({ email: run.record.person.email });
    return { code };
  },
  adopt(draft, value) {
    draft.slykCode = value.code;
    return 'sent';
  },
};

/** The record's usable Slyk invite, or a pending one for the address, or a new one (not saved yet). */
async function ensureInvite(slyk: SlykClient, run: StepRun): Promise<string> {
  const { record } = run;
  const email = record.person.email;
  if (record.slykCode) {
    const current = await slyk.getInvite(record.slykCode);
    if (isInviteUsable(current, run.now())) return current.code;
  }
  // A first attempt has nothing to find; a repeated one may have created the invite already.
  const repeated = record.steps.email.attempts > 1 || record.slykCode !== undefined;
  let code = repeated ? await pendingFor(slyk, email) : undefined;
  if (!code) {
    try {
      code = (await slyk.createInvite({ email })).code;
    } catch (error) {
      if (classify(error) === 'failed') throw error;
      code = await pendingFor(slyk, email);
      if (!code) throw error;
    }
  }
  return code;
}

async function pendingFor(slyk: SlykClient, email: string): Promise<string | undefined> {
  const page = await slyk.listInvites({
    filter: { invitedEmail: email, status: 'pending' },
    sort: '-createdAt',
  });
  return page.data[0]?.code;
}
