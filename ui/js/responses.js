// The family's hearts and comments under a photo in the viewer: "♥ 3" and each comment
// (name and text as plain text), read-only, each with "Remove", which asks first. Nothing
// shows for a photo without any, or when this computer is not connected to a cloud. A
// photo of an album only in the cloud carries its cloud album's id (`remoteAlbum`); one
// of an album here is asked about by the library's ids. When the family cloud tells of
// changes (a comment removed on another computer, a new heart), the photo on screen is
// asked about again, without blanking what shows meanwhile.

import { api, messageOf, onEvent } from './api.js';
import { askConfirm } from './dialogs.js';
import { byId, h } from './dom.js';
import { number } from './format.js';
import { showToast } from './toast.js';

export function createResponses() {
  const box = byId('viewer-responses');
  // Which photo is asked about: an answer for a photo no longer shown is dropped.
  let asked = 0;

  // What is on screen, to ask about again when the cloud changes.
  let shown = null;
  onEvent('cloud-follow', (event) => {
    if (event?.kind === 'library_changed' && shown) show(shown.albumId, shown.photo, { again: true });
  });

  function ask(albumId, photo) {
    if (!photo || photo.arriving) return null;
    if (photo.remoteAlbum) return api.cloudPhotoResponses(photo.remoteAlbum, photo.id);
    if (albumId == null) return null;
    return api.photoResponses(albumId, photo.id);
  }

  async function show(albumId, photo, { again = false } = {}) {
    const thisAsk = ++asked;
    if (!again) {
      box.hidden = true;
      box.replaceChildren();
    }
    const asking = ask(albumId, photo);
    shown = asking ? { albumId, photo } : null;
    if (!asking) return;
    const found = await asking.catch(() => null);
    if (thisAsk !== asked || !found) return;
    const { hearts = 0, comments = [] } = found;
    if (!hearts && !comments.length) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    const parts = [];
    if (hearts) {
      parts.push(h('p', { class: 'viewer-hearts', dataset: { testid: 'viewer-hearts' } },
        `♥ ${number(hearts)} `,
        h('span', { class: 'viewer-hearts-word' }, hearts === 1 ? 'heart' : 'hearts')));
    }
    if (comments.length) {
      parts.push(h('ul', { class: 'viewer-comments', 'aria-label': 'Comments from the family' },
        ...comments.map((comment) => commentItem(albumId, photo, comment))));
    }
    box.replaceChildren(...parts);
    box.hidden = false;
  }

  function commentItem(albumId, photo, comment) {
    // h() sets text as textContent: what the family typed is never read as HTML.
    return h('li', { class: 'viewer-comment', dataset: { testid: 'viewer-comment' } },
      h('p', { class: 'viewer-comment-text' },
        h('strong', { class: 'viewer-comment-name' }, comment.name),
        h('span', {}, ` ${comment.text}`)),
      h('button', {
        class: 'button viewer-comment-remove',
        type: 'button',
        dataset: { testid: 'remove-comment' },
        'aria-label': `Remove ${comment.name}'s comment`,
        onclick: () => remove(albumId, photo, comment),
      }, 'Remove'));
  }

  async function remove(albumId, photo, comment) {
    const sure = await askConfirm({
      message: `Remove ${comment.name}'s comment? The family will no longer see it.`,
      confirmLabel: 'Remove the comment',
      cancelLabel: 'Keep it',
    });
    if (!sure) return;
    try {
      await api.removeComment(comment.id);
      showToast(`${comment.name}'s comment is removed.`, { subject: 'comment' });
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
    }
    await show(albumId, photo);
  }

  function clear() {
    asked += 1;
    shown = null;
    box.hidden = true;
    box.replaceChildren();
  }

  return { show, clear };
}
