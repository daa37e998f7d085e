import { z } from 'zod';
import { CohortRunSchema } from '../onboarding/cohort/model.ts';
import {
  DriftItemSchema,
  JobRunSchema,
  OnboardingRecordSchema,
  OutboxLineSchema,
} from '../onboarding/model.ts';
import { StoreCorruptError } from './errors.ts';

/** The data file's own shape: the store's business, not the domain's. */
export const DatabaseSchema = z.object({
  version: z.literal(1),
  onboardings: z.array(OnboardingRecordSchema),
  jobs: z.record(z.string(), JobRunSchema).default({}),
  /** Upstream objects with no record here (found by reconciliation). */
  drift: z.array(DriftItemSchema).default([]),
  /** Cohort runs (CSV uploads) by id. */
  cohorts: z.record(z.string(), CohortRunSchema).default({}),
  /** Audit lines not posted yet, per channel, oldest first. */
  outbox: z.record(z.string(), z.array(OutboxLineSchema)).default({}),
});
export type Database = z.infer<typeof DatabaseSchema>;

export const emptyDatabase = (): Database => ({
  version: 1,
  onboardings: [],
  jobs: {},
  drift: [],
  cohorts: {},
  outbox: {},
});

/** The data file's content, validated; a file of another shape stops the start, untouched. */
export function validDatabase(file: string, data: unknown): Database {
  const parsed = DatabaseSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new StoreCorruptError(
    `${file} does not have the expected shape (${where}). It was left untouched; ` +
      'restore it from a backup or move it away to start with an empty store.',
  );
}
