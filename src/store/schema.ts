import { z } from 'zod';
import { CohortRunSchema } from '../onboarding/cohort/model.ts';
import { DriftItemSchema, JobRunSchema, OnboardingRecordSchema } from '../onboarding/model.ts';

/** The data file's own shape: the store's business, not the domain's. */
export const DatabaseSchema = z.object({
  version: z.literal(1),
  onboardings: z.array(OnboardingRecordSchema),
  jobs: z.record(z.string(), JobRunSchema).default({}),
  /** Upstream objects with no record here (found by reconciliation). */
  drift: z.array(DriftItemSchema).default([]),
  /** Cohort runs (CSV uploads) by id. */
  cohorts: z.record(z.string(), CohortRunSchema).default({}),
});
export type Database = z.infer<typeof DatabaseSchema>;

export const emptyDatabase = (): Database => ({
  version: 1,
  onboardings: [],
  jobs: {},
  drift: [],
  cohorts: {},
});
