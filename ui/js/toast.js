// Short, calm notices ("Moved to Trash", or what went wrong), in one place that takes
// its own room: the strip under the screens (#toasts), or, while a dialog is open,
// the dialog's own notice area (those already showing move in with it), so a notice
// never covers a button and is never hidden behind a dialog. They close themselves,
// slowly enough to be read, and have an OK button. A notice may carry one action
// ("Undo"), offered for as long as it shows.
// One notice per subject: a newer one on the same subject replaces the older.

import { announce, byId, h } from './dom.js';

const SHOW_FOR_MS = { info: 8000, error: 15000 };
// The strip grows with each notice and the screen above shrinks: two is the most that
// still leaves the screen its room, one in a short window.
const mostAtOnce = () => (window.innerHeight < SHORT_WINDOW ? 1 : 2);
const SHORT_WINDOW = 600;
// Each notice showing, to the function that closes it (and stops its timer).
const dismissers = new WeakMap();

// `action`: { label, run } — a button that runs `run()` and closes the notice.
// `showFor`: milliseconds before it closes by itself.
// `subject`: what the notice is about ("trash", "cloud"); a newer notice on the same
// subject replaces the one showing. Without one, the words are the subject, so the
// same sentence is never shown twice.
export function showToast(message, {
  kind = 'info', action = null, showFor = null, subject = null,
} = {}) {
  const about = subject ?? message;
  dropNotice(about);
  const region = home();
  const toast = h(
    'div',
    // An error is announced at once; other news goes through the polite announcer.
    {
      class: `toast toast-${kind}`,
      role: kind === 'error' ? 'alert' : null,
      dataset: { testid: 'toast', subject: about },
    },
    h('p', { class: 'toast-text' }, message),
    action && h('button', {
      class: 'button toast-action',
      type: 'button',
      dataset: { testid: 'toast-action' },
      onclick: () => {
        dismiss();
        action.run();
      },
    }, action.label),
    // "OK", not "Close": in a dialog, Close is the dialog's own button.
    h('button', { class: 'button toast-close', type: 'button', onclick: () => dismiss() }, 'OK'),
  );
  region.append(toast);
  if (kind !== 'error') announce(action ? `${message} ${action.label} is offered.` : message);

  const timer = setTimeout(() => dismiss(), showFor ?? SHOW_FOR_MS[kind] ?? SHOW_FOR_MS.info);
  function dismiss() {
    clearTimeout(timer);
    toast.remove();
  }
  dismissers.set(toast, dismiss);

  trim(region, toast);
  return dismiss;
}

// Plain news goes before a notice offering a way back (Undo), the oldest first; the
// newest always stays.
function trim(region, newest = region.lastElementChild) {
  while (region.children.length > mostAtOnce()) {
    const notices = [...region.children];
    const plain = notices.find((notice) => notice !== newest && !notice.querySelector('.toast-action'));
    close(plain ?? notices.find((notice) => notice !== newest));
  }
}

// Takes away the notice about `subject`, wherever it shows: the thing it said has
// been overtaken (the sync bar now says how the copy is going).
export function dropNotice(subject) {
  for (const notice of document.querySelectorAll('[data-testid=toast]')) {
    if (notice.dataset.subject === subject) close(notice);
  }
}

function close(notice) {
  const dismiss = dismissers.get(notice);
  if (dismiss) dismiss();
  else notice.remove();
}

// Where notices show now: the open dialog's notice area (made on first use, above its
// buttons), or the strip.
function home() {
  const dialog = [...document.querySelectorAll('dialog[open]')].at(-1);
  return dialog ? dialogRegion(dialog) : byId('toasts');
}

function dialogRegion(dialog) {
  let region = dialog.querySelector('.dialog-notices');
  if (!region) {
    region = h('div', { class: 'notices dialog-notices' });
    const actions = [...dialog.querySelectorAll(':scope > .dialog-actions, :scope > form > .dialog-actions')].at(-1);
    if (actions) actions.before(region);
    else dialog.append(region);
  }
  if (!dialog.dataset.noticesMoveOut) {
    dialog.dataset.noticesMoveOut = 'true';
    // Notices still showing when the dialog closes go where notices show next.
    dialog.addEventListener('close', () => home().append(...region.children));
  }
  return region;
}

// Notices already showing follow a dialog that opens (and come back when it closes),
// so none is left behind it, out of reach; each keeps its time and its Undo.
new MutationObserver(() => {
  const to = home();
  for (const notice of document.querySelectorAll('[data-testid=toast]')) {
    if (notice.parentElement !== to) to.append(notice);
  }
}).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['open'] });
window.addEventListener('resize', () => trim(home()));
