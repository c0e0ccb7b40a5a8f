// The Trash: what the parent removed in the last 30 days, the most recent first, each
// with when it goes for good and a big "Restore". "Empty Trash" asks first, in plain
// words, saying how much family cloud space it frees. The files on the computer's disk
// are never touched, and the page says so.

import { api, messageOf, thumbUrl } from './api.js';
import { askConfirm } from './dialogs.js';
import { byId, h } from './dom.js';
import { countLabel, number, shortDate, sizeLabel } from './format.js';
import { showToast } from './toast.js';

export function createTrashPage({ onBack }) {
  const list = byId('trash-list');
  const status = byId('trash-status');
  const emptyButton = byId('trash-empty');
  const spaceElement = byId('trash-space');
  let trash = null;

  byId('trash-back').addEventListener('click', () => onBack());
  emptyButton.addEventListener('click', emptyAll);

  // Resolves once the Trash is on screen.
  async function load() {
    try {
      trash = await api.trash();
    } catch (error) {
      trash = null;
      list.replaceChildren();
      showStatus(messageOf(error));
      emptyButton.hidden = true;
      return;
    }
    const entries = trash.entries ?? [];
    list.replaceChildren(...entries.map(entryRow));
    showStatus(entries.length ? '' : 'The Trash is empty. What you remove from your albums waits here for 30 days.');
    emptyButton.hidden = entries.length === 0;
    showCloudSpace();
  }

  // The cloud's own count of what its Trash holds (it counts against the family's space).
  async function showCloudSpace() {
    spaceElement.hidden = true;
    const bytes = await api.cloudTrashSpace().catch(() => null);
    if (!bytes) return;
    spaceElement.textContent = `In the family cloud, the Trash holds ${sizeLabel(bytes)}. `
      + 'That space stays in use until the Trash is emptied.';
    spaceElement.hidden = false;
  }

  function entryRow(entry) {
    const isAlbum = entry.photo_id == null;
    const name = isAlbum ? `The album “${entry.title}”` : itemName(entry);
    const details = isAlbum
      ? countLabel(entry.count - entry.video_count, entry.video_count)
      : `From the album “${entry.title}”`;
    return h(
      'li',
      { class: 'trash-entry', dataset: { testid: 'trash-entry', entryId: entry.id } },
      h(
        'div',
        { class: 'trash-picture' },
        entry.cover_photo_id != null
          && h('img', { alt: '', loading: 'lazy', decoding: 'async', src: thumbUrl(entry.cover_photo_id) }),
      ),
      h(
        'div',
        { class: 'trash-words' },
        h('p', { class: 'trash-name' }, name),
        h('p', { class: 'trash-details' }, details),
        h('p', { class: 'trash-when' }, `Goes for good on ${localDay(entry.purge_at)}`),
      ),
      h('button', {
        class: 'button primary big',
        type: 'button',
        dataset: { testid: 'trash-restore' },
        'aria-label': `Restore ${isAlbum ? `the album “${entry.title}”` : `this ${itemWord(entry)} to “${entry.title}”`}`,
        onclick: (event) => restore(entry, event.currentTarget),
      }, 'Restore'),
    );
  }

  async function restore(entry, button) {
    button.disabled = true;
    try {
      await api.restoreFromTrash([entry.id]);
    } catch (error) {
      button.disabled = false;
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    showToast(entry.photo_id == null
      ? `The album “${entry.title}” is back with your albums.`
      : `The ${itemWord(entry)} is back in “${entry.title}”.`, { subject: 'trash' });
    await load();
    list.querySelector('button')?.focus() ?? byId('trash-title').focus();
  }

  async function emptyAll() {
    const entries = trash?.entries ?? [];
    if (!entries.length) return;
    const albums = entries.filter((entry) => entry.photo_id == null);
    const items = entries.filter((entry) => entry.photo_id != null);
    const videos = items.filter((entry) => entry.video_count > 0).length;
    const what = [
      albums.length === 1 && `the album “${albums[0].title}”`,
      albums.length > 1 && `${number(albums.length)} albums`,
      items.length > 0 && countLabel(items.length - videos, videos),
    ].filter(Boolean).join(' and ');
    const cloud = trash.cloud_bytes > 0
      ? ` This frees about ${sizeLabel(trash.cloud_bytes)} in the family cloud.`
      : '';
    const sure = await askConfirm({
      message: `Remove ${what} for good? This cannot be undone.${cloud} `
        + 'Your files on this computer are not touched.',
      confirmLabel: 'Remove for good',
      cancelLabel: 'Keep them',
    });
    if (!sure) return;
    emptyButton.disabled = true;
    try {
      await api.emptyTrash();
      showToast('The Trash is empty now.', { subject: 'trash' });
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
    } finally {
      emptyButton.disabled = false;
    }
    await load();
    byId('trash-title').focus();
  }

  function showStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  return { load, focusTitle: () => byId('trash-title').focus() };
}

function itemWord(entry) {
  return entry.video_count > 0 ? 'video' : 'photo';
}

function itemName(entry) {
  return entry.video_count > 0 ? 'A video' : 'A photo';
}

// "27 December 2026", on this computer's calendar.
function localDay(unixMs) {
  const day = new Date(unixMs);
  return shortDate({ year: day.getFullYear(), month: day.getMonth() + 1, day: day.getDate() });
}
