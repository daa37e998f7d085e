import { displayName, type OnboardingRecord, type Person } from './model.ts';
import { isOpen } from './policy.ts';
import type { RecordStore } from './ports.ts';

/**
 * Which onboarding already uses a person's SIP login or e-mail. Open records
 * count (a request waiting for approval among them), and an accepted or
 * offboarded one whose SIP user still exists (deactivated) holds its login; a failed one without a SIP user holds
 * nothing. Asked when a request is made and again when it is approved.
 */
export type Except = { id?: string | undefined; submissionKey?: string | undefined };

export async function loginClash(
  store: RecordStore,
  login: string,
  except: Except = {},
): Promise<OnboardingRecord | undefined> {
  // Both at once: on a database, the submission's ack waits for them (two round trips in one).
  const [open, newest] = await Promise.all([
    store.findOpen({ login }),
    store.findByEmailOrLogin(login),
  ]);
  const candidates = [...open];
  if (newest && newest.person.login.toLowerCase() === login.toLowerCase()) candidates.push(newest);
  return candidates.find(
    (r) =>
      !excepted(r, except) &&
      (isOpen(r) ||
        ((r.state === 'accepted' || r.state === 'offboarded') && !r.sipUser?.removed)) &&
      !(r.state === 'failed' && !r.sipUser),
  );
}

/** An open onboarding for the same e-mail (two requests for one person are one too many). */
export async function emailClash(
  store: RecordStore,
  email: string,
  except: Except = {},
): Promise<OnboardingRecord | undefined> {
  const open = await store.findOpen({ email });
  return open.find(
    (r) =>
      !excepted(r, except) &&
      r.person.email.toLowerCase() === email.toLowerCase() &&
      !(r.state === 'failed' && !r.sipUser),
  );
}

/** Both checks; each problem as a sentence keyed by the field it is about. */
export async function clashes(
  store: RecordStore,
  person: Person,
  except: Except = {},
): Promise<{ login?: string; email?: string }> {
  const [login, email] = await Promise.all([
    loginClash(store, person.login, except),
    emailClash(store, person.email, except),
  ]);
  return {
    ...(login
      ? {
          login: `${person.login} is already used for ${displayName(login.person)} (${login.state}).`,
        }
      : {}),
    ...(email
      ? {
          email: `${person.email} already has an onboarding: ${displayName(email.person)} (${email.state}).`,
        }
      : {}),
  };
}

const excepted = (r: OnboardingRecord, except: Except) =>
  r.id === except.id ||
  (except.submissionKey !== undefined && r.submissionKey === except.submissionKey);
