// The viewer: one photo (or video) filling the window, with big "‹ Previous" and
// "Next ›" buttons, the date it was taken and "3 of 120". Arrow keys step and Escape
// goes back to the album. When the album changes under it (the folder watcher), the
// photo on screen stays and "3 of 120" follows the new list. A photo may carry its own
// addresses (`previewSrc`, `posterSrc`, `videoSrc`): the cloud album's photos do.
// "Move to Trash" is offered for an album on this computer (`setRemovable`), once the
// item is here. What the family added through a link says "Added by …" under the date.
// Under a photo of an album here (`setAlbum`) or of a cloud album (its photos carry
// `remoteAlbum`), the family's hearts and comments show (`responses.js`).

import { originalUrl, previewUrl, thumbUrl } from './api.js';
import { byId, h } from './dom.js';
import { createResponses } from './responses.js';
import { durationLabel, longDate, number, parseTakenAt, shortDate, timeOfDay } from './format.js';

export function createViewer({ onBack, onRemove }) {
  const section = byId('viewer');
  const stage = byId('viewer-stage');
  const dateElement = byId('viewer-date');
  const addedByElement = byId('viewer-added-by');
  const positionElement = byId('viewer-position');
  const previousButton = byId('viewer-previous');
  const nextButton = byId('viewer-next');

  let photos = [];
  let index = 0;
  // Held so the browser keeps fetching the neighbours' previews in the background.
  let preloaded = [];
  let removable = false;
  let albumId = null;
  const responses = createResponses();

  const removeButton = byId('viewer-remove');
  byId('viewer-back').addEventListener('click', () => onBack(index));
  removeButton.addEventListener('click', () => photos[index] && onRemove(photos[index]));
  previousButton.addEventListener('click', () => show(index - 1));
  nextButton.addEventListener('click', () => show(index + 1));
  document.addEventListener('keydown', onKeyDown);

  function open(list, startIndex) {
    photos = list;
    show(startIndex);
    // Focus the viewer itself rather than a button, so a stray Enter does nothing.
    section.focus({ preventScroll: true });
  }

  function show(newIndex) {
    if (!photos.length) return;
    index = Math.min(Math.max(newIndex, 0), photos.length - 1);
    const photo = photos[index];
    const when = photo.when ?? parseTakenAt(photo.taken_at);

    stopMedia();
    stage.replaceChildren(photo.kind === 'video' ? videoElement(photo, when) : imageElement(photo, when));
    dateElement.textContent = when ? dateAndTime(when) : 'Date unknown';
    // Plain text: the name is whatever the family member typed.
    addedByElement.textContent = photo.added_by ? `Added by ${photo.added_by}` : '';
    addedByElement.hidden = !photo.added_by;
    removeButton.hidden = !removable || Boolean(photo.arriving);
    showPosition();
    updateButtons();
    preloadNeighbours();
    responses.show(albumId, photo);
  }

  // The album's photos changed while the viewer is open. The photo (or playing video)
  // on screen stays if it is still in the album; if it is gone, the one now in its
  // place is shown. Returns false when the album has no photos left.
  function update(list) {
    const current = photos[index];
    photos = list;
    if (!photos.length) {
      stop();
      return false;
    }
    const stillHere = current ? photos.findIndex((photo) => photo.id === current.id) : -1;
    if (stillHere === -1) {
      show(index);
      return true;
    }
    index = stillHere;
    showPosition();
    updateButtons();
    preloadNeighbours();
    return true;
  }

  // Set only when it changes: the position is a live region, read out on each change.
  function showPosition() {
    const text = `${number(index + 1)} of ${number(photos.length)}`;
    if (positionElement.textContent !== text) positionElement.textContent = text;
  }

  function updateButtons() {
    const focusWasOn = document.activeElement;
    previousButton.disabled = index === 0;
    nextButton.disabled = index === photos.length - 1;
    // A disabled button drops keyboard focus; hand it to the button that still works.
    if (focusWasOn === nextButton && nextButton.disabled) previousButton.focus();
    if (focusWasOn === previousButton && previousButton.disabled) nextButton.focus();
  }

  function imageElement(photo, when) {
    const image = h('img', {
      class: 'viewer-media',
      dataset: { testid: 'viewer-image', photoId: photo.id },
      alt: when ? `Photo from ${shortDate(when)}` : 'Photo, date unknown',
      decoding: 'async',
      src: photo.previewSrc ?? previewUrl(photo.id),
    });
    image.addEventListener('error', () => showProblem(image, 'This photo could not be shown.'));
    return image;
  }

  // A video with a big "▶ Play 0:12" button over it while it is not playing; the
  // player's own controls stay for pausing and moving along.
  function videoElement(photo, when) {
    const duration = durationLabel(photo.duration_ms);
    const video = h('video', {
      class: 'viewer-media',
      dataset: { testid: 'viewer-image', photoId: photo.id },
      'aria-label': ['Video', duration, when ? `from ${shortDate(when)}` : ''].filter(Boolean).join(', '),
      controls: true,
      playsinline: true,
      preload: 'metadata',
      // The thumbnail is certain to exist and shows something at once while the
      // video's first frame loads.
      poster: photo.posterSrc ?? thumbUrl(photo.id),
      src: photo.videoSrc ?? originalUrl(photo.id),
    });
    const play = h('button', {
      class: 'viewer-play',
      type: 'button',
      dataset: { testid: 'viewer-play' },
      onclick: () => {
        video.play().catch(() => {});
      },
    }, h('span', { class: 'viewer-play-arrow', 'aria-hidden': 'true' }, '▶'), duration ? `Play ${duration}` : 'Play');
    video.addEventListener('play', () => {
      play.hidden = true;
    });
    video.addEventListener('pause', () => {
      play.hidden = false;
    });
    video.addEventListener('error', () => {
      play.hidden = true;
      showProblem(video, 'This video cannot be played in Pic-up. It is still safe in your folder.');
    });
    return h('div', { class: 'viewer-video' }, video, play);
  }

  // The media element stays (hidden) so tests and the position text still refer to it.
  function showProblem(media, message) {
    if (!media.isConnected) return; // a video being let go of by stopMedia()
    media.hidden = true;
    stage.append(h('p', { class: 'viewer-problem' }, message));
  }

  function preloadNeighbours() {
    preloaded = [photos[index + 1], photos[index - 1]]
      .filter((photo) => photo && photo.kind !== 'video')
      .map((photo) => {
        const image = new Image();
        image.decoding = 'async';
        image.src = photo.previewSrc ?? previewUrl(photo.id);
        return image;
      });
  }

  function stopMedia() {
    for (const video of stage.querySelectorAll('video')) {
      video.pause();
      // Clearing the source makes the web view let go of the file straight away.
      video.removeAttribute('src');
      video.load();
    }
  }

  // Called whenever the viewer is left, so a video never keeps playing out of sight.
  function stop() {
    stopMedia();
    stage.replaceChildren();
    responses.clear();
    preloaded = [];
  }

  function onKeyDown(event) {
    if (section.hidden || event.defaultPrevented) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    // Escape belongs to an open dialog or a full-screen video first.
    if (document.querySelector('dialog[open]') || document.fullscreenElement) return;
    if (event.key === 'ArrowLeft') show(index - 1);
    else if (event.key === 'ArrowRight') show(index + 1);
    else if (event.key === 'Escape') onBack(index);
    else return;
    event.preventDefault();
  }

  function setRemovable(canRemove) {
    removable = canRemove;
    removeButton.hidden = !removable || Boolean(photos[index]?.arriving);
  }

  // The album here whose photos are shown (null for a cloud album's).
  function setAlbum(id) {
    albumId = id;
  }

  return { open, update, stop, setRemovable, setAlbum };
}

// "Saturday, 14 June 2024 at 3:45 pm"
function dateAndTime(when) {
  const time = timeOfDay(when);
  return time ? `${longDate(when)} at ${time}` : longDate(when);
}
