import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';

/**
 * Who may onboard and act on invitations: ONBOARDING_ADMINS when set,
 * otherwise workspace admins and owners (users.info), cached for a few
 * minutes so that acks stay fast.
 */
export class Authorizer {
  private readonly admins: Set<string>;
  private readonly client: WebClient;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, { allowed: boolean; until: number }>();

  constructor(admins: string[], client: WebClient, log: Logger, ttlMs = 5 * 60_000) {
    this.admins = new Set(admins);
    this.client = client;
    this.log = log;
    this.ttlMs = ttlMs;
  }

  get adminList(): string[] {
    return [...this.admins];
  }

  /** The answer without any call, when it is known. */
  known(userId: string): boolean | undefined {
    if (this.admins.size > 0) return this.admins.has(userId);
    const hit = this.cache.get(userId);
    return hit && hit.until > Date.now() ? hit.allowed : undefined;
  }

  async isAllowed(userId: string): Promise<boolean> {
    const known = this.known(userId);
    if (known !== undefined) return known;
    try {
      const result = await this.client.users.info({ user: userId });
      const user = result.user;
      const allowed = Boolean(
        user && !user.deleted && !user.is_bot && (user.is_admin || user.is_owner),
      );
      this.cache.set(userId, { allowed, until: Date.now() + this.ttlMs });
      return allowed;
    } catch (error) {
      // Without an answer nobody is let in.
      this.log.warn('users.info failed; treating the user as not authorised', errorFields(error));
      return false;
    }
  }
}
