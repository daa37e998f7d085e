import type { Core } from '../core.ts';
import type { OnboardingRecord } from '../model.ts';
import { assertAllowed } from '../policy.ts';
import { decideApproval } from '../record.ts';

/** Turns a request down: nothing is created upstream; the reason (optional) is kept for the requester. */
export function reject(
  core: Core,
  id: string,
  by: string,
  reason?: string | undefined,
): Promise<OnboardingRecord> {
  return core.perform(id, async (record) => {
    assertAllowed(record, 'reject');
    const at = core.nowIso();
    const why = reason?.trim() || undefined;
    return core.update(id, (draft) => {
      draft.state = 'rejected';
      decideApproval(draft, 'rejected', by, at, why);
      draft.audit.push({ at, by, action: 'rejected', ...(why ? { detail: why } : {}) });
    });
  });
}
