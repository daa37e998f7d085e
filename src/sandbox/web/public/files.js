// Files: a modal's file_input (the files a person chose stay in the page until
// the modal is submitted; then the sandbox server puts them into the Slack
// simulator, as Slack uploads them) and the files the bot shared in a message
// (downloaded from the sandbox server, never from Slack with the bot token).
import { html } from './html.js';

/** Slack's file_input without max_files takes up to 10 files. */
const MAX_FILES = 10;
/** What the sandbox server takes in one submission (base64 inflates by a third). */
const MAX_BYTES = 3_000_000;

const extension = (name) => /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
const size = (bytes) =>
  bytes < 1000
    ? `${bytes} B`
    : bytes < 1e6
      ? `${(bytes / 1000).toFixed(1)} kB`
      : `${(bytes / 1e6).toFixed(1)} MB`;

/** The file's type as a small badge, as Slack shows it (no emoji font needed). */
const Icon = ({ name }) =>
  html`<span class="file-icon">${(extension(name) || 'file').slice(0, 4).toUpperCase()}</span>`;

/** What Slack's client refuses before uploading: a type the element does not take, too many files. */
export function fileProblem(el, chosen) {
  const max = el.max_files ?? MAX_FILES;
  if (chosen.length > max) return `You can upload at most ${max} file${max === 1 ? '' : 's'}.`;
  const types = el.filetypes ?? [];
  const wrong = chosen.find((f) => types.length > 0 && !types.includes(extension(f.name)));
  if (wrong) return `${wrong.name}: this file type is not accepted here (${types.join(', ')}).`;
  if (chosen.reduce((n, f) => n + f.size, 0) > MAX_BYTES)
    return `The sandbox takes up to ${size(MAX_BYTES)} per submission.`;
  return undefined;
}

/**
 * A file_input: the native picker (its `accept` from `filetypes`, `multiple` when
 * max_files allows) and the chosen files, each removable. `state.chosen` holds
 * the File objects; they never leave the page before the submission.
 */
export function FileInput({ id, block, el, state, change }) {
  const max = el.max_files ?? MAX_FILES;
  const chosen = state.chosen ?? [];
  const accept = (el.filetypes ?? []).map((t) => `.${t}`).join(',') || undefined;
  const pick = (e) => {
    const files = [...e.currentTarget.files];
    // Cleared, so that choosing the same file again is a change too.
    e.currentTarget.value = '';
    change({ ...state, chosen: max === 1 ? files.slice(0, 1) : [...chosen, ...files] });
  };
  return html`<div class="file-input">
    <label class="btn small file-pick">
      ${chosen.length > 0 && max === 1 ? 'Choose another file' : 'Choose a file'}
      <input type="file" id=${id} class="file-native" data-testid=${`input-${block.block_id}`}
        accept=${accept} multiple=${max > 1} onChange=${pick} />
    </label>
    <span class="file-types">${el.filetypes?.length ? el.filetypes.join(', ') : 'any type'}${max > 1 ? ` · up to ${max} files` : ''}</span>
    ${
      chosen.length > 0 &&
      html`<ul class="file-chosen" data-testid=${`files-${block.block_id}`}>
        ${chosen.map(
          (
            f,
            i,
          ) => html`<li><${Icon} name=${f.name} /> ${f.name} <span class="file-size">${size(f.size)}</span>
            <button class="btn icon" title="Remove" onClick=${() => change({ ...state, chosen: chosen.filter((_, j) => j !== i) })}>×</button></li>`,
        )}
      </ul>`
    }
  </div>`;
}

const base64 = (file) =>
  new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

/** The chosen files of a modal's file inputs, as /api/submit takes them. */
export async function readUploads(inputs, stateOf) {
  const uploads = [];
  for (const b of inputs) {
    const chosen = b.element.type === 'file_input' ? (stateOf(b).chosen ?? []) : [];
    if (chosen.length === 0) continue;
    const files = await Promise.all(
      chosen.map(async (f) => ({ name: f.name, content: await base64(f) })),
    );
    uploads.push({ block_id: b.block_id, action_id: b.element.action_id, files });
  }
  return uploads;
}

/** The state Slack reports: a file_input's files are Slack's, once uploaded (none before). */
export const wire = (state) =>
  state.type === 'file_input' ? { type: 'file_input', files: [] } : state;

/** Files the bot shared with a message: name, size, and a download through the sandbox server. */
export function SharedFiles({ files, me }) {
  if (!Array.isArray(files) || files.length === 0) return null;
  return html`<div class="shared-files">
    ${files.map(
      (
        f,
      ) => html`<a class="shared-file" data-testid="shared-file" data-name=${f.name} download=${f.name}
        href=${`/api/file?as=${encodeURIComponent(me)}&id=${encodeURIComponent(f.id)}`}>
        <${Icon} name=${f.name} />
        <span class="file-text">
          <span class="file-title">${f.title}</span>
          <span class="file-size">${f.name !== f.title ? `${f.name} · ` : ''}${size(f.size)} · download</span>
        </span>
      </a>`,
    )}
  </div>`;
}
