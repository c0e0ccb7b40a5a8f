// The shelf: every album as a big card with its cover, name, count and months, with
// "Add photos", "Trash" and "Settings" at the top, then the albums that are in the family cloud
// only ("In the family cloud"), which open to be looked at or kept. With no albums at
// all it becomes the first-run screen: "Drag a folder of photos here". When the folder watcher changes the library
// it is refreshed in place, keeping the scroll position and keyboard focus.

import { api, cloudThumbUrl, messageOf, thumbUrl } from './api.js';
import { byId, h } from './dom.js';
import { newestOnly } from './newest.js';
import { cloudState } from './cloud.js';
import { countLabel, inCloudLabel, monthRange } from './format.js';

export function createShelf({
  onOpenAlbum, onOpenCloudAlbum, onAddPhotos, onOpenSettings, onOpenTrash,
}) {
  const section = byId('shelf');
  let albums = [];
  // The albums in the family cloud only; fetched when the shelf is shown afresh and when
  // the cloud changed, not on every refresh (each is a request to the cloud).
  let cloudAlbums = [];
  // The shelf is rebuilt each time it is shown; this puts the person back where they were.
  let scrollTop = 0;
  // What is on screen, so a refresh that changes nothing leaves the cards be.
  let shownKey = '';

  // Resolves once the albums (or the first-run screen) are on screen. With `keepPlace`
  // (a refresh of the shelf being looked at) the scroll position and keyboard focus
  // stay where they are, and nothing is rebuilt when nothing changed.
  const loadLocal = newestOnly(() => api.listAlbums(), showShelf);
  const loadCloud = newestOnly(() => api.cloudOnlyAlbums(), ({ answer, failure }) => {
    // Signed out, or the cloud out of reach: the shelf shows this computer's albums.
    const next = !failure && Array.isArray(answer) ? answer : [];
    if (JSON.stringify(next) === JSON.stringify(cloudAlbums)) return;
    cloudAlbums = next;
    showShelf({ answer: albums }, { keepPlace: true });
  });

  // A fresh showing also asks the cloud what it has; a refresh in place does not.
  function load(options = {}) {
    const local = loadLocal(options);
    if (!options.keepPlace) local.then(() => loadCloud());
    return local;
  }

  function showShelf({ answer: list, failure }, { keepPlace = false } = {}) {
    if (failure) {
      // A refresh that fails leaves the shelf as it is.
      if (!keepPlace) showProblem(messageOf(failure));
      return;
    }
    const newAlbums = Array.isArray(list) ? list : [];
    const key = JSON.stringify([newAlbums, cloudAlbums]);
    if (keepPlace && key === shownKey) return;
    const place = keepPlace ? focusedPlace() : null;
    if (keepPlace) rememberScroll();
    albums = newAlbums;
    shownKey = key;
    if (albums.length || cloudAlbums.length) showAlbums();
    else section.replaceChildren(...firstRunScreen());
    if (place) restoreFocus(place);
  }

  function rememberScroll() {
    scrollTop = section.querySelector('.page-scroll')?.scrollTop ?? 0;
  }

  function showAlbums() {
    const scroller = h(
      'div',
      { class: 'page-scroll' },
      albums.length > 0 && h('ul', { class: 'album-grid' }, albums.map(albumCard)),
      cloudAlbums.length > 0 && [
        h('h2', { class: 'shelf-section-title' }, 'In the family cloud'),
        h('p', { class: 'shelf-section-hint' },
          'These albums are not on this computer yet. Open one to look at it, or to keep a copy here.'),
        h('ul', { class: 'album-grid', dataset: { testid: 'cloud-albums' } }, cloudAlbums.map(cloudAlbumCard)),
      ],
    );
    section.replaceChildren(
      h(
        'header',
        { class: 'page-header shelf-header' },
        h(
          'div',
          {},
          h('h1', { class: 'page-title', tabindex: '-1' }, 'Your albums'),
          h('p', { class: 'page-hint' }, 'Choose an album to see its photos. To add more, drag a folder onto this window.'),
        ),
        h('div', { class: 'shelf-actions' }, addPhotosButton(), trashButton(), settingsButton()),
      ),
      scroller,
    );
    scroller.scrollTop = scrollTop;
  }

  // Settings stays within reach (a quiet button in the corner) even with no albums.
  function firstRunScreen() {
    const welcome = h(
      'div',
      { class: 'empty-state', dataset: { testid: 'empty-state' } },
      h(
        'div',
        { class: 'empty-box' },
        h('p', { class: 'empty-welcome' }, 'Welcome to Pic-up'),
        h('h1', { class: 'empty-title', tabindex: '-1' }, 'Drag a folder of photos here'),
        h('p', { class: 'empty-or' }, 'or choose a folder'),
        addPhotosButton(),
        h('p', { class: 'empty-reassure' }, 'Your photos stay where they are. Pic-up only shows them as albums.'),
      ),
    );
    // The Trash too: removing the only album leads here, and it must be able to come back.
    return [h('header', { class: 'page-header first-run-header' }, trashButton(), settingsButton()), welcome];
  }

  function addPhotosButton() {
    return h(
      'button',
      { class: 'button primary big', type: 'button', dataset: { testid: 'add-photos' }, onclick: () => onAddPhotos() },
      'Add photos',
    );
  }

  function trashButton() {
    return h(
      'button',
      {
        class: 'button',
        type: 'button',
        dataset: { testid: 'open-trash' },
        onclick: () => {
          rememberScroll();
          onOpenTrash();
        },
      },
      'Trash',
    );
  }

  function settingsButton() {
    return h(
      'button',
      {
        class: 'button',
        type: 'button',
        dataset: { testid: 'open-settings' },
        onclick: () => {
          rememberScroll();
          onOpenSettings();
        },
      },
      'Settings',
    );
  }

  function albumCard(album) {
    const dates = monthRange(album.first_taken_at, album.last_taken_at);
    const cover = album.cover_photo_id == null
      ? h('span', { class: 'album-cover album-cover-empty', 'aria-hidden': 'true' })
      : h('img', { class: 'album-cover', alt: '', loading: 'lazy', decoding: 'async', src: thumbUrl(album.cover_photo_id) });
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: 'album-card',
          type: 'button',
          dataset: { testid: 'album-card', albumId: album.id },
          onclick: () => {
            rememberScroll();
            onOpenAlbum(album.id);
          },
        },
        cover,
        h(
          'span',
          { class: 'album-card-text' },
          h('span', { class: 'album-card-title', dataset: { testid: 'album-title' } }, album.title),
          h('span', { class: 'album-card-count', dataset: { testid: 'album-count' } },
            countLabel(album.count - album.video_count, album.video_count)),
          dates && h('span', { class: 'album-card-dates' }, dates),
          cloudState().account && h('span', { class: 'album-card-cloud', dataset: { testid: 'album-cloud' } },
            inCloudLabel(album.in_cloud, album.count)),
        ),
      ),
    );
  }

  function cloudAlbumCard(album) {
    const cover = album.cover_photo == null
      ? h('span', { class: 'album-cover album-cover-empty', 'aria-hidden': 'true' })
      : h('img', { class: 'album-cover', alt: '', loading: 'lazy', decoding: 'async', src: cloudThumbUrl(album.cover_photo) });
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: 'album-card',
          type: 'button',
          dataset: { testid: 'cloud-album-card', remoteId: album.remote_id },
          onclick: () => {
            rememberScroll();
            onOpenCloudAlbum(album);
          },
        },
        cover,
        h(
          'span',
          { class: 'album-card-text' },
          h('span', { class: 'album-card-title' }, album.title),
          h('span', { class: 'album-card-count', dataset: { testid: 'cloud-album-count' } },
            countLabel(album.photo_count - album.video_count, album.video_count)),
          h('span', { class: 'album-card-cloud album-card-in-cloud' }, 'In the family cloud'),
        ),
      ),
    );
  }

  // Where keyboard focus is before a refresh: on an album card (by album, and by place
  // in case that album is gone) or on one of the buttons.
  function focusedPlace() {
    const active = document.activeElement;
    if (!active || !section.contains(active)) return null;
    const cards = [...section.querySelectorAll('[data-album-id]')];
    return { albumId: active.dataset.albumId, cardIndex: cards.indexOf(active), testid: active.dataset.testid };
  }

  function restoreFocus({ albumId, cardIndex, testid }) {
    const cards = [...section.querySelectorAll('[data-album-id]')];
    let target = null;
    if (albumId != null) {
      target = cards.find((card) => card.dataset.albumId === albumId) ?? cards[Math.min(cardIndex, cards.length - 1)];
    } else if (testid) {
      target = section.querySelector(`[data-testid="${CSS.escape(testid)}"]`);
    }
    (target ?? section.querySelector('h1'))?.focus({ preventScroll: true });
  }

  function showProblem(message) {
    shownKey = '';
    section.replaceChildren(
      h(
        'div',
        { class: 'empty-state' },
        h(
          'div',
          { class: 'empty-box' },
          h('h1', { class: 'empty-title', tabindex: '-1' }, 'Your albums could not be shown'),
          h('p', { class: 'empty-or' }, message),
          h('button', { class: 'button primary big', type: 'button', onclick: () => load() }, 'Try again'),
        ),
      ),
    );
  }

  return {
    load,
    loadCloud: () => loadCloud(),
    find: (albumId) => albums.find((album) => album.id === albumId),
    focusAlbum(albumId) {
      section.querySelector(`[data-album-id="${CSS.escape(String(albumId))}"]`)?.focus();
    },
    focusSettings() {
      section.querySelector('[data-testid="open-settings"]')?.focus();
    },
    focusTrash() {
      section.querySelector('[data-testid="open-trash"]')?.focus();
    },
  };
}
