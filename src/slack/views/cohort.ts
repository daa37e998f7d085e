import type { Button, KnownBlock, ModalView } from '@slack/types';
import type { CohortRun, CohortTally } from '../../onboarding/cohort/model.ts';
import { CHANNEL_LABEL, type Channel } from '../../onboarding/model.ts';
import type { Seal } from '../binding.ts';
import { COLUMNS_HELP } from '../cohort/csv.ts';
import type { InvalidRow } from '../cohort/plan.ts';
import { ACTION, actionId, CALLBACK, COHORT_INPUT } from '../ids.ts';
import { actions, button, clip, context, esc, plain, section } from './blocks.ts';

/** Lines listed in a view before "and N more" (Block Kit: 3,000 characters a section). */
const LIST_MAX = 25;

/** `/onboard bulk`: one CSV, uploaded or pasted. */
export function uploadModal(maxRows: number, notice?: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.cohortUpload,
    title: plain('Onboard a cohort', 24),
    submit: plain('Check the file', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        `Upload one CSV file (or paste it below) with a header row and one row per person, up to ${maxRows} rows. ${esc(COLUMNS_HELP)} Nothing is created before you confirm.`,
      ),
      ...(notice ? [context(notice)] : []),
      {
        type: 'input',
        block_id: COHORT_INPUT.file,
        optional: true,
        label: plain('CSV file'),
        element: {
          type: 'file_input',
          action_id: `${COHORT_INPUT.file}_input`,
          filetypes: ['csv', 'txt'],
          max_files: 1,
        },
      },
      {
        type: 'input',
        block_id: COHORT_INPUT.text,
        optional: true,
        label: plain('…or paste the CSV here'),
        element: {
          type: 'plain_text_input',
          action_id: `${COHORT_INPUT.text}_input`,
          multiline: true,
          max_length: 3000,
          placeholder: plain('first_name,last_name,email,mobile'),
        },
      },
    ],
  };
}

/** A file that cannot be used: what is wrong; closing it goes back to the upload form. */
export function problemView(problem: string): ModalView {
  return {
    type: 'modal',
    title: plain('Onboard a cohort', 24),
    close: plain('Back', 24),
    blocks: [
      section(`:x: Nothing was created: ${esc(problem)}`),
      context('Go back to choose another file or paste the CSV.'),
    ],
  };
}

const rowLines = (lines: string[]) =>
  lines.length > LIST_MAX
    ? [...lines.slice(0, LIST_MAX), `…and ${lines.length - LIST_MAX} more`]
    : lines;

export const problemLines = (invalid: InvalidRow[]) =>
  invalid.flatMap((row) => row.problems.map((p) => `Row ${row.line}, ${p.column}: ${p.message}`));

/** What the upload will do, with the button that starts it (the run is a recorded draft). */
export function previewModal(
  run: CohortRun,
  invalid: InvalidRow[],
  metadata: string,
  enabled: Channel[],
): ModalView {
  const toOnboard = run.rows.filter((r) => r.request);
  const skipped = run.rows.filter((r) => r.skipped && !r.invalid);
  const used = new Set(toOnboard.flatMap((r) => r.request?.channels ?? []));
  const through = enabled.filter((c) => used.has(c)).map((c) => CHANNEL_LABEL[c]);
  const blocks: KnownBlock[] = [
    section(
      toOnboard.length > 0
        ? `*${toOnboard.length} ${toOnboard.length === 1 ? 'person' : 'people'}* will be onboarded${through.length ? `, invited by ${through.join(' and ')}` : ''}.`
        : '*Nobody* would be onboarded from this file.',
    ),
  ];
  if (skipped.length > 0) {
    const lines = skipped.map((r) => `Row ${r.row} · ${esc(r.name)}: ${esc(r.skipped ?? '')}`);
    blocks.push(section(clip(`*${skipped.length} skipped:*\n${rowLines(lines).join('\n')}`, 3000)));
  }
  if (invalid.length > 0) {
    const lines = problemLines(invalid).map(esc);
    blocks.push(
      section(
        clip(
          `*${invalid.length} invalid ${invalid.length === 1 ? 'row' : 'rows'}:*\n${rowLines(lines).join('\n')}`,
          3000,
        ),
      ),
      {
        type: 'input',
        block_id: COHORT_INPUT.skip,
        optional: true,
        label: plain('Invalid rows'),
        element: {
          type: 'checkboxes',
          action_id: `${COHORT_INPUT.skip}_input`,
          options: [
            {
              text: plain(`Skip the ${invalid.length} invalid rows and onboard the others`, 75),
              value: 'skip',
            },
          ],
        },
      },
    );
  }
  return {
    type: 'modal',
    callback_id: CALLBACK.cohortConfirm,
    title: plain('Onboard a cohort', 24),
    ...(toOnboard.length > 0 ? { submit: plain(`Onboard ${toOnboard.length}`, 24) } : {}),
    close: plain(toOnboard.length > 0 ? 'Cancel' : 'Close', 24),
    private_metadata: metadata,
    notify_on_close: true,
    blocks,
  };
}

/** A bar of 20 cells: ▓ done, ░ to do. */
export function progressBar(done: number, total: number): string {
  const cells = total === 0 ? 20 : Math.round((done / total) * 20);
  return `${'▓'.repeat(cells)}${'░'.repeat(20 - cells)}`;
}

export function progressText(tally: CohortTally): string {
  return `Onboarding a cohort: ${tally.done}/${tally.total} done, ${tally.failed} failed so far.`;
}

/** The message updated in place while a run goes. */
export function progressBlocks(run: CohortRun, tally: CohortTally): KnownBlock[] {
  const what = run.retrying ? 'Retrying the failed rows of a cohort' : 'Onboarding a cohort';
  return [
    section(`*${what}* · ${tally.total} ${tally.total === 1 ? 'person' : 'people'}`),
    section(`\`${progressBar(tally.done, tally.total)}\`  ${tally.done}/${tally.total}`),
    context(
      `${tally.invited} invited · ${tally.failed} failed so far${tally.skipped ? ` · ${tally.skipped} skipped` : ''}`,
    ),
  ];
}

export type SummaryLine = { row: number; name: string; reason: string };

export function summaryText(tally: CohortTally): string {
  return `Cohort finished: ${tally.invited} invited, ${tally.skipped} skipped, ${tally.failed} failed.`;
}

/** The end of a run: counts, each failure and skip with its row, and Retry failed. */
export function summaryBlocks(
  run: CohortRun,
  tally: CohortTally,
  failures: SummaryLine[],
  seal: Seal,
): KnownBlock[] {
  const line = (l: SummaryLine) => `Row ${l.row} · ${esc(l.name)}: ${esc(l.reason)}`;
  const skipped = run.rows
    .filter((r) => r.skipped)
    .map((r) => line({ row: r.row, name: r.name, reason: r.skipped ?? '' }));
  const blocks: KnownBlock[] = [
    section(
      `*Cohort finished:* ${tally.invited} invited, ${tally.skipped} skipped, ${tally.failed} failed.`,
    ),
  ];
  if (failures.length > 0)
    blocks.push(section(clip(`*Failed:*\n${rowLines(failures.map(line)).join('\n')}`, 3000)));
  if (skipped.length > 0)
    blocks.push(section(clip(`*Skipped:*\n${rowLines(skipped).join('\n')}`, 3000)));
  blocks.push(context('Every row, with its state and deliveries, is in the results file below.'));
  if (failures.length > 0) {
    const retry: Button = button(
      `Retry ${failures.length} failed`,
      actionId(ACTION.cohortRetry, run.id),
      seal(ACTION.cohortRetry, run.id),
      'primary',
    );
    blocks.push(actions(`cohort:${run.id}`, [retry]));
  }
  return blocks;
}
