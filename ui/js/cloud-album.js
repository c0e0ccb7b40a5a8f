// An album that is in the family cloud only: its photos (thumbnails fetched from the
// cloud and kept in the cache), which open in the viewer (previews, and videos streamed
// from the cloud), and "Keep a copy on this computer". The copy's progress
// arrives as `cloud-follow` events; when it has finished, the album is a local one and
// opens as such.

import {
  api, cloudPreviewUrl, cloudThumbUrl, cloudVideoUrl, messageOf, onEvent,
} from './api.js';
import { byId, h } from './dom.js';
import { countLabel, number, plural, sizeLabel, timeLeftLabel } from './format.js';
import { showToast } from './toast.js';

// `onKept(albumId)` runs once the originals are on this computer; `onOpenPhoto(photos,
// index)` opens the viewer.
export function createCloudAlbumPage({ onBack, onKept, onOpenPhoto }) {
  const titleElement = byId('cloud-album-title');
  const countElement = byId('cloud-album-count');
  const statusElement = byId('cloud-album-status');
  const grid = byId('cloud-album-grid');
  const keepButton = byId('cloud-album-keep');
  const progress = byId('cloud-album-progress');
  const progressText = byId('cloud-album-progress-text');
  const progressBar = byId('cloud-album-progress-bar');

  let album = null;
  // The photos as the viewer takes them, in the grid's order.
  let photos = [];
  // The local album being filled by "Keep a copy", while it is.
  let keeping = null;
  let openCount = 0;

  byId('cloud-album-back').addEventListener('click', () => onBack());
  keepButton.addEventListener('click', keep);
  onEvent('cloud-follow', followed);

  async function open(card) {
    const thisOpen = ++openCount;
    album = card;
    photos = [];
    keeping = null;
    titleElement.textContent = card.title;
    countElement.textContent = countLabel(card.photo_count - card.video_count, card.video_count);
    keepButton.disabled = false;
    keepButton.textContent = 'Keep a copy on this computer';
    progress.hidden = true;
    grid.replaceChildren();
    statusElement.hidden = false;
    statusElement.textContent = 'Getting the photos from the family cloud…';
    let listed;
    try {
      listed = await api.cloudAlbumPhotos(card.remote_id);
    } catch (error) {
      if (thisOpen === openCount) statusElement.textContent = messageOf(error);
      return;
    }
    if (thisOpen !== openCount) return;
    statusElement.hidden = true;
    // The album list counts items; the photos listed say which are videos.
    const videos = listed.filter((photo) => photo.is_video).length;
    countElement.textContent = countLabel(listed.length - videos, videos);
    photos = listed.map((photo) => ({
      id: photo.id,
      remoteAlbum: card.remote_id,
      kind: photo.is_video ? 'video' : 'photo',
      taken_at: photo.taken_at,
      previewSrc: cloudPreviewUrl(photo.id),
      posterSrc: cloudThumbUrl(photo.id),
      videoSrc: cloudVideoUrl(photo.id),
    }));
    grid.replaceChildren(...photos.map(tile));
  }

  function tile(photo, index) {
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: 'cloud-tile',
          type: 'button',
          dataset: { testid: 'cloud-photo' },
          'aria-label': photo.kind === 'video' ? 'Video' : 'Photo',
          onclick: () => onOpenPhoto(photos, index),
        },
        h('img', { alt: '', loading: 'lazy', decoding: 'async', src: photo.posterSrc }),
        photo.kind === 'video' && h('span', { class: 'play-mark', 'aria-hidden': 'true', dataset: { testid: 'play-mark' } },
          h('span', { class: 'play-mark-arrow' }, '▶'), 'Video'),
      ),
    );
  }

  async function keep() {
    if (!album || keeping) return;
    keepButton.disabled = true;
    keepButton.textContent = 'Keeping a copy…';
    showProgress('Getting ready to copy the photos to this computer…', 0);
    try {
      keeping = await api.keepCloudAlbum(album.remote_id);
    } catch (error) {
      keepButton.disabled = false;
      keepButton.textContent = 'Keep a copy on this computer';
      progress.hidden = true;
      showToast(messageOf(error), { kind: 'error' });
    }
  }

  function showProgress(text, fraction) {
    progress.hidden = false;
    progressText.textContent = text;
    progressBar.value = fraction;
  }

  function followed(event) {
    if (keeping == null) return;
    if (event.kind === 'fetching') {
      if (event.paused) {
        showProgress(event.paused, progressBar.value);
        return;
      }
      const left = timeLeftLabel(event.seconds_left);
      const text = `Copying to this computer: ${number(event.files_done)} of ${number(event.files_total)} `
        + `(${sizeLabel(event.bytes_done)} of ${sizeLabel(event.bytes_total)})${left ? `. ${left}.` : '.'}`;
      showProgress(text, event.bytes_total ? event.bytes_done / event.bytes_total : 0);
    } else if (event.kind === 'fetched') {
      const albumId = keeping;
      keeping = null;
      if (event.failed) {
        showToast(`${number(event.failed)} ${plural(event.failed, 'photo or video', 'photos or videos')} could not be copied. Choose “Keep a copy on this computer” again to try them again.`, { kind: 'error', subject: 'keep-copy' });
      }
      onKept(albumId);
    }
  }

  return {
    open,
    leave() {
      openCount++;
    },
    focusTitle() {
      titleElement.focus();
    },
    focusPhoto(index) {
      grid.querySelectorAll('[data-testid=cloud-photo]')[index]?.focus();
    },
  };
}
