import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';

/** What someone may do: onboard and act (admin), ask for an onboarding (requester), nothing. */
export type Role = 'admin' | 'requester' | 'none';

export type Requesters = { users: readonly string[]; groups: readonly string[] };

/**
 * Who may onboard and act on invitations: ONBOARDING_ADMINS when set,
 * otherwise workspace admins and owners (users.info), cached for a few
 * minutes so that acks stay fast. Requesters (ONBOARDING_REQUESTERS) are
 * users, or members of user groups (usergroups.users.list, cached likewise).
 */
export class Authorizer {
  private readonly admins: Set<string>;
  private readonly client: WebClient;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, { allowed: boolean; until: number }>();
  private readonly requesters: Set<string>;
  private readonly groups: readonly string[];
  private readonly groupCache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    admins: string[],
    client: WebClient,
    log: Logger,
    ttlMs = 5 * 60_000,
    requesters: Requesters = { users: [], groups: [] },
  ) {
    this.admins = new Set(admins);
    this.requesters = new Set(requesters.users);
    this.groups = [...requesters.groups];
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

  /** Whether anyone besides the admins may ask for onboardings. */
  get hasRequesters(): boolean {
    return this.requesters.size > 0 || this.groups.length > 0;
  }

  /** The role without any call, when it is known. */
  knownRole(userId: string): Role | undefined {
    const admin = this.known(userId);
    if (admin) return 'admin';
    if (admin === undefined) return undefined;
    return this.knownRequester(userId);
  }

  async role(userId: string): Promise<Role> {
    if (await this.isAllowed(userId)) return 'admin';
    return (await this.isRequester(userId)) ? 'requester' : 'none';
  }

  private knownRequester(userId: string): Role | undefined {
    if (this.requesters.has(userId)) return 'requester';
    let unknown = false;
    for (const group of this.groups) {
      const hit = this.groupCache.get(group);
      if (!hit || hit.until <= Date.now()) unknown = true;
      else if (hit.members.has(userId)) return 'requester';
    }
    return unknown ? undefined : 'none';
  }

  private async isRequester(userId: string): Promise<boolean> {
    if (this.requesters.has(userId)) return true;
    for (const group of this.groups) {
      if ((await this.members(group)).has(userId)) return true;
    }
    return false;
  }

  private async members(group: string): Promise<Set<string>> {
    const hit = this.groupCache.get(group);
    if (hit && hit.until > Date.now()) return hit.members;
    try {
      const result = await this.client.usergroups.users.list({ usergroup: group });
      const members = new Set(result.users ?? []);
      this.groupCache.set(group, { members, until: Date.now() + this.ttlMs });
      return members;
    } catch (error) {
      // Without an answer nobody is let in through that group (a later request asks again).
      this.log.warn(
        `usergroups.users.list failed for ${group}; treating its members as not requesters`,
        errorFields(error),
      );
      return new Set();
    }
  }
}
