import type { Core } from '../core.ts';
import { ActionRefused } from '../errors.ts';
import type { OnboardingRecord } from '../model.ts';
import { approverRefusal, assertAllowed } from '../policy.ts';
import { decideApproval } from '../record.ts';
import { clashes } from '../uniqueness.ts';

/**
 * Approves a request: the record becomes `provisioning`, as if an admin had
 * submitted the form, and the caller runs it through the pipeline (admission
 * control). The login and e-mail are checked again: another onboarding may
 * have taken them while the request waited. Durable when it resolves; a crash
 * right after leaves a provisioning record that resumes at the next start.
 */
export function approve(core: Core, id: string, by: string): Promise<OnboardingRecord> {
  return core.perform(id, async (record) => {
    assertAllowed(record, 'approve');
    const notYou = approverRefusal(record, by);
    if (notYou) throw new ActionRefused(notYou);
    const clash = await clashes(core.store, record.person, { id });
    const problems = [clash.login, clash.email].filter(Boolean);
    if (problems.length > 0)
      throw new ActionRefused(
        `Not approved: ${problems.join(' ')} Reject this request, or sort out the other onboarding first.`,
      );
    const at = core.nowIso();
    return core.update(id, (draft) => {
      draft.state = 'provisioning';
      decideApproval(draft, 'approved', by, at);
      draft.audit.push({
        at,
        by,
        action: 'approved',
        detail: `requested by ${record.requestedBy}`,
      });
    });
  });
}
