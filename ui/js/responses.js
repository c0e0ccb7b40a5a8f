// The family's hearts and comments under a photo in the viewer: "♥ 3" and each comment
// (name and text as plain text), read-only, each with "Remove", which asks first. Nothing
// shows for a photo without any, or when this computer is not connected to a cloud.

import { api, messageOf } from './api.js';
import { askConfirm } from './dialogs.js';
import { byId, h } from './dom.js';
import { number } from './format.js';
import { showToast } from './toast.js';

export function createResponses() {
  const box = byId('viewer-responses');
  // Which photo is asked about: an answer for a photo no longer shown is dropped.
  let asked = 0;

  async function show(albumId, photo) {
    const ask = ++asked;
    box.hidden = true;
    box.replaceChildren();
    if (albumId == null || !photo || photo.arriving) return;
    const found = await api.photoResponses(albumId, photo.id).catch(() => null);
    if (ask !== asked || !found) return;
    const { hearts = 0, comments = [] } = found;
    if (!hearts && !comments.length) return;
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
      showToast(`${comment.name}'s comment is removed.`);
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
    }
    await show(albumId, photo);
  }

  function clear() {
    asked += 1;
    box.hidden = true;
    box.replaceChildren();
  }

  return { show, clear };
}
