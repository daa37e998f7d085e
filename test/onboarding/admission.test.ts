import { expect, test } from 'vitest';
import { Admission } from '../../src/onboarding/admission.ts';

test('a single onboarding waiting for a slot goes before the cohort rows waiting in the background', async () => {
  const admission = new Admission(2);
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const job = (name: string) => () =>
    new Promise<void>((resolve) => {
      order.push(name);
      gates.push(resolve);
    });
  const running = [
    admission.run(job('row1'), 'background'),
    admission.run(job('row2'), 'background'),
    admission.run(job('row3'), 'background'),
    admission.run(job('row4'), 'background'),
  ];
  await Promise.resolve();
  const single = admission.run(job('single'));
  expect(admission.depth).toMatchObject({ inFlight: 2, waiting: 1, background: 2 });
  gates.shift()!(); // row1 done: the freed slot goes to the single onboarding, not to row3
  await new Promise((r) => setTimeout(r, 0));
  expect(order).toEqual(['row1', 'row2', 'single']);
  while (gates.length > 0) {
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  }
  await Promise.all([...running, single]);
  expect(order).toEqual(['row1', 'row2', 'single', 'row3', 'row4']);
});
