// Starts Pic-up: creates the screens (shelf, album, cloud album, viewer, Trash, settings) and the
// importer, moves between them, keeps them up to date when the folder watcher changes
// the library, and exposes `window.picup` for the automated tests.

import { api, loadVideoBase, messageOf, onEvent } from './api.js';
import { byId } from './dom.js';
import { createAlbumPage, UNDO_FOR_MS } from './album.js';
import { createCloudAlbumPage } from './cloud-album.js';
import { watchLibraryChanges } from './changes.js';
import { watchClosing } from './closing.js';
import { onCloudChange, watchCloud } from './cloud.js';
import { watchDragAndDrop } from './drop.js';
import { createImporter } from './import.js';
import { createSettings } from './settings.js';
import { createShelf } from './shelf.js';
import { whenOpeningSettings } from './share.js';
import { createTrashPage } from './trash.js';
import { showToast } from './toast.js';
import { createViewer } from './viewer.js';

const pages = {
  shelf: byId('shelf'),
  album: byId('album'),
  cloudAlbum: byId('cloud-album'),
  viewer: byId('viewer'),
  settings: byId('settings'),
  trash: byId('trash'),
};

const shelf = createShelf({
  onOpenAlbum: openAlbum,
  onOpenCloudAlbum: openCloudAlbum,
  onAddPhotos: chooseFoldersAndImport,
  onOpenSettings: showSettings,
  onOpenTrash: showTrash,
});
const cloudAlbum = createCloudAlbumPage({ onBack: showShelf, onKept: afterKept, onOpenPhoto: openCloudPhoto });
// Where the viewer was opened from, so "Back" returns there.
let viewerFrom = 'album';
const album = createAlbumPage({
  onBack: backToShelf,
  onOpenPhoto: openPhoto,
  onRemoved: afterAlbumRemoved,
  onPhotosChanged: followAlbumInViewer,
  onGone: afterAlbumGone,
  onRestored: () => refreshAfterChanges(),
});
const viewer = createViewer({ onBack: backToAlbum, onRemove: (photo) => album.removePhotos([photo.id]) });
const trash = createTrashPage({ onBack: leaveTrash });
const importer = createImporter({ onFinished: showImportedAlbum });
const settings = createSettings({ onBack: leaveSettings });

const currentPage = () => document.body.dataset.page;

function setPage(name) {
  document.body.dataset.page = name;
  pages.shelf.hidden = name !== 'shelf';
  pages.settings.hidden = name !== 'settings';
  pages.trash.hidden = name !== 'trash';
  pages.cloudAlbum.hidden = name !== 'cloud-album';
  // The album stays laid out under the viewer, so its scroll position and tiles
  // are still there on the way back; `inert` keeps it out of reach meanwhile.
  pages.album.hidden = name !== 'album' && !(name === 'viewer' && viewerFrom === 'album');
  pages.album.inert = name === 'viewer';
  pages.viewer.hidden = name !== 'viewer';
}

// Resolves once the albums are on screen.
async function showShelf() {
  importer.dismissSummary();
  viewer.stop();
  album.leave();
  cloudAlbum.leave();
  setPage('shelf');
  remember(null);
  await shelf.load();
}

async function backToShelf(albumId) {
  await showShelf();
  if (albumId != null) shelf.focusAlbum(albumId);
}

// Resolves once the album's photos are on screen (or, if it cannot be opened, once
// the shelf is back with a message saying so).
async function openAlbum(albumId) {
  importer.dismissSummary();
  viewer.stop();
  viewer.setAlbum(albumId);
  setPage('album');
  remember(albumId);
  try {
    if (await album.open(albumId, shelf.find(albumId))) album.focusTitle();
  } catch (error) {
    showToast(messageOf(error), { kind: 'error' });
    await showShelf();
  }
}

// A cloud-only album: resolves once its photos are listed.
async function openCloudAlbum(card) {
  importer.dismissSummary();
  viewer.stop();
  album.leave();
  setPage('cloud-album');
  remember(null);
  cloudAlbum.focusTitle();
  await cloudAlbum.open(card);
}

// "Keep a copy" finished: the album is this computer's now.
async function afterKept(albumId) {
  if (currentPage() === 'cloud-album') await openAlbum(albumId);
  showToast('The album is on this computer now. Its photos are in your Pictures folder.', { subject: 'keep-copy' });
}

function openPhoto(photos, index) {
  importer.dismissSummary();
  viewerFrom = 'album';
  viewer.setRemovable(true);
  setPage('viewer');
  viewer.open(photos, index);
}

function openCloudPhoto(photos, index) {
  viewerFrom = 'cloud-album';
  viewer.setRemovable(false);
  viewer.setAlbum(null);
  setPage('viewer');
  viewer.open(photos, index);
}

function backToAlbum(index) {
  viewer.stop();
  if (viewerFrom === 'cloud-album') {
    setPage('cloud-album');
    cloudAlbum.focusPhoto(index);
    return;
  }
  setPage('album');
  album.focusPhoto(index);
}

// The album went to the Trash: the shelf, and a message with Undo.
async function afterAlbumRemoved(removed, entry) {
  await showShelf();
  showToast(`“${removed.title}” was moved to the Trash. Your photos are still in their folder.`, {
    action: {
      label: 'Undo',
      run: async () => {
        try {
          await api.restoreFromTrash([entry]);
        } catch (error) {
          showToast(messageOf(error), { kind: 'error' });
          return;
        }
        showToast(`“${removed.title}” is back.`, { subject: 'trash' });
        await refreshAfterChanges();
      },
    },
    showFor: UNDO_FOR_MS,
    subject: 'trash',
  });
}

// Resolves once the Trash is on screen.
async function showTrash() {
  importer.dismissSummary();
  viewer.stop();
  album.leave();
  setPage('trash');
  remember(null);
  trash.focusTitle();
  await trash.load();
}

async function leaveTrash() {
  await showShelf();
  shelf.focusTrash();
}

// Resolves once the list of watched folders is on screen.
async function showSettings() {
  importer.dismissSummary();
  viewer.stop();
  album.leave();
  setPage('settings');
  remember(null);
  settings.focusTitle();
  await settings.load();
}

async function leaveSettings() {
  await showShelf();
  shelf.focusSettings();
}

// The next start opens the album on screen now (or the shelf).
function remember(albumId) {
  api.rememberAlbum(albumId).catch(() => {});
}

// Opens where the parent left off: the album last on screen, if it is still there.
async function showWhereLeftOff() {
  const albumId = await api.lastAlbum().catch(() => null);
  await showShelf();
  if (albumId != null) await openAlbum(albumId);
}

// The folder watcher changed the library: bring the screen on show up to date.
// (The shelf is rebuilt whenever it is shown, so only the screen on show needs it.)
async function refreshAfterChanges() {
  const page = currentPage();
  if (page === 'shelf') await shelf.load({ keepPlace: true });
  else if (page === 'settings') await settings.load({ keepPlace: true });
  else if (page === 'trash') await trash.load();
  else if (page === 'album' || page === 'viewer') await album.refresh();
}

function followAlbumInViewer(photos) {
  if (currentPage() !== 'viewer' || viewerFrom !== 'album' || viewer.update(photos)) return;
  // The last photo went: back to the album, which says it is empty.
  setPage('album');
  album.focusTitle();
}

// The open album went away by itself (its photos were deleted or moved elsewhere).
async function afterAlbumGone(gone) {
  await showShelf();
  showToast(gone.title ? `The album “${gone.title}” is no longer in Pic-up.` : 'That album is no longer in Pic-up.');
}

async function showImportedAlbum(summary) {
  const firstAlbumId = summary?.album_ids?.[0];
  if (firstAlbumId != null) await openAlbum(firstAlbumId);
  else if (document.body.dataset.page === 'shelf') await shelf.load();
}

// The "Add photos" button: the folder picker, then the same import a drop starts.
async function chooseFoldersAndImport() {
  if (importer.isRunning()) {
    showToast('Photos are already being added. Please wait until that has finished.', { subject: 'import' });
    return;
  }
  let paths;
  try {
    paths = await api.pickFolders();
  } catch (error) {
    showToast(messageOf(error), { kind: 'error' });
    return;
  }
  // The importer has already told the person about any failure.
  if (paths?.length) importPaths(paths).catch(() => {});
}

function importPaths(paths) {
  return importer.importPaths(paths);
}

window.picup = { importPaths, showShelf, openAlbum, showSettings, showTrash };

// The cloud changed (an album made, renamed or removed on another computer): the
// shelf asks it again.
onEvent('cloud-follow', (event) => {
  if (event?.kind === 'library_changed' && currentPage() === 'shelf') shelf.loadCloud();
  // "Grandma added 3 photos to Summer.": once for each batch, in her words' place.
  if (event?.kind === 'family_added') {
    for (const added of event.added ?? []) {
      showToast(added.message, { subject: `family-added-${added.album_id}-${added.added_by}` });
    }
  }
  // "Grandma commented on 2 photos in Summer.": once for each batch; hearts are not told.
  if (event?.kind === 'commented') {
    for (const commented of event.commented ?? []) {
      showToast(commented.message, { subject: `commented-${commented.album_title}` });
    }
  }
});

// Coming back to the window looks at the family cloud at once (at most every 10 s), so
// what the family added meanwhile is there without waiting for the next turn.
let lookedAt = 0;
window.addEventListener('focus', () => {
  if (Date.now() - lookedAt < 10000) return;
  lookedAt = Date.now();
  api.cloudLookNow().catch(() => {});
});

watchDragAndDrop({ onDrop: (paths) => importPaths(paths).catch(() => {}) });
watchLibraryChanges({
  refresh: refreshAfterChanges,
  refreshFolders: () => (currentPage() === 'settings' ? settings.load({ keepPlace: true }) : null),
  isBusy: importer.isBusy,
});
document.body.dataset.importing = 'false';
watchCloud();
watchClosing();
// The shelf's "12 of 340 in the family cloud" follows the copy, at most every 2 s.
let shelfRefresh = null;
onCloudChange(() => {
  if (shelfRefresh || currentPage() !== 'shelf') return;
  shelfRefresh = setTimeout(() => {
    shelfRefresh = null;
    if (currentPage() === 'shelf') shelf.load({ keepPlace: true });
  }, 2000);
});
loadVideoBase();
whenOpeningSettings(() => showSettings().catch(() => {}));
// An invitation link Pic-up was opened with (now, or by a second launch that handed it
// over): Settings opens with the address and email filled in, or says why the link
// could not be used. Nothing is sent until the parent chooses Connect.
async function showInvitation(invitation) {
  if (!invitation) return;
  await showSettings();
  settings.showInvitation(invitation);
}
showWhereLeftOff()
  .catch(() => {})
  .then(() => api.launchInvitation())
  .then(showInvitation)
  .catch(() => {});
onEvent('invitation', (invitation) => {
  showInvitation(invitation).catch(() => {});
});
// Folders Pic-up was opened with ("Open with", a double-clicked folder), now or by a
// second launch that handed them over: imported like a drop.
api.launchPaths().then((paths) => {
  if (paths?.length) importPaths(paths).catch(() => {});
}).catch(() => {});
onEvent('open-paths', (paths) => {
  if (importer.isRunning()) {
    showToast('Photos are already being added. Please add these again when that has finished.', { subject: 'import' });
  } else if (paths?.length) importPaths(paths).catch(() => {});
});
