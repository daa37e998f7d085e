// htm bound to preact's h: tagged templates instead of JSX, so nothing needs a build step.
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);
