import type pg from 'pg';
import { ARCHIVABLE_STATES } from '../../onboarding/policy.ts';
import { LIVE, sqlList } from './rows.ts';

const ARCHIVABLE = sqlList(ARCHIVABLE_STATES);
/** Records archived per statement, so a large backlog never meets the statement timeout. */
const ARCHIVE_BATCH = 1000;

/**
 * Moves closed records last changed before `before` out of the live set, in
 * batches; also forgets old claims of clicks and timed-job minutes.
 */
export async function archiveClosed(pool: pg.Pool, before: Date): Promise<number> {
  // Claims of clicks matter for Slack's 5-minute window only, those of the every-minute
  // timed job for that minute; keep a day of them.
  await pool.query(
    "DELETE FROM job_slots WHERE job IN ('click', 'timed') AND claimed_at < now() - interval '1 day'",
  );
  let moved = 0;
  for (;;) {
    // A row being updated right now is skipped (its change makes it recent anyway);
    // replicas archiving at once share the work instead of waiting for each other.
    const { rowCount } = await pool.query(
      `WITH due AS (
         SELECT id FROM onboardings
         WHERE ${LIVE} AND state IN (${ARCHIVABLE}) AND updated_at < $1
         ORDER BY updated_at LIMIT ${ARCHIVE_BATCH} FOR UPDATE SKIP LOCKED)
       UPDATE onboardings o SET archived_at = now() FROM due WHERE o.id = due.id`,
      [before.toISOString()],
    );
    moved += rowCount ?? 0;
    if ((rowCount ?? 0) < ARCHIVE_BATCH) return moved;
  }
}
