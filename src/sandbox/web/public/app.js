// The sandbox page: pick who you are, the channels, the DM with the bot and
// its Home tab, the open modal, confirm dialogs, and the side panel. State
// comes from the sandbox server every 500 ms (an unchanged state is a 304).
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call, poll } from './api.js';
import { html } from './html.js';
import { Modal } from './modal.js';
import { BENIGN, Panel } from './panel.js';
import { ConfirmDialog, Home, Timeline } from './timeline.js';

function App() {
  const [me, setMe] = useState(() => localStorage.getItem('sandbox-user') ?? 'U0ADMIN01');
  const [state, setState] = useState(null);
  const [where, setWhere] = useState({ kind: 'conversation', name: 'general' });
  const [confirming, setConfirming] = useState(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [toast, setToast] = useState(null);
  const seenRefusals = useRef(-1);
  const refreshRef = useRef(() => {});
  const noticeTimer = useRef(undefined);

  useEffect(() => {
    localStorage.setItem('sandbox-user', me);
    setState(null);
    seenRefusals.current = -1;
    let stop = () => {};
    const start = () => {
      stop();
      stop = poll(me, setState);
    };
    refreshRef.current = start;
    start();
    return () => stop();
  }, [me]);
  const refresh = useCallback(() => refreshRef.current(), []);

  // A refusal Slack answered the bot since the page last looked: shown like Slack's error toast.
  useEffect(() => {
    if (!state) return;
    const fresh = state.refusals.filter((r) => !BENIGN[r.error]);
    if (seenRefusals.current >= 0 && fresh.length > seenRefusals.current) {
      const r = fresh.at(-1);
      setToast(
        `Slack refused the bot's ${r.where}: ${r.error}${r.detail[0] ? ` — ${r.detail[0]}` : ''}`,
      );
    }
    seenRefusals.current = fresh.length;
  }, [state]);

  const confirm = (c) => new Promise((resolve) => setConfirming({ confirm: c, resolve }));
  const answer = (yes) => {
    confirming?.resolve(yes);
    setConfirming(null);
  };
  const act = async (target, action, values) => {
    const outcome = await call('/api/act', {
      as: me,
      where: target,
      action,
      ...(values ? { values } : {}),
    });
    if (!outcome.ok) setToast(outcome.message ?? 'The app did not respond.');
    refresh();
  };
  const flip = async (body) => {
    setBusy(true);
    const outcome = await call('/api/switch', body);
    setBusy(false);
    // The SMS switch shows its own state (armed until an SMS is tried); the others say what they did.
    if (body.name === 'fail-next-sms' && outcome.ok) return refresh();
    setNotice(outcome.message ?? (outcome.ok ? 'Done.' : 'Failed.'));
    clearTimeout(noticeTimer.current);
    noticeTimer.current = setTimeout(() => setNotice(''), 8_000);
    refresh();
  };
  const openHome = async () => {
    setWhere({ kind: 'home' });
    await call('/api/home', { as: me });
    refresh();
  };

  if (!state) return html`<div class="loading">Connecting to the sandbox…</div>`;
  const conversation =
    where.kind === 'conversation'
      ? state.conversations.find((c) => c.name === where.name)
      : undefined;
  const send = async (text) => {
    const outcome = await call('/api/type', { as: me, channel: conversation.id, text });
    if (!outcome.ok && outcome.message) setToast(outcome.message);
    refresh();
    return true;
  };
  const unread = (c) => c.messages.length;

  return html`<div class="app" data-testid="app" data-me=${state.me}>
    <nav class="sidebar">
      <div class="workspace">Sandbox workspace</div>
      <label class="whoami">
        You are
        <select data-testid="user-picker" value=${me} onChange=${(e) => setMe(e.currentTarget.value)}>
          ${state.users.map((u) => html`<option value=${u.id}>${u.realName} — ${u.role}</option>`)}
        </select>
      </label>
      <div class="nav-title">Channels</div>
      ${state.conversations
        .filter((c) => c.kind === 'channel')
        .map(
          (
            c,
          ) => html`<button class=${`nav-item ${conversation?.id === c.id ? 'active' : ''}`} data-testid=${`nav-${c.name}`}
            onClick=${() => setWhere({ kind: 'conversation', name: c.name })}># ${c.name}<span class="badge">${unread(c) || ''}</span></button>`,
        )}
      <div class="nav-title">Apps</div>
      ${state.conversations
        .filter((c) => c.kind === 'dm')
        .map(
          (
            c,
          ) => html`<button class=${`nav-item ${conversation?.name === c.name ? 'active' : ''}`} data-testid="nav-dm"
            onClick=${() => setWhere({ kind: 'conversation', name: c.name })}>● ${c.name}<span class="badge">${unread(c) || ''}</span></button>`,
        )}
      <button class=${`nav-item ${where.kind === 'home' ? 'active' : ''}`} data-testid="nav-home" onClick=${openHome}>⌂ Home (onboarding-bot)</button>
    </nav>
    <main class="main">
      ${toast && html`<div class="toast" data-testid="toast" onClick=${() => setToast(null)}>${toast} <span class="toast-x">×</span></div>`}
      ${
        where.kind === 'home'
          ? html`<${Home} state=${state} act=${act} confirm=${confirm} />`
          : conversation &&
            html`<${Timeline} conversation=${conversation} state=${state} act=${act} confirm=${confirm} send=${send} />`
      }
    </main>
    <${Panel} state=${state} flip=${flip} busy=${busy} notice=${notice} />
    ${state.modal.length > 0 && html`<${Modal} stack=${state.modal} me=${me} users=${state.users} refresh=${refresh} act=${act} confirm=${confirm} />`}
    ${confirming && html`<${ConfirmDialog} confirm=${confirming.confirm} answer=${answer} />`}
  </div>`;
}

render(html`<${App} />`, document.getElementById('root'));
