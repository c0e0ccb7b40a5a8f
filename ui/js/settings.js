// Settings: the folders Pic-up adds new photos from. Each row shows the folder's name,
// where it is, how many photos it holds and how it is doing ("New photos are added by
// themselves", or a calm warning), with a "Forget this folder" button that asks once
// before doing anything. The family cloud's part is cloud-settings.js.

import { api, messageOf } from './api.js';
import { createCloudSettings } from './cloud-settings.js';
import { createComputerSettings } from './computer-settings.js';
import { askConfirm } from './dialogs.js';
import { byId, h } from './dom.js';
import { newestOnly } from './newest.js';
import { countLabel, folderName } from './format.js';
import { showToast } from './toast.js';

// Any other state (checked every minute, unavailable, not allowed) gets the warning look.
const FINE_STATE = 'watching';

export function createSettings({ onBack }) {
  const section = byId('settings');
  const titleElement = byId('settings-title');
  const list = byId('folder-list');
  const statusElement = byId('folders-status');

  let folders = [];
  // What is on screen, so a refresh that changes nothing leaves the rows (and focus) be.
  let shownKey = '';

  const cloudSettings = createCloudSettings();
  const computerSettings = createComputerSettings();

  byId('settings-back').addEventListener('click', () => onBack());

  // Resolves once the folders (or a message saying why there are none) are on screen.
  // With `keepPlace` (a refresh of the list being looked at) a failure leaves the list
  // as it is; keyboard focus stays on the same folder's row either way.
  const loadFolders = newestOnly(() => api.listFolders(), showFolderAnswer);

  function load(options) {
    return Promise.all([loadFolders(options), cloudSettings.load(), computerSettings.load()]).then(([folders]) => folders);
  }

  function showFolderAnswer({ answer, failure }, { keepPlace = false } = {}) {
    if (failure) {
      if (!keepPlace || !shownKey) showProblem(messageOf(failure));
      return;
    }
    showFolders(Array.isArray(answer) ? answer : []);
  }

  function showFolders(newFolders) {
    const key = JSON.stringify(newFolders);
    if (key === shownKey) return;
    const focusedPath = focusedRow()?.dataset.path;
    folders = newFolders;
    shownKey = key;
    list.replaceChildren(...folders.map(folderRow));
    list.hidden = !folders.length;
    if (folders.length) showStatus(null);
    else {
      showStatus(h('p', { dataset: { testid: 'folders-empty' } },
        'No folders yet. Drag a folder of photos onto the window to add one.'));
    }
    if (focusedPath != null) focusRow(focusedPath);
  }

  function folderRow(folder) {
    const name = folderName(folder.path);
    const fine = folder.state === FINE_STATE;
    return h(
      'li',
      { class: 'folder-row', dataset: { testid: 'folder-row', path: folder.path, state: folder.state } },
      h(
        'div',
        { class: 'folder-text' },
        h('h3', { class: 'folder-name' }, name),
        h('p', { class: 'folder-path' }, folder.path),
        h('p', { class: 'folder-count' }, countLabel(folder.photo_count, folder.video_count)),
        h('p', { class: fine ? 'folder-state' : 'folder-state is-warning', dataset: { testid: 'folder-state' } },
          folder.state_words),
      ),
      h(
        'button',
        {
          class: 'button',
          type: 'button',
          dataset: { testid: 'stop-watching' },
          // Every row has this button; the name says which folder it is for.
          'aria-label': `Forget the folder “${name}”`,
          onclick: (event) => stopWatching(folder, event.currentTarget),
        },
        'Forget this folder',
      ),
    );
  }

  async function stopWatching(folder, button) {
    const name = folderName(folder.path);
    const confirmed = await askConfirm({
      message: `Forget the folder “${name}”? Pic-up stops adding new photos from it. Its photos stay in Pic-up, and nothing is deleted from your computer.`,
      confirmLabel: 'Forget this folder',
      cancelLabel: 'Keep this folder',
    });
    // The list may have been refreshed while the question was open; the dialog could
    // then not hand focus back to the old button.
    if (!confirmed) {
      if (!button.isConnected) focusRow(folder.path);
      return;
    }
    const place = folders.findIndex((other) => other.path === folder.path);
    button.disabled = true;
    try {
      await api.stopWatchingFolder(folder.path);
    } catch (error) {
      button.disabled = false;
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    await load();
    // Its row is gone: keyboard focus goes to the row now in its place.
    focusRow(folder.path, place);
    showToast(`Pic-up no longer adds new photos from “${name}”. Its photos are still here.`, { subject: 'folders' });
  }

  // Focuses the "Forget this folder" button of the row for `path`; if that row is gone, the
  // row at `place` (or the last one), and with no rows left the page title.
  function focusRow(path, place = -1) {
    if (section.hidden) return;
    const rows = [...list.children];
    const row = rows.find((element) => element.dataset.path === path)
      ?? (place >= 0 ? rows[Math.min(place, rows.length - 1)] : null);
    (row?.querySelector('button') ?? titleElement).focus();
  }

  function focusedRow() {
    const row = document.activeElement?.closest?.('.folder-row');
    return row && list.contains(row) ? row : null;
  }

  function showStatus(content) {
    statusElement.replaceChildren(...(content ? [content] : []));
    statusElement.hidden = !content;
  }

  function showProblem(message) {
    folders = [];
    shownKey = '';
    list.replaceChildren();
    list.hidden = true;
    showStatus(h(
      'div',
      { class: 'settings-problem' },
      h('p', { class: 'settings-problem-title' }, 'The folders could not be shown'),
      h('p', {}, message),
      h('button', { class: 'button primary', type: 'button', onclick: tryAgain }, 'Try again'),
    ));
  }

  async function tryAgain() {
    await load();
    // The button pressed has been replaced; keep keyboard focus on this screen.
    if (!section.hidden && !section.contains(document.activeElement)) titleElement.focus();
  }

  return {
    load,
    focusTitle: () => titleElement.focus(),
    showInvitation: (invitation) => cloudSettings.showInvitation(invitation),
  };
}
