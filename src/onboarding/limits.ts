/**
 * How long an invite may live, in days: one limit for the form, INVITE_TTL_DAYS and Extend,
 * so a configured default can never be one the form then refuses.
 */
export const LIFETIME_DAYS = { min: 1, max: 90 } as const;
