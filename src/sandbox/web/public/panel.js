// The side panel: what each upstream API received (the server masks every
// secret before it reaches the page), Slack's refusals of the bot's calls,
// and the sandbox's switches.
import { useState } from 'preact/hooks';
import { html } from './html.js';

const API_CLASS = { Opentact: 'api-opentact', UserMgmt: 'api-usermgmt', Slyk: 'api-slyk' };
/** Refusals a bot expects and handles: shown, but not as alarms. */
export const BENIGN = { hash_conflict: 'expected: a newer update of the view won' };
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

function Call({ c }) {
  const [open, setOpen] = useState(false);
  // Shown decoded, as one reads it (the server masked secret values already).
  const pairs = Object.entries(c.query).map(([k, v]) => `${k}=${v}`);
  const query = pairs.length ? `?${pairs.join('&')}` : '';
  const failed = c.status === 0 || c.status >= 400;
  return html`<li class="call" data-testid="upstream-call" data-api=${c.api}>
    <button class="call-line" onClick=${() => setOpen(!open)} title="Show the body">
      <span class=${`api ${API_CLASS[c.api] ?? ''}`}>${c.api}</span>
      <span class="method">${c.method}</span>
      <span class="path">${c.path}${query}</span>
      <span class=${`status ${failed ? 'bad' : 'good'}`}>${c.status || 'reset'}</span>
    </button>
    ${open && c.body !== undefined && html`<pre class="call-body" data-testid="upstream-body">${JSON.stringify(c.body, null, 2)}</pre>`}
  </li>`;
}

function Switches({ state, flip, busy }) {
  const latency = state.switches.latencyMs;
  return html`<div class="switches">
    <button class="btn small" data-testid="switch-accept" disabled=${busy} onClick=${() => flip({ name: 'accept-latest' })}>
      Latest invite accepted
    </button>
    <button class=${`btn small ${state.switches.smsFailArmed ? 'armed' : ''}`} data-testid="switch-sms-fail" disabled=${busy}
      onClick=${() => flip({ name: 'fail-next-sms' })}>
      ${state.switches.smsFailArmed ? 'Next SMS will fail ✓' : 'Make the next SMS fail'}
    </button>
    <label class="latency">
      Upstream latency
      <select data-testid="switch-latency" value=${String(latency)} disabled=${busy}
        onChange=${(e) => flip({ name: 'latency', ms: Number(e.currentTarget.value) })}>
        ${[0, 500, 1500, 4000].map((ms) => html`<option value=${String(ms)}>${ms ? `${ms} ms` : 'none'}</option>`)}
      </select>
    </label>
    <button class="btn small" data-testid="switch-digest" disabled=${busy} onClick=${() => flip({ name: 'digest', as: state.me })}>
      Run the digest now
    </button>
  </div>`;
}

export function Panel({ state, flip, busy, notice }) {
  const calls = state.upstream;
  const counts = ['Opentact', 'UserMgmt', 'Slyk'].map((api) => [
    api,
    calls.filter((c) => c.api === api).length,
  ]);
  return html`<aside class="panel" data-testid="panel">
    <h2>Sandbox switches</h2>
    <${Switches} state=${state} flip=${flip} busy=${busy} />
    ${notice && html`<p class="notice" data-testid="switch-notice">${notice}</p>`}
    <h2>Upstream received</h2>
    <p class="counts">${counts.map(([api, n]) => html`<span class=${`api ${API_CLASS[api]}`} data-testid=${`count-${api}`}>${api} ${n}</span>`)}</p>
    <ol class="calls" data-testid="upstream">
      ${calls.length === 0 && html`<li class="empty">Nothing yet: run /onboard.</li>`}
      ${[...calls].reverse().map((c, i) => html`<${Call} key=${`${c.at}-${calls.length - i}`} c=${c} />`)}
    </ol>
    ${
      state.refusals.length > 0 &&
      html`<h2>Slack refused the bot</h2>
      <ol class="refusals" data-testid="refusals">
        ${[...state.refusals].reverse().map(
          (
            r,
          ) => html`<li class=${`refusal ${BENIGN[r.error] ? 'benign' : ''}`} data-testid="refusal">
            <span class="time">${clock(r.at)}</span> <code>${r.where}</code> → <b>${r.error}</b>
            ${BENIGN[r.error] && html` <span>(${BENIGN[r.error]})</span>`}
            ${r.detail.length > 0 && html`<ul>${r.detail.slice(0, 5).map((d) => html`<li>${d}</li>`)}</ul>`}
          </li>`,
        )}
      </ol>`
    }
  </aside>`;
}
