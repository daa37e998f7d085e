import { Counter, Histogram, type Registry } from 'prom-client';
import { STEPS, type StepName } from '../onboarding/model.ts';
import type { DomainObserver, StepObservation } from '../onboarding/ports.ts';
import type { ApiName } from '../providers/http.ts';
import { PREFIX } from './prefix.ts';

/** The upstream API behind each step of the pipeline. */
export const STEP_API: Record<StepName, ApiName> = {
  sip_user: 'opentact',
  invite: 'opentact',
  sms: 'usermgmt',
  email: 'slyk',
};

const OUTCOMES: StepObservation['outcome'][] = ['done', 'failed', 'unknown', 'skipped'];

/** Step durations and outcomes, fed by the domain's observer port. */
export function stepMetrics(registry: Registry): DomainObserver {
  const duration = new Histogram({
    name: `${PREFIX}step_duration_seconds`,
    help: 'Time of one onboarding step attempt (upstream calls, look-ups and store writes), skipped steps excluded.',
    labelNames: ['step', 'api'] as const,
    // Upstream calls take tens of milliseconds to the 30 s total time-out of a call.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: `${PREFIX}step_outcomes_total`,
    help: 'Onboarding step attempts by outcome (done, failed, unknown: may have landed, skipped).',
    labelNames: ['step', 'api', 'outcome'] as const,
    registers: [registry],
  });
  // Every series exists from the start, so rate() and ratios work before the first failure.
  for (const step of STEPS) {
    const api = STEP_API[step];
    duration.zero({ step, api });
    for (const outcome of OUTCOMES) outcomes.inc({ step, api, outcome }, 0);
  }
  return {
    stepFinished({ step, outcome, seconds }) {
      const api = STEP_API[step];
      outcomes.inc({ step, api, outcome });
      if (outcome !== 'skipped') duration.observe({ step, api }, seconds);
    },
  };
}
