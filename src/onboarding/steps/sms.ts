import type { StepDef } from './step.ts';

/**
 * Step 3: the SMS invitation. SendSmsInvite has no look-up, so there is no
 * `find`: an attempt whose answer was lost stays "not confirmed" until an
 * admin chooses to resend.
 */
export const smsStep: StepDef<true> = {
  name: 'sms',
  label: 'SMS invitation',
  skip(record, providers) {
    if (!record.channels.includes('sms')) return 'not requested';
    if (!providers.usermgmt)
      return 'the SMS channel is not configured (USERMGMT_API_URL, USERMGMT_TOKEN)';
    return undefined;
  },
  async create({ record, providers }) {
    if (!record.sipUser) throw new Error('the SMS step needs the SIP user');
    await providers.usermgmt!.sendSmsInvite(record.sipUser.uuid);
    return true;
  },
  adopt: () => 'sent',
};
