// Settings → "Family cloud": connect with the server address, email and password, or,
// once connected, who is signed in, how much space is used and "Sign out" (which asks
// first, and never touches the photos on this computer), "Your name, as the family sees
// it" (the family page's "Photos from Anna"), "E-mail me when the family adds
// photos or writes comments" (when the cloud sends e-mail), and "Keep everything on this
// computer", with its progress. An address that is not private
// (http:// to another computer) is asked about before the password is sent.
// An invitation link (see showInvitation) only fills in the address and email, and shows
// the address plainly: the parent types the password and chooses Connect, nothing else.

import { api, messageOf, onEvent } from './api.js';
import { askChoice, confirmThenDo } from './dialogs.js';
import { byId, h } from './dom.js';
import { number, plural, sizeLabel, timeLeftLabel } from './format.js';
import { cloudState, onCloudChange, reloadCloud } from './cloud.js';
import { showToast } from './toast.js';

// Notices about signing in and out: a newer one replaces the older.
const ACCOUNT = 'cloud-account';

export function createCloudSettings() {
  const container = byId('cloud-settings');
  let shownKey = '';
  // The invitation Pic-up was opened with: { server, email } to fill in, or { problem }.
  // Kept until the parent is signed in, so signing out first still finds it filled.
  let invitation = null;

  onCloudChange(() => render());
  // What "Keep everything" is doing, in words; kept across re-renders.
  let keepAllWords = '';
  let keepingAll = false;
  onEvent('cloud-follow', (event) => {
    if (!keepingAll) return;
    if (event.kind === 'fetching') {
      const left = timeLeftLabel(event.seconds_left);
      keepAllWords = event.paused
        ?? `Copying to this computer: ${number(event.files_done)} of ${number(event.files_total)} `
          + `(${sizeLabel(event.bytes_done)} of ${sizeLabel(event.bytes_total)})${left ? `. ${left}.` : '.'}`;
    } else if (event.kind === 'fetched') {
      keepingAll = false;
      keepAllWords = event.failed
        ? `${number(event.failed)} ${plural(event.failed, 'photo or video', 'photos or videos')} could not be copied. Choose “Keep everything on this computer” again to try them again.`
        : 'Everything in the family cloud is on this computer too.';
    }
    const status = container.querySelector('[data-testid=keep-all-status]');
    if (status) status.textContent = keepAllWords;
  });

  async function keepAll(button) {
    button.disabled = true;
    keepingAll = true;
    keepAllWords = 'Getting ready to copy the albums to this computer…';
    render(true);
    try {
      const coming = await api.keepAllCloudAlbums();
      if (coming === 0) {
        keepingAll = false;
        keepAllWords = 'Everything in the family cloud is on this computer already.';
        render(true);
      }
    } catch (error) {
      keepingAll = false;
      keepAllWords = '';
      render(true);
      showToast(messageOf(error), { kind: 'error' });
    }
  }

  function render(force = false) {
    const overview = cloudState();
    const key = JSON.stringify([overview.account, overview.connected, overview.keyring_problem,
      overview.status?.used_bytes, overview.status?.quota_bytes]);
    // Typing in the form must not be interrupted by a status update.
    if (!force && key === shownKey) return;
    if (!force && container.contains(document.activeElement) && container.querySelector('form')) return;
    shownKey = key;
    // A sign-in the server ended (or one the keyring could not keep) needs the form again.
    const signedIn = overview.connected && overview.account && overview.status?.state !== 'signed_out';
    container.replaceChildren(signedIn ? connectedView(overview) : connectForm(overview));
  }

  // What an invitation link says, above the form (or beside the account already signed in).
  function invitationNote(signedIn) {
    if (invitation?.problem) {
      return h('p', { class: 'settings-note is-warning', role: 'alert', dataset: { testid: 'invitation-problem' } },
        invitation.problem);
    }
    if (!invitation?.server) return null;
    return h('div', { class: 'settings-note', role: 'status', dataset: { testid: 'invitation-note' } },
      h('p', {}, 'You were invited to the family cloud at'),
      h('p', { class: 'dialog-address', dataset: { testid: 'invitation-address' } }, invitation.server),
      h('p', {}, signedIn
        ? `To use this invitation for ${invitation.email}, sign out first.`
        : `as ${invitation.email}. If you expected this address, type your password and choose Connect.`));
  }

  // Settings shows an invitation: `found` is { server, email } or { problem }.
  function showInvitation(found) {
    invitation = found ?? null;
    render(true);
    const password = container.querySelector('#cloud-password');
    if (invitation?.server && password) {
      password.focus({ preventScroll: true });
      // The address, the password box and Connect together on screen.
      requestAnimationFrame(() => container.querySelector('[data-testid=cloud-connect]')
        ?.scrollIntoView({ block: 'end' }));
    } else container.querySelector('[data-testid=invitation-problem], [data-testid=invitation-note]')
      ?.scrollIntoView({ block: 'center' });
  }

  function connectedView(overview) {
    const { account, status, keyring_problem: keyringProblem } = overview;
    const used = status?.quota_bytes
      ? `${sizeLabel(status.used_bytes)} of ${sizeLabel(status.quota_bytes)} used`
      : '';
    return h(
      'div',
      { class: 'cloud-connected', dataset: { testid: 'cloud-connected' } },
      invitationNote(true),
      h('p', { class: 'cloud-account' }, `Signed in as ${account.email}`),
      h('p', { class: 'page-hint' }, `Family cloud: ${account.server_url}`),
      used && h('p', { class: 'cloud-space', dataset: { testid: 'cloud-space' } }, used),
      used && trashSpace(),
      yourNameForm(),
      familyDigestSwitch(),
      keyringProblem && h('p', { class: 'settings-note' }, keyringProblem),
      h('p', { class: 'page-hint' },
        'Keep a copy of every album in the family cloud on this computer, in your Pictures folder.'),
      h('div', { class: 'cloud-keep-all' },
        h('button', {
          class: 'button', type: 'button', dataset: { testid: 'keep-all' }, disabled: keepingAll,
          onclick: (event) => keepAll(event.currentTarget),
        }, 'Keep everything on this computer'),
        h('button', { class: 'button', type: 'button', dataset: { testid: 'cloud-sign-out' }, onclick: signOut }, 'Sign out')),
      h('p', { class: 'keep-progress-text', role: 'status', dataset: { testid: 'keep-all-status' } }, keepAllWords),
      used && h('p', { class: 'page-hint', dataset: { testid: 'cloud-video-copies' } },
        'Some videos from phones get a second copy in the family cloud, one that plays on every '
        + 'phone and computer. It counts in the space used.'),
    );
  }

  // "Of this, 1.2 GB is in the Trash": asked of the cloud when shown, said only if any.
  function trashSpace() {
    const line = h('p', { class: 'page-hint', dataset: { testid: 'cloud-trash-space' }, hidden: true });
    api.cloudTrashSpace().then((bytes) => {
      if (!bytes) return;
      line.textContent = `Of this, ${sizeLabel(bytes)} is in the Trash. It counts until the Trash `
        + 'is emptied, or until 30 days after it was removed.';
      line.hidden = false;
    }).catch(() => {});
    return line;
  }

  // "Your name, as the family sees it": the family page says "Photos from Anna" and "ask
  // Anna for a new one" with it. Asked of the cloud when shown; empty until given.
  function yourNameForm() {
    const input = h('input', {
      id: 'your-name', class: 'text-input', type: 'text', maxlength: 60, autocomplete: 'name',
      dataset: { testid: 'your-name' },
    });
    const button = h('button', { class: 'button', type: 'submit', dataset: { testid: 'your-name-save' } },
      'Save name');
    const form = h('form', {
      class: 'your-name-form', hidden: true, dataset: { testid: 'your-name-form' },
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        try {
          const { name } = await api.setYourName(input.value);
          input.value = name ?? '';
          showToast(name
            ? `Saved. Links you send now say “Photos from ${name}”.`
            : 'Saved. Links you send no longer show your name.', { subject: 'your-name' });
        } catch (error) {
          showToast(messageOf(error), { kind: 'error', subject: 'your-name' });
        } finally {
          button.disabled = false;
        }
      },
    },
    h('label', { class: 'dialog-label', for: 'your-name' }, 'Your name, as the family sees it'),
    h('p', { class: 'page-hint' }, 'The family sees it on the links you send, as in “Photos from Anna”.'),
    h('div', { class: 'your-name-row' }, input, button));
    api.yourName().then((known) => {
      if (!known) return;
      input.value = known.name ?? '';
      form.hidden = false;
    }).catch(() => {});
    return form;
  }

  // "E-mail me when the family adds photos or writes comments" (off until turned on):
  // asked of the cloud when shown, and offered only when the cloud sends e-mail.
  function familyDigestSwitch() {
    const box = h('input', {
      id: 'family-digest', class: 'checkbox', type: 'checkbox', dataset: { testid: 'family-digest' },
    });
    const label = h('label', {
      class: 'checkbox-label', for: 'family-digest', hidden: true, dataset: { testid: 'family-digest-switch' },
    }, box, h('span', {}, 'E-mail me when the family adds photos or writes comments'));
    api.familyDigest().then((digest) => {
      if (!digest?.mail_available) return;
      box.checked = digest.on;
      label.hidden = false;
    }).catch(() => {});
    box.addEventListener('change', async () => {
      const wanted = box.checked;
      box.disabled = true;
      try {
        box.checked = (await api.setFamilyDigest(wanted)).on;
        showToast(wanted
          ? 'You will get an e-mail when the family adds photos or writes comments.'
          : 'You will no longer get e-mails about what the family does.', { subject: 'family-digest' });
      } catch (error) {
        box.checked = !wanted;
        showToast(messageOf(error), { kind: 'error' });
      } finally {
        box.disabled = false;
      }
    });
    return label;
  }

  function connectForm(overview) {
    const field = (id, label, props) => [
      h('label', { class: 'dialog-label', for: id }, label),
      h('input', { id, class: 'text-input', ...props }),
    ];
    const problem = h('p', { class: 'dialog-problem', role: 'alert', hidden: true });
    const button = h('button', { class: 'button primary', type: 'submit', dataset: { testid: 'cloud-connect' } },
      'Connect');
    const account = overview.account;
    return h(
      'form',
      { class: 'cloud-form', dataset: { testid: 'cloud-form' }, onsubmit: (event) => connect(event, problem, button) },
      invitationNote(false),
      account && h('p', { class: 'settings-note' },
        `Please sign in again to keep copying your photos to the family cloud as ${account.email}.`),
      !account && !invitation?.server && h('p', { class: 'page-hint', dataset: { testid: 'invitation-hint' } },
        'Ask whoever set up your family cloud for an invitation. Opening it on this computer fills in '
        + 'the address and your email, so you only type your password.'),
      overview.keyring_problem && h('p', { class: 'settings-note' }, overview.keyring_problem),
      field('cloud-server', 'Address of your family cloud', {
        type: 'text', name: 'server', autocomplete: 'url', required: true,
        value: invitation?.server ?? account?.server_url ?? '',
        placeholder: 'photos.example.org',
      }),
      field('cloud-email', 'Email', {
        type: 'email', name: 'email', autocomplete: 'username', required: true,
        value: invitation?.email ?? account?.email ?? '',
      }),
      field('cloud-password', 'Password', {
        type: 'password', name: 'password', autocomplete: 'current-password', required: true,
      }),
      problem,
      h('div', { class: 'dialog-actions' }, button),
    );
  }

  async function connect(event, problem, button) {
    event.preventDefault();
    const form = event.currentTarget;
    const server = form.elements.server.value.trim();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    problem.hidden = true;
    const showProblem = (text) => {
      problem.textContent = text;
      problem.hidden = false;
    };
    if (!server || !email || !password) {
      showProblem('Please fill in all three boxes.');
      return;
    }
    // Resolves with the error (the button ready again), or null once signed in.
    const signIn = async (acceptNotPrivate) => {
      button.disabled = true;
      button.textContent = 'Connecting…';
      try {
        await api.cloudConnect(server, email, password, acceptNotPrivate);
        return null;
      } catch (error) {
        button.disabled = false;
        button.textContent = 'Connect';
        return error;
      }
    };
    let failure = await signIn(false);
    if (failure?.kind === 'not_private') {
      if (!(await askSignInAnyway(server))) {
        form.elements.server.focus();
        return;
      }
      failure = await signIn(true);
    }
    if (failure) {
      showProblem(messageOf(failure));
      return;
    }
    invitation = null;
    await reloadCloud();
    render(true);
    // A new computer has nothing to send yet: what it can do is see the cloud's albums.
    const albumsHere = await api.listAlbums().catch(() => []);
    // How the copy goes is the bar's to say (it follows the copy), not this notice's.
    showToast(albumsHere.length
      ? 'Connected. The bar at the bottom of the window shows how the copying goes.'
      : 'Connected. The albums in your family cloud are on the shelf.', { subject: ACCOUNT });
    container.querySelector('button')?.focus();
  }

  // Nothing has been sent yet. Resolves true only for "Sign in anyway"; "Go back" comes
  // first, has focus and is what Escape means.
  async function askSignInAnyway(server) {
    const choice = await askChoice({
      title: 'This connection is not private',
      message: [
        'Your password and photos would travel to ',
        h('strong', { class: 'dialog-address' }, server),
        ' unprotected, and others could see them on the way. Ask whoever set up your family cloud for an https:// address instead.',
      ],
      choices: [
        { value: 'back', label: 'Go back', primary: true },
        { value: 'anyway', label: 'Sign in anyway' },
      ],
      cancelValue: 'back',
    });
    return choice === 'anyway';
  }

  async function signOut() {
    const signedOut = await confirmThenDo({
      message: 'Sign out of the family cloud? Photos already there stay there, and nothing is deleted from this computer. New photos will not be copied until you sign in again.',
      confirmLabel: 'Sign out',
      cancelLabel: 'Stay signed in',
    }, () => api.cloudDisconnect());
    if (!signedOut) return;
    await reloadCloud();
    render(true);
    showToast('Signed out. Your photos on this computer are untouched.', { subject: ACCOUNT });
  }

  return { load: () => reloadCloud().then(() => render()), showInvitation };
}
