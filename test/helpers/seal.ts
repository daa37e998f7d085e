import { Binder } from '../../src/slack/binding.ts';

/** A binder with a throw-away key, for rendering views in unit tests. */
const binder = new Binder('test-binding-secret');
export const testSeal = binder.seal.bind(binder);
