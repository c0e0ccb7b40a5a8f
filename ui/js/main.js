// Starts Pic-up: creates the three screens (shelf, album, viewer) and the importer,
// moves between them, and exposes `window.picup` for the automated tests.

import { api, messageOf } from './api.js';
import { byId } from './dom.js';
import { createAlbumPage } from './album.js';
import { watchDragAndDrop } from './drop.js';
import { createImporter } from './import.js';
import { createShelf } from './shelf.js';
import { showToast } from './toast.js';
import { createViewer } from './viewer.js';

const pages = { shelf: byId('shelf'), album: byId('album'), viewer: byId('viewer') };

const shelf = createShelf({ onOpenAlbum: openAlbum, onAddPhotos: chooseFoldersAndImport });
const album = createAlbumPage({ onBack: backToShelf, onOpenPhoto: openPhoto, onRemoved: afterAlbumRemoved });
const viewer = createViewer({ onBack: backToAlbum });
const importer = createImporter({ onFinished: showImportedAlbum });

function setPage(name) {
  document.body.dataset.page = name;
  pages.shelf.hidden = name !== 'shelf';
  // The album stays laid out under the viewer, so its scroll position and tiles
  // are still there on the way back; `inert` keeps it out of reach meanwhile.
  pages.album.hidden = name === 'shelf';
  pages.album.inert = name === 'viewer';
  pages.viewer.hidden = name !== 'viewer';
}

// Resolves once the albums are on screen.
async function showShelf() {
  viewer.stop();
  album.leave();
  setPage('shelf');
  await shelf.load();
}

async function backToShelf(albumId) {
  await showShelf();
  if (albumId != null) shelf.focusAlbum(albumId);
}

// Resolves once the album's photos are on screen (or, if it cannot be opened, once
// the shelf is back with a message saying so).
async function openAlbum(albumId) {
  viewer.stop();
  setPage('album');
  try {
    if (await album.open(albumId, shelf.find(albumId))) album.focusTitle();
  } catch (error) {
    showToast(messageOf(error), { kind: 'error' });
    await showShelf();
  }
}

function openPhoto(photos, index) {
  importer.dismissSummary();
  setPage('viewer');
  viewer.open(photos, index);
}

function backToAlbum(index) {
  viewer.stop();
  setPage('album');
  album.focusPhoto(index);
}

async function afterAlbumRemoved() {
  await showShelf();
  showToast('Album removed. Your photos are still in their folder.');
}

async function showImportedAlbum(summary) {
  const firstAlbumId = summary?.album_ids?.[0];
  if (firstAlbumId != null) await openAlbum(firstAlbumId);
  else if (document.body.dataset.page === 'shelf') await shelf.load();
}

// The "Add photos" button: the folder picker, then the same import a drop starts.
async function chooseFoldersAndImport() {
  if (importer.isRunning()) {
    showToast('Photos are already being added. Please wait until that has finished.');
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

window.picup = { importPaths, showShelf, openAlbum };

watchDragAndDrop({ onDrop: (paths) => importPaths(paths).catch(() => {}) });
document.body.dataset.importing = 'false';
showShelf();
