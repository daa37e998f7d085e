import { z } from 'zod';
import { CHANNELS, PersonSchema } from '../model.ts';

/**
 * A cohort run: one CSV upload, its rows and where its progress is shown. It
 * is recorded before anything is created and after every change of state, so
 * a restart resumes it where it was; each row's onboarding has the submission
 * key `cohort:<run id>:<row>`, so no row is ever created twice.
 */

const iso = z.string().datetime({ offset: true });

export const CohortRowSchema = z.object({
  /** The row's line in the file (the header is line 1). */
  row: z.number().int().positive(),
  name: z.string(),
  email: z.string(),
  /** What the row asks for, while the run is a draft (cleared once its record exists). */
  request: z
    .object({
      person: PersonSchema,
      lifetimeDays: z.number().int().positive(),
      channels: z.array(z.enum(CHANNELS)),
      /** A start date ahead: the row waits `scheduled` until then. */
      startAt: iso.optional(),
    })
    .optional(),
  recordId: z.string().optional(),
  /** Why the row was not onboarded (a duplicate, an invalid row the admin chose to skip). */
  skipped: z.string().optional(),
  /** Skipped because the form's rules refused it (the admin chose to skip invalid rows). */
  invalid: z.boolean().optional(),
});
export type CohortRow = z.infer<typeof CohortRowSchema>;

export const COHORT_STATES = ['draft', 'running', 'done', 'discarded'] as const;

export const CohortRunSchema = z.object({
  id: z.string(),
  requestedBy: z.string(),
  createdAt: iso,
  updatedAt: iso,
  state: z.enum(COHORT_STATES),
  rows: z.array(CohortRowSchema),
  /** Where the progress message lives (its channel and ts), once posted. */
  progress: z.object({ channel: z.string(), ts: z.string() }).optional(),
  startedAt: iso.optional(),
  finishedAt: iso.optional(),
  /** Set while failed rows are being retried, cleared when they are done. */
  retrying: z.boolean().optional(),
});
export type CohortRun = z.infer<typeof CohortRunSchema>;

/** How far a run is: rows with a record that has left `provisioning` are done. */
export type CohortTally = {
  total: number;
  done: number;
  invited: number;
  failed: number;
  skipped: number;
};
