// The album screen: the album's title and count, "Rename", "Remove album" and "Choose
// photos to remove", and every photo as a big tile under the day it was taken, oldest
// first. Removing moves to the Trash and offers Undo. When the folder watcher changes
// the library, refresh() reloads the photos keeping the person's place. What the
// family added through a link shows "Added by …"; while its original is still on its
// way, the tile shows the cloud's thumbnail and the viewer the cloud's preview.

import {
  api, cloudPreviewUrl, cloudThumbUrl, cloudVideoUrl, FriendlyError, messageOf, thumbUrl,
} from './api.js';
import { cloudState, onCloudChange } from './cloud.js';
import { askText } from './dialogs.js';
import { byId, h } from './dom.js';
import {
  countLabel, dayKey, durationLabel, inCloudLabel, longDate, monthRange, parseTakenAt, shortDate,
} from './format.js';
import { openShareDialog } from './share.js';
import { showToast } from './toast.js';
import { PhotoGrid } from './virtual-grid.js';

const UNKNOWN_DAY = 'unknown';
// Long enough to notice a wrong click, read the notice and reach the button; the notice
// covers nothing meanwhile.
export const UNDO_FOR_MS = 20000;

// `onPhotosChanged(photos)` runs when a refresh changed the list (the viewer follows
// it); `onGone(album)` when a refresh finds the album is no longer in the library.
// `onRestored()` runs after Undo put photos back (the screen on show follows).
export function createAlbumPage({
  onBack, onOpenPhoto, onRemoved, onPhotosChanged, onGone, onRestored,
}) {
  const titleElement = byId('album-title');
  const countElement = byId('album-count');
  const datesElement = byId('album-dates');
  const statusElement = byId('album-status');
  const cloudElement = byId('album-cloud');

  let album = null;
  // The photos in the order they are shown: day by day, with "Date unknown" last.
  // The viewer steps through this same list, so "Next" matches the grid.
  let photos = [];
  // Each open() gets a number; an answer that arrives after the person moved on is dropped.
  let openCount = 0;
  let opening = false;
  // The photos as the backend last sent them, so a refresh that changes nothing is cheap.
  let shownKey = '';

  // While choosing photos to remove, a tile is chosen rather than opened.
  let choosing = false;
  const chosen = new Set();

  const grid = new PhotoGrid(byId('album-scroll'), byId('photo-grid'), {
    renderTile: photoTile,
    onOpen: (index) => (choosing ? toggleChosen(photos[index]) : onOpenPhoto(photos, index)),
  });

  byId('album-back').addEventListener('click', () => onBack(album?.id));
  byId('album-rename').addEventListener('click', rename);
  byId('album-share').addEventListener('click', () => album && openShareDialog(album));
  // The cloud marks follow the copy while the album is open, looked at every few
  // seconds at most (a big album's list is not fetched for every photo sent).
  let cloudRefresh = null;
  onCloudChange(() => {
    if (cloudRefresh) return;
    cloudRefresh = setTimeout(() => {
      cloudRefresh = null;
      if (album && !opening) refresh();
    }, 2000);
  });
  byId('album-remove').addEventListener('click', remove);
  byId('album-select').addEventListener('click', () => setChoosing(true));
  byId('album-select-cancel').addEventListener('click', () => setChoosing(false));
  byId('album-select-remove').addEventListener('click', () => removePhotos([...chosen]));

  // `known` is what the shelf already knows about the album, so the title appears at
  // once. Resolves true when shown, false if another album was opened meanwhile;
  // rejects with a FriendlyError if the album could not be loaded.
  async function open(albumId, known) {
    const thisOpen = ++openCount;
    album = {
      id: albumId, title: known?.title ?? '', count: known?.count ?? 0, in_cloud: known?.in_cloud ?? 0,
    };
    photos = [];
    shownKey = '';
    setChoosing(false);
    showHeader(known ? countLabel(known.count - known.video_count, known.video_count) : '',
      known ? monthRange(known.first_taken_at, known.last_taken_at) : '');
    grid.clear();
    showStatus('Opening the album…');

    opening = true;
    let answer;
    try {
      answer = await api.albumPhotos(albumId);
    } finally {
      if (thisOpen === openCount) opening = false;
    }
    if (thisOpen !== openCount) return false;
    grid.setSections(showAnswer(answer));
    return true;
  }

  // Reloads the open album after the folder watcher changed the library: new photos
  // appear, removed ones go, and the photo at the top of the view stays in place.
  // Resolves once done; a failure leaves what is on screen as it is.
  async function refresh() {
    if (!album || opening) return; // an album being opened gets the newest photos anyway
    const thisOpen = openCount;
    const refreshing = album;
    let answer;
    try {
      answer = await api.albumPhotos(refreshing.id);
    } catch {
      const gone = thisOpen === openCount && await isGone(refreshing.id);
      if (gone && thisOpen === openCount) await onGone(refreshing);
      return;
    }
    if (thisOpen !== openCount) return;
    if (JSON.stringify(answer) === shownKey) return;
    if (withoutCloud(answer) === withoutCloud(JSON.parse(shownKey || 'null'))) {
      showCloudMarks(answer);
      return;
    }
    grid.updateSections(showAnswer(answer), (photo) => photo.id);
    onPhotosChanged(photos);
  }

  // True only when the list of albums, read fine, no longer has this one; any other
  // trouble is not a reason to send the person away.
  async function isGone(albumId) {
    try {
      const albums = await api.listAlbums();
      return Array.isArray(albums) && !albums.some((other) => other.id === albumId);
    } catch {
      return false;
    }
  }

  // Shows the header of an `album_photos` answer and returns its photos by day for the grid.
  function showAnswer(answer) {
    shownKey = JSON.stringify(answer);
    album = answer.album;
    const sections = groupByDay(withArriving(answer));
    photos = sections.flatMap((section) => section.items);
    const videoCount = photos.filter((photo) => photo.kind === 'video').length;
    const dated = photos.filter((photo) => photo.when);
    showHeader(countLabel(photos.length - videoCount, videoCount),
      dated.length ? monthRange(dated[0].taken_at, dated[dated.length - 1].taken_at) : '');
    showStatus(photos.length ? '' : 'This album is empty.');
    return sections;
  }

  // Only what the cloud holds changed: the marks and the header follow, in place, so
  // the tiles are not rebuilt while the parent looks at them.
  function showCloudMarks(answer) {
    shownKey = JSON.stringify(answer);
    album = answer.album;
    const inCloud = new Map((answer.photos ?? []).map((photo) => [photo.id, photo.in_cloud]));
    for (const photo of photos) photo.in_cloud = inCloud.get(photo.id) ?? photo.in_cloud;
    for (const tile of byId('photo-grid').querySelectorAll('[data-photo-id]')) {
      const photo = photos.find((p) => String(p.id) === tile.dataset.photoId);
      if (!photo) continue;
      const mark = tile.querySelector('.cloud-mark');
      if (photo.in_cloud && !mark) tile.append(cloudMark());
      if (!photo.in_cloud && mark) mark.remove();
      tile.setAttribute('aria-label', tileLabel(photo, durationLabel(photo.duration_ms))
        + (photo.in_cloud ? ', in the family cloud' : ''));
    }
    cloudElement.textContent = cloudState().account ? inCloudLabel(album.in_cloud ?? 0, album.count ?? 0) : '';
  }

  // Called when the album is left for the shelf: drops the tiles and any pending load.
  function leave() {
    setChoosing(false);
    openCount += 1;
    opening = false;
    album = null;
    photos = [];
    shownKey = '';
    grid.clear();
  }

  function showHeader(countText, datesText) {
    titleElement.textContent = album.title;
    cloudElement.textContent = cloudState().account ? inCloudLabel(album.in_cloud ?? 0, album.count ?? 0) : '';
    countElement.textContent = countText;
    datesElement.textContent = datesText;
  }

  function showStatus(text) {
    statusElement.textContent = text;
    statusElement.hidden = !text;
  }

  function photoTile(photo) {
    const isVideo = photo.kind === 'video';
    const duration = isVideo ? durationLabel(photo.duration_ms) : '';
    return h(
      'button',
      {
        class: choosing && chosen.has(photo.id) ? 'tile selected' : 'tile',
        type: 'button',
        dataset: { testid: 'photo-tile', photoId: photo.id },
        'aria-pressed': choosing ? String(chosen.has(photo.id)) : null,
        'aria-label': tileLabel(photo, duration) + (photo.in_cloud ? ', in the family cloud' : ''),
      },
      h('img', {
        alt: '', loading: 'lazy', decoding: 'async', draggable: 'false', src: photo.posterSrc ?? thumbUrl(photo.id),
      }),
      // One big, solid mark says both that it is a video and how long: "▶ 0:12".
      isVideo && h('span', { class: 'play-mark', 'aria-hidden': 'true', dataset: { testid: 'play-mark' } },
        h('span', { class: 'play-mark-arrow' }, '▶'), duration),
      // Short on the tile, where room is scarce; the viewer says "Added by Grandma".
      photo.added_by && h('span', { class: 'added-by-mark', 'aria-hidden': 'true', dataset: { testid: 'tile-added-by' } },
        `From ${photo.added_by}`),
      photo.in_cloud && cloudMark(),
      choosing && h('span', { class: 'select-mark', 'aria-hidden': 'true' }, chosen.has(photo.id) ? '✓' : ''),
    );
  }

  // "Choose photos to remove": tiles become choices, and a bar says how many are chosen.
  function setChoosing(on) {
    if (choosing === on) return;
    choosing = on;
    chosen.clear();
    byId('album-select-bar').hidden = !on;
    byId('album-select').hidden = on;
    showChosen();
    for (const tile of byId('photo-grid').querySelectorAll('[data-photo-id]')) markTile(tile);
    if (on) byId('album-select-cancel').focus();
  }

  function toggleChosen(photo) {
    // An item still on its way from the cloud can be removed once it is here.
    if (!photo || photo.arriving) return;
    if (chosen.has(photo.id)) chosen.delete(photo.id);
    else chosen.add(photo.id);
    const tile = byId('photo-grid').querySelector(`[data-photo-id="${photo.id}"]`);
    if (tile) markTile(tile);
    showChosen();
  }

  function markTile(tile) {
    const id = Number(tile.dataset.photoId);
    const isChosen = choosing && chosen.has(id);
    tile.classList.toggle('selected', isChosen);
    if (choosing) tile.setAttribute('aria-pressed', String(isChosen));
    else tile.removeAttribute('aria-pressed');
    let mark = tile.querySelector('.select-mark');
    if (choosing && !mark) {
      mark = h('span', { class: 'select-mark', 'aria-hidden': 'true' });
      tile.append(mark);
    }
    if (!choosing && mark) mark.remove();
    if (mark && choosing) mark.textContent = isChosen ? '✓' : '';
  }

  function showChosen() {
    const count = chosen.size;
    byId('album-select-count').textContent = count
      ? `${count} chosen`
      : 'Choose the photos and videos to move to the Trash.';
    byId('album-select-remove').disabled = count === 0;
  }

  // Moves photos of this album to the Trash, with Undo. Resolves once the album shows
  // them gone.
  async function removePhotos(photoIds) {
    if (!album || !photoIds.length) return;
    const from = album;
    let entries;
    try {
      entries = await api.removePhotos(from.id, photoIds);
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    setChoosing(false);
    const what = itemsLabel(photoIds);
    showToast(`${what} moved to the Trash.`, {
      action: { label: 'Undo', run: () => undo(entries, what) },
      showFor: UNDO_FOR_MS,
      subject: 'trash',
    });
    await refresh();
  }

  // "1 photo", "2 photos, 1 video": said the same way when they go and come back.
  function itemsLabel(photoIds) {
    const videos = photos.filter((photo) => photoIds.includes(photo.id) && photo.kind === 'video').length;
    return countLabel(photoIds.length - videos, videos);
  }

  async function undo(entries, what) {
    try {
      await api.restoreFromTrash(entries);
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    showToast(`${what} back in the album.`, { subject: 'trash' });
    await onRestored();
  }

  async function rename() {
    if (!album) return;
    await askText({
      title: 'Rename album',
      label: 'New name for this album',
      value: album.title,
      saveLabel: 'Save',
      cancelLabel: 'Cancel',
      submit: async (text) => {
        const title = text.trim();
        if (!title) throw new FriendlyError('Please type a name for the album.');
        await api.renameAlbum(album.id, title);
        album.title = title;
        titleElement.textContent = title;
      },
    });
  }

  // "Remove album" needs no question: it goes to the Trash, and the toast offers Undo.
  async function remove() {
    if (!album) return;
    const removing = album;
    let entry;
    try {
      entry = await api.removeAlbum(removing.id);
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    await onRemoved(removing, entry);
  }

  return {
    open,
    refresh,
    leave,
    removePhotos,
    focusTitle: () => titleElement.focus(),
    // Used when coming back from the viewer: the photo last seen is centred and focused.
    focusPhoto: (index) => grid.focusItem(index, { block: 'center' }),
  };
}

function cloudMark() {
  return h('span', { class: 'cloud-mark', 'aria-hidden': 'true', title: 'In the family cloud' });
}

// The answer with the cloud flags left out, to tell a change of photos from a change
// of what the cloud holds.
function withoutCloud(answer) {
  if (!answer) return '';
  return JSON.stringify({
    album: { ...answer.album, in_cloud: 0 },
    photos: (answer.photos ?? []).map((photo) => ({ ...photo, in_cloud: false })),
  });
}

// The album's photos with the items on their way from the cloud among them, in the
// order taken (the backend's order is kept for the album's own).
function withArriving(answer) {
  const own = answer.photos ?? [];
  const arriving = (answer.arriving ?? []).map((item) => ({
    id: `cloud:${item.cloud_id}`,
    kind: item.is_video ? 'video' : 'photo',
    width: item.width,
    height: item.height,
    taken_at: item.taken_at,
    added_by: item.added_by,
    in_cloud: true,
    arriving: true,
    posterSrc: cloudThumbUrl(item.cloud_id),
    previewSrc: cloudPreviewUrl(item.cloud_id),
    videoSrc: cloudVideoUrl(item.cloud_id),
  }));
  if (!arriving.length) return own;
  const time = (photo) => {
    const at = Date.parse(photo.taken_at ?? '');
    return Number.isNaN(at) ? Infinity : at;
  };
  const all = [...own];
  for (const item of arriving) {
    const at = all.findIndex((photo) => time(photo) > time(item));
    if (at === -1) all.push(item);
    else all.splice(at, 0, item);
  }
  return all;
}

// Groups photos by the day they were taken, keeping the backend's time order.
// Photos without a date go together at the end under "Date unknown".
function groupByDay(list) {
  const sections = new Map();
  for (const photo of list) {
    const when = parseTakenAt(photo.taken_at);
    const key = when ? dayKey(when) : UNKNOWN_DAY;
    if (!sections.has(key)) {
      sections.set(key, { heading: when ? longDate(when) : 'Date unknown', items: [] });
    }
    sections.get(key).items.push({ ...photo, when });
  }
  const unknown = sections.get(UNKNOWN_DAY);
  sections.delete(UNKNOWN_DAY);
  return unknown ? [...sections.values(), unknown] : [...sections.values()];
}

// "Photo from 14 June 2024", "Video, 1:23, from 14 June 2024".
function tileLabel(photo, duration) {
  const day = photo.when ? `from ${shortDate(photo.when)}` : 'date unknown';
  const what = photo.kind !== 'video'
    ? (photo.when ? `Photo ${day}` : `Photo, ${day}`)
    : ['Video', duration, day].filter(Boolean).join(', ');
  return [what, photo.added_by && `added by ${photo.added_by}`,
    photo.arriving && 'on its way to this computer'].filter(Boolean).join(', ');
}
