import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../onboarding/clock.ts';
import type { OnboardingService } from '../onboarding/service.ts';
import type { Authorizer } from './authz.ts';
import type { Binder } from './binding.ts';
import type { DialogMemory } from './listeners/actions/container.ts';
import type { Notifier } from './notifier.ts';

/** What the listeners need; built once in app.ts. */
export type SlackContext = {
  config: Config;
  service: OnboardingService;
  logger: Logger;
  clock: Clock;
  authz: Authorizer;
  notifier: Notifier;
  /**
   * The Web API client of every call the bot makes (web-client.ts). Bolt's per-request `client`
   * is another instance (a pooled library client per team id), so listeners take this one.
   */
  slack: WebClient;
  /** Seals and checks the record ids behind buttons and dialogs. */
  binder: Binder;
  /** Clicked messages' blocks while a dialog about them is open. */
  dialogs: DialogMemory;
  /** Posts the digest now (the jobs module provides it). */
  postDigest: (requestedBy: string) => Promise<{
    posted: boolean;
    channel?: string | undefined;
    text: string;
    blocks: KnownBlock[];
  }>;
};
