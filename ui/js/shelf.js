// The shelf: every album as a big card with its cover, name, count and months.
// With no albums yet it becomes the first-run screen: "Drag a folder of photos here".

import { api, messageOf, thumbUrl } from './api.js';
import { byId, h } from './dom.js';
import { countLabel, monthRange } from './format.js';

export function createShelf({ onOpenAlbum, onAddPhotos }) {
  const section = byId('shelf');
  let albums = [];
  // The shelf is rebuilt each time it is shown; this puts the person back where they were.
  let scrollTop = 0;
  let loadCount = 0;

  async function load() {
    const thisLoad = ++loadCount;
    let list;
    try {
      list = await api.listAlbums();
    } catch (error) {
      if (thisLoad === loadCount) showProblem(messageOf(error));
      return;
    }
    if (thisLoad !== loadCount) return;
    albums = Array.isArray(list) ? list : [];
    if (albums.length) showAlbums();
    else section.replaceChildren(firstRunScreen());
  }

  function showAlbums() {
    const scroller = h('div', { class: 'page-scroll' }, h('ul', { class: 'album-grid' }, albums.map(albumCard)));
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
        addPhotosButton(),
      ),
      scroller,
    );
    scroller.scrollTop = scrollTop;
  }

  function firstRunScreen() {
    return h(
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
  }

  function addPhotosButton() {
    return h(
      'button',
      { class: 'button primary big', type: 'button', dataset: { testid: 'add-photos' }, onclick: () => onAddPhotos() },
      'Add photos',
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
            scrollTop = section.querySelector('.page-scroll')?.scrollTop ?? 0;
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
        ),
      ),
    );
  }

  function showProblem(message) {
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
    find: (albumId) => albums.find((album) => album.id === albumId),
    focusAlbum(albumId) {
      section.querySelector(`[data-album-id="${CSS.escape(String(albumId))}"]`)?.focus();
    },
  };
}
