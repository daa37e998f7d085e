/** The prefix of the bot's own metrics (process metrics keep their standard names). */
export const PREFIX = 'telephony_onboarding_';
