import { createLogger } from '../../src/log.ts';
import { systemClock } from '../../src/onboarding/clock.ts';
import type { Person } from '../../src/onboarding/model.ts';
import type { Providers } from '../../src/onboarding/ports.ts';
import type { OnboardingRequest } from '../../src/onboarding/record.ts';
import { OnboardingService } from '../../src/onboarding/service.ts';
import { createOpentactClient } from '../../src/providers/opentact.ts';
import { createSlykClient } from '../../src/providers/slyk.ts';
import { createUserMgmtClient } from '../../src/providers/usermgmt.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { Store } from '../../src/store/store.ts';
import { tempDataFile } from '../helpers/records.ts';

/** Short time-outs so a late answer is a time-out here; one retry for idempotent calls. */
export const FAST_HTTP = {
  timeoutMs: 300,
  totalTimeoutMs: 3_000,
  retries: 1,
  backoffLimitMs: 20,
  maxRetryAfterMs: 1_500,
};

export type Domain = {
  world: World;
  store: Store;
  service: OnboardingService;
  providers: Providers;
  /** What each simulator holds for one person, to prove nothing was doubled. */
  counts(person: Person): { sipUsers: number; invites: number; sms: number; emails: number };
  /** A new service over the same store file, as after a restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
};

export function providersFor(world: World): Providers {
  return {
    opentact: createOpentactClient({
      baseUrl: world.opentact.server.url,
      token: SANDBOX.opentactToken,
      sipConnectionUuid: SANDBOX.connection,
      sipDomain: SANDBOX.domain,
      http: FAST_HTTP,
    }),
    usermgmt: createUserMgmtClient({
      baseUrl: world.usermgmt.url,
      token: SANDBOX.usermgmtToken,
      http: FAST_HTTP,
    }),
    slyk: createSlykClient({
      baseUrl: world.slyk.url,
      apiKey: SANDBOX.slykApiKey,
      http: FAST_HTTP,
    }),
  };
}

export async function startDomain(): Promise<Domain> {
  const world = await startWorld();
  const file = tempDataFile();
  const providers = providersFor(world);
  const make = (store: Store) =>
    new OnboardingService({ store, providers, clock: systemClock, logger: createLogger('error') });
  const domain: Domain = {
    world,
    store: await Store.open(file),
    service: undefined as never,
    providers,
    counts(person) {
      const users = [...world.opentact.state.users.values()].filter(
        (u) => u.login === person.login,
      );
      const ids = new Set(users.map((u) => u.uuid));
      return {
        sipUsers: users.length,
        invites: [...world.opentact.state.invites.values()].filter((i) => i.name === person.login)
          .length,
        sms: world.usermgmt.sent.filter((s) => ids.has(s.id)).length,
        emails: world.slyk.outbox.filter((m) => m.email === person.email).length,
      };
    },
    async restart() {
      await domain.store.close();
      domain.store = await Store.open(file);
      domain.service = make(domain.store);
    },
    async close() {
      await domain.store.close();
      await world.close();
    },
  };
  domain.service = make(domain.store);
  return domain;
}

let counter = 0;

/** A distinct person and request each call. */
export function request(overrides: Partial<OnboardingRequest> = {}): OnboardingRequest {
  counter += 1;
  const n = String(counter).padStart(3, '0');
  return {
    submissionKey: `VSUB${n}${Date.now()}`,
    requestedBy: SANDBOX.admin,
    person: {
      firstName: 'Ada',
      lastName: `Lovelace${n}`,
      email: `ada${n}.${Date.now() % 100000}@example.com`,
      phone: `+4915112345${n}`,
      login: `ada.l${n}${Date.now() % 1000}`.slice(0, 15),
    },
    lifetimeDays: 7,
    channels: ['sms', 'email'],
    ...overrides,
  };
}
