// "Share album": one button makes a link for the family, copies it and shows it with a
// QR code a phone can scan, "Copy", "Send by e-mail" and "See what the family sees".
// The dialog keeps its title on top and Close at the bottom; what is between scrolls
// when the window is small. Options in plain words (how long the link works, whether
// the family may download the originals, whether they may add their own photos, whether
// they may leave hearts and comments), and the links already made, as the cloud has them
// (a link stopped elsewhere or run out leaves the list), each with "Family can add
// photos" and "Family can comment" switches, "Stop sharing" (which asks first) and a
// password to set, change or remove.

import { api, messageOf } from './api.js';
import { confirmThenDo } from './dialogs.js';
import { announce, h } from './dom.js';
import { inCloudLabel, longDate, parseTakenAt } from './format.js';
import { cloudState } from './cloud.js';
import { showToast } from './toast.js';

// How long "Copy" says "Copied" after a press.
const COPIED_FOR_MS = 4000;

const LASTS = [
  ['never', 'Never'],
  ['week', '1 week'],
  ['month', '1 month'],
];

// How the dialog opens Settings when there is no family cloud yet (main.js sets it).
let openSettings = () => {};
export function whenOpeningSettings(open) {
  openSettings = open;
}

// Opens the dialog for `album` ({ id, title, count, in_cloud }). Resolves when closed.
export function openShareDialog(album) {
  return new Promise((resolve) => {
    const returnFocusTo = document.activeElement;
    const connected = cloudState().connected;
    const titleId = 'share-title';
    const linksList = h('ul', { class: 'share-links', dataset: { testid: 'share-links' } });
    const result = h('div', { class: 'share-result', dataset: { testid: 'share-result' }, hidden: true });
    const problem = h('p', { class: 'dialog-problem', role: 'alert', hidden: true });
    const lastsSelect = h('select', { id: 'share-lasts', class: 'text-input', name: 'lasts' },
      LASTS.map(([value, label]) => h('option', { value }, label)));
    const download = h('input', { id: 'share-download', type: 'checkbox', checked: true, class: 'checkbox' });
    // Off unless the parent turns it on.
    const adding = familySwitch({ id: 'share-adding', on: false, ...ADDING });
    // On unless the parent turns it off.
    const commenting = familySwitch({ id: 'share-commenting', on: true, ...COMMENTING });
    // Shown as typed: the parent has to tell it to the family.
    const password = h('input', {
      id: 'share-password', class: 'text-input', type: 'text', autocomplete: 'off',
      maxlength: 200, dataset: { testid: 'share-password' },
    });
    // In the dialog's foot with Close, so it is on screen however long the form is.
    const makeButton = h('button', {
      class: 'button primary', type: 'submit', form: 'share-form', dataset: { testid: 'make-link' },
    }, 'Make a link');
    const notAll = album.in_cloud < album.count
      ? h('p', { class: 'settings-note', dataset: { testid: 'share-not-all' } },
        `${inCloudLabel(album.in_cloud, album.count)} so far. The family sees those now, and the rest as they arrive.`)
      : null;

    // Once a link is made, the form folds away behind this button, so the new link, its
    // code and the links list fit the window without scrolling.
    // Making a second link is only ever this button's doing, never a second press.
    const anotherButton = h('button', {
      class: 'button', type: 'button', hidden: true, dataset: { testid: 'make-another-link' },
      onclick: () => {
        showForm(true);
        lastsSelect.focus();
      },
    }, 'Make another link');
    const form = h(
      'form',
      { id: 'share-form', class: 'share-form', onsubmit: makeLink },
      h('label', { class: 'dialog-label', for: 'share-lasts' }, 'Link stops working after'),
      lastsSelect,
      h('label', { class: 'checkbox-label', for: 'share-download' }, download,
        h('span', {}, 'Let the family download the full-size photos')),
      adding.element,
      commenting.element,
      h('label', { class: 'dialog-label', for: 'share-password' }, 'Password (you can leave this empty)'),
      password,
      h('p', { class: 'page-hint' },
        'With a password, the family types it once on each phone or computer. Tell it to them yourself.'),
      problem,
    );

    const dialog = h(
      'dialog',
      { class: 'dialog share-dialog', 'aria-labelledby': titleId, dataset: { testid: 'share-dialog' } },
      h('h2', { id: titleId, class: 'dialog-title share-head' }, `Share “${album.title}”`),
      h('div', { class: 'share-body', dataset: { testid: 'share-body' } },
        connected
          ? [notAll, form, result,
            h('h3', { class: 'share-links-title' }, 'Links you have made'), linksList]
          : h('p', { class: 'dialog-message', dataset: { testid: 'share-needs-cloud' } },
            'To share albums, Pic-up first needs your family cloud. Ask whoever set it up for an '
            + 'invitation, or sign in to it in Settings.')),
      h('div', { class: 'share-foot' },
        h('div', { class: 'notices dialog-notices' }),
        h('div', { class: 'dialog-actions' },
          connected ? [makeButton, anotherButton] : h('button', {
            class: 'button primary', type: 'button', dataset: { testid: 'share-open-settings' },
            onclick: () => {
              dialog.close();
              openSettings();
            },
          }, 'Open Settings'),
          h('button', {
            class: 'button', type: 'button', dataset: { testid: 'share-close' }, onclick: () => dialog.close(),
          }, 'Close'))),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (returnFocusTo?.isConnected) returnFocusTo.focus();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    if (connected) loadLinks();

    async function loadLinks() {
      let links = [];
      try {
        links = await api.shareLinks(album.id);
      } catch (error) {
        linksList.replaceChildren(h('li', {}, messageOf(error)));
        return;
      }
      linksList.replaceChildren(...(links.length
        ? links.map(linkRow)
        : [h('li', { class: 'page-hint' }, 'No links yet.')]));
    }

    function linkRow(link) {
      const until = link.expires_at ? parseTakenAt(link.expires_at) : null;
      const adding = familySwitch({
        id: `share-adding-${link.id}`,
        on: link.allow_add,
        compact: true,
        onToggle: (on) => change(link, adding, 'allow_add', on),
        ...ADDING,
      });
      const commenting = familySwitch({
        id: `share-commenting-${link.id}`,
        on: link.allow_comments,
        compact: true,
        onToggle: (on) => change(link, commenting, 'allow_comments', on),
        ...COMMENTING,
      });
      const password = passwordPart(link);
      return h(
        'li',
        { class: 'share-link-row', dataset: { testid: 'share-link-row', linkId: link.id } },
        h('div', { class: 'share-link-text' },
          h('p', { class: 'share-url' }, link.url),
          h('p', { class: 'page-hint' }, [
            until ? `Works until ${longDate(until)}` : 'Works until you stop it',
            link.allow_download ? 'full-size photos can be downloaded' : 'view only',
            link.has_password ? 'asks for a password' : null,
          ].filter(Boolean).join(' · '))),
        // Two rows, each a switch with a button beside it, so a row stays as short as
        // it was with one switch.
        h('div', { class: 'share-link-actions' },
          adding.element,
          h('button', {
            class: 'button', type: 'button', 'aria-label': `Stop sharing the link ${link.url}`,
            dataset: { testid: 'stop-sharing' }, onclick: () => stop(link),
          }, 'Stop sharing')),
        h('div', { class: 'share-link-actions' }, commenting.element, password.openButton),
        password.box,
      );
    }

    // "Set a password" / "Change the password" on a link already sent: a field folds
    // out under the link. A new password asks everyone again, so the hint says so.
    function passwordPart(link) {
      const fieldId = `share-new-password-${link.id}`;
      const field = h('input', {
        id: fieldId, class: 'text-input', type: 'text', autocomplete: 'off', maxlength: 200,
        dataset: { testid: 'link-new-password' },
      });
      const saveButton = h('button', { class: 'button primary', type: 'submit', dataset: { testid: 'save-link-password' } },
        'Save the password');
      const removeButton = link.has_password
        ? h('button', {
          class: 'button', type: 'button', dataset: { testid: 'remove-link-password' },
          onclick: () => savePassword(link, null, [saveButton, removeButton]),
        }, 'Remove the password')
        : null;
      const box = h('form', {
        class: 'share-link-password', hidden: true,
        onsubmit: (event) => {
          event.preventDefault();
          if (!field.value.trim()) {
            field.focus();
            return;
          }
          savePassword(link, field.value, [saveButton, removeButton]);
        },
      },
      h('label', { class: 'dialog-label', for: fieldId },
        link.has_password ? 'New password for this link' : 'Password for this link'),
      field,
      h('p', { class: 'page-hint' }, link.has_password
        ? 'Everyone who opened the link is asked for the new one. Tell it to them yourself.'
        : 'The family types it once on each phone or computer. Tell it to them yourself.'),
      h('div', { class: 'share-link-actions' }, saveButton, removeButton));
      const openButton = h('button', {
        class: 'button', type: 'button', 'aria-expanded': 'false',
        dataset: { testid: 'change-link-password' },
        onclick: () => {
          box.hidden = !box.hidden;
          openButton.setAttribute('aria-expanded', String(!box.hidden));
          if (!box.hidden) field.focus();
        },
      }, link.has_password ? 'Change the password' : 'Set a password');
      return { openButton, box };
    }

    async function savePassword(link, newPassword, buttons) {
      buttons.forEach((button) => { if (button) button.disabled = true; });
      try {
        await api.setLinkPassword(link.id, newPassword);
        showToast(newPassword
          ? 'The link now asks for the new password.'
          : 'The link no longer asks for a password.', { subject: 'share-password' });
      } catch (error) {
        showToast(messageOf(error), { kind: 'error' });
      }
      loadLinks();
    }

    // A switch on a link already sent (`what`: 'allow_add' or 'allow_comments'): the
    // family keeps the same link either way.
    async function change(link, toggle, what, on) {
      const { send, saying } = LINK_SWITCHES[what];
      toggle.setBusy(true);
      try {
        const changed = await send(link.id, on);
        link[what] = changed[what];
        toggle.set(changed[what]);
        showToast(saying[changed[what] ? 1 : 0], { subject: `share-${what}` });
      } catch (error) {
        toggle.set(link[what]);
        showToast(messageOf(error), { kind: 'error' });
        loadLinks();
      } finally {
        toggle.setBusy(false);
      }
    }

    // The form and "Make a link", or the link made and "Make another link".
    function showForm(on) {
      form.hidden = !on;
      makeButton.hidden = !on;
      result.hidden = on;
      anotherButton.hidden = on;
      if (on) setMaking(false);
    }

    // True from the first press until the form shows again: a second press (or a second
    // Enter) while the link is being made, or after, makes nothing.
    let making = false;
    function setMaking(on) {
      making = on;
      makeButton.disabled = on;
      makeButton.textContent = on ? 'Making the link…' : 'Make a link';
    }

    async function makeLink(event) {
      event.preventDefault();
      if (making) return;
      setMaking(true);
      problem.hidden = true;
      let link;
      try {
        link = await api.shareAlbum(album.id, lastsSelect.value, download.checked, adding.isOn(),
          commenting.isOn(), password.value);
      } catch (error) {
        problem.textContent = messageOf(error);
        problem.hidden = false;
        // The form scrolls between the title and the buttons: bring the words into sight.
        problem.scrollIntoView({ block: 'nearest' });
        setMaking(false);
        return;
      }
      // The form goes at once, before anything else is awaited.
      form.hidden = true;
      makeButton.hidden = true;
      // A next link starts without this one's password rather than taking it unseen.
      password.value = '';
      let copied = true;
      try {
        await api.copyText(link.url);
      } catch {
        copied = false;
      }
      showResult(link, copied);
      anotherButton.hidden = false;
      // The link's own title says it was copied; no notice needs to repeat it.
      announce(copied ? 'Link made and copied. Paste it into a message to your family.'
        : 'Link made. Select it and copy it to send it.');
      loadLinks();
    }

    function showResult(link, copied) {
      const canvas = h('canvas', {
        class: 'qr', 'aria-label': 'QR code of the link, for a phone camera', role: 'img', dataset: { testid: 'share-qr' },
      });
      drawQr(canvas, link.qr_size, link.qr_modules);
      result.replaceChildren(
        h('p', { class: 'share-result-title' }, copied ? 'Link copied — send it to your family:' : 'Send this link to your family:'),
        h('div', { class: 'share-result-row' },
          canvas,
          h('div', { class: 'share-result-side' },
            h('div', { class: 'share-result-line' }, h('input', {
              class: 'text-input share-url-input', type: 'text', readonly: true, value: link.url,
              'aria-label': 'The sharing link', dataset: { testid: 'share-url' }, onfocus: (e) => e.target.select(),
            }),
            h('button', {
              class: 'button share-copy', type: 'button', dataset: { testid: 'share-copy' }, onclick: async (event) => {
                const button = event.currentTarget;
                try {
                  await api.copyText(link.url);
                } catch (error) {
                  showToast(messageOf(error), { kind: 'error', subject: 'share-link' });
                  return;
                }
                // Said on the button itself: a notice here would take the link's room.
                button.textContent = 'Copied';
                announce('Link copied. Paste it into a message to your family.');
                setTimeout(() => { button.textContent = 'Copy'; }, COPIED_FOR_MS);
              },
            }, 'Copy')),
            h('div', { class: 'share-result-line' },
              opening('share-email', mailTo(album.title, link.url), 'Send by e-mail'),
              opening('share-see', link.url, 'See what the family sees')),
            h('p', { class: 'share-qr-hint' }, 'Or let a phone camera read the code.'))),
      );
      result.hidden = false;
      result.querySelector('input').focus();
    }

    // A link that opens in the e-mail program or the browser: the app opens it (the
    // window itself never leaves Pic-up's pages).
    function opening(testid, address, label) {
      return h('a', {
        class: 'button',
        href: address,
        dataset: { testid },
        onclick: async (event) => {
          event.preventDefault();
          try {
            await api.openAddress(address);
          } catch (error) {
            showToast(messageOf(error), { kind: 'error', subject: 'share-link' });
          }
        },
      }, label);
    }

    async function stop(link) {
      const stopped = await confirmThenDo({
        message: 'Stop sharing with this link? Anyone who has it will no longer see the album. Your photos are not deleted.',
        confirmLabel: 'Stop sharing',
        cancelLabel: 'Keep the link',
      }, () => api.stopSharing(link.id));
      if (!stopped) return;
      showToast('That link no longer works.', { subject: 'share-link' });
      if (!result.hidden && result.querySelector('input')?.value === link.url) showForm(true);
      loadLinks();
    }
  });
}

// "Send by e-mail": a short, kind e-mail with the link, ready to send.
function mailTo(albumTitle, url) {
  const subject = `Photos: ${albumTitle}`;
  const body = `Here are the photos from ${albumTitle}. Open this link to see them: ${url}`;
  return `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}

// What the family may do through a link, as its switch says it.
const ADDING = {
  label: 'Family can add photos',
  hint: 'They can add their own photos and videos to this album.',
  testid: 'family-can-add',
};
const COMMENTING = {
  label: 'Family can comment',
  hint: 'They can leave hearts and comments under the photos.',
  testid: 'family-can-comment',
};

// How each switch of a link already sent is changed, and what the parent is told
// after: [off, on]. Comments stay in the cloud while it is off (hidden from the family,
// still seen here), and show again when it is back on.
const LINK_SWITCHES = {
  allow_add: {
    send: (linkId, on) => api.setFamilyCanAdd(linkId, on),
    saying: ['The family can no longer add photos. They can still see the album.',
      'The family can now add photos through this link.'],
  },
  allow_comments: {
    send: (linkId, on) => api.setFamilyCanComment(linkId, on),
    saying: ['The family can no longer leave hearts or comments. What they wrote is kept, hidden from them until you turn this back on.',
      'The family can now leave hearts and comments.'],
  },
};

// A "Family can …" switch as big as a button, saying On or Off in words.
// `onToggle(on)` runs when it is pressed (without it, pressing just flips it).
function familySwitch({ id, on, label, hint, testid, compact = false, onToggle = null }) {
  let state = Boolean(on);
  const stateWord = h('span', { class: 'switch-state', 'aria-hidden': 'true' });
  const button = h('button', {
    id,
    class: compact ? 'switch switch-compact' : 'switch',
    type: 'button',
    role: 'switch',
    dataset: { testid },
    onclick: () => (onToggle ? onToggle(!state) : set(!state)),
  },
  h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-knob' })),
  h('span', { class: 'switch-text' },
    h('span', { class: 'switch-label' }, label),
    compact ? null : h('span', { class: 'switch-hint' }, hint)),
  stateWord);
  function set(value) {
    state = Boolean(value);
    button.setAttribute('aria-checked', String(state));
    stateWord.textContent = state ? 'On' : 'Off';
  }
  set(state);
  return {
    element: button,
    isOn: () => state,
    set,
    setBusy: (busy) => { button.disabled = busy; },
  };
}

// Draws the QR code with a quiet zone of four modules, crisp at any screen scale.
function drawQr(canvas, size, modules) {
  if (!size) return;
  const scale = 6;
  const quiet = 4;
  const side = (size + quiet * 2) * scale;
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, side, side);
  context.fillStyle = '#000000';
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      if (modules[y * size + x] === '1') {
        context.fillRect((x + quiet) * scale, (y + quiet) * scale, scale, scale);
      }
    }
  }
}
