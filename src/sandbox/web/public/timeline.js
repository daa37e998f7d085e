// A conversation as Slack shows it: messages oldest first (edited in place,
// ephemerals marked "Only visible to you"), and the message box. Also the
// App Home tab.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Blocks } from './blocks.js';
import { SharedFiles } from './files.js';
import { html } from './html.js';

const time = (ts) =>
  new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function author(message, state) {
  if (message.user === 'USLACKBOT') return { name: 'Slackbot', bot: true };
  if (message.user === state.botUserId) return { name: 'onboarding-bot', bot: true };
  const user = state.users.find((u) => u.id === message.user);
  return { name: user?.realName ?? message.user, bot: false };
}

function Message({ message, state, act, confirm }) {
  const who = author(message, state);
  const ctx = {
    users: state.users,
    confirm,
    act: (action) =>
      act({ channel: message.channel, ts: message.ts, ephemeral: message.ephemeral }, action),
  };
  return html`<article class=${`message ${message.ephemeral ? 'ephemeral' : ''}`} data-testid="message" data-ts=${message.ts} data-ephemeral=${String(message.ephemeral)}>
    <div class=${`avatar ${who.bot ? 'bot' : ''}`}>${who.name.slice(0, 1).toUpperCase()}</div>
    <div class="message-main">
      <div class="message-meta">
        <span class="author">${who.name}</span>${who.bot && html`<span class="app-badge">APP</span>`}
        <span class="time">${time(message.ts)}</span>
        ${message.edited && html`<span class="edited">(edited)</span>`}
      </div>
      ${message.ephemeral && html`<div class="only-you">Only visible to you</div>`}
      ${message.threadTs && html`<div class="in-thread">replied in a thread</div>`}
      ${(message.blocks?.length > 0 || message.text || !message.files?.length) && html`<${Blocks} blocks=${message.blocks} text=${message.text} ctx=${ctx} />`}
      <${SharedFiles} files=${message.files} me=${state.me} />
    </div>
  </article>`;
}

function Composer({ conversation, send }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    const ok = await send(text);
    setBusy(false);
    if (ok) setText('');
  };
  const label = conversation.kind === 'dm' ? conversation.name : `#${conversation.name}`;
  return html`<form class="composer" onSubmit=${submit}>
    <input
      class="composer-input"
      data-testid="composer"
      placeholder=${conversation.open ? `Message ${label} — try /onboard or /onboard help` : 'The bot has not written to you yet'}
      disabled=${!conversation.open || busy}
      value=${text}
      onInput=${(e) => setText(e.currentTarget.value)}
    />
    <button class="btn primary" data-testid="composer-send" disabled=${!conversation.open || busy}>Send</button>
  </form>`;
}

export function Timeline({ conversation, state, act, confirm, send }) {
  const list = useRef(null);
  const count = conversation.messages.length;
  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [count, conversation.id]);
  const title = conversation.kind === 'dm' ? conversation.name : `# ${conversation.name}`;
  return html`<section class="conversation" data-testid=${`conversation-${conversation.name}`}>
    <header class="conversation-head"><h1>${title}</h1></header>
    <div class="timeline" ref=${list} data-testid="timeline">
      ${count === 0 && html`<p class="empty">No messages yet.</p>`}
      ${conversation.messages.map(
        (m) =>
          html`<${Message} key=${m.ts} message=${{ ...m, channel: conversation.id }} state=${state} act=${act} confirm=${confirm} />`,
      )}
    </div>
    <${Composer} conversation=${conversation} send=${send} />
  </section>`;
}

/** The App Home tab: the view the bot published for this person (app_home_opened on each visit). */
export function Home({ state, act, confirm }) {
  const home = state.home;
  const ctx = { users: state.users, confirm, act: (action) => act({ viewId: home.id }, action) };
  return html`<section class="conversation" data-testid="home">
    <header class="conversation-head"><h1>onboarding-bot · Home</h1></header>
    <div class="timeline home-body">
      ${home ? html`<${Blocks} blocks=${home.view.blocks} ctx=${ctx} />` : html`<p class="empty">Opening the Home tab…</p>`}
    </div>
  </section>`;
}

/** Slack's confirm dialog for an element with `confirm`. */
export function ConfirmDialog({ confirm, answer }) {
  const plain = (o) => (o && typeof o.text === 'string' ? o.text : '');
  return html`<div class="overlay confirm-overlay">
    <div class="modal confirm" role="alertdialog" data-testid="confirm-dialog">
      <header class="modal-head"><h2>${plain(confirm.title) || 'Are you sure?'}</h2></header>
      <div class="modal-body"><${Blocks} blocks=${[{ type: 'section', text: confirm.text }]} ctx=${{}} /></div>
      <footer class="modal-foot">
        <button class="btn" data-testid="confirm-no" onClick=${() => answer(false)}>${plain(confirm.deny) || 'Cancel'}</button>
        <button class=${`btn ${confirm.style === 'danger' ? 'danger' : 'primary'}`} data-testid="confirm-yes" onClick=${() => answer(true)}>
          ${plain(confirm.confirm) || 'Yes'}
        </button>
      </footer>
    </div>
  </div>`;
}
