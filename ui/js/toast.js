// Short, calm messages at the bottom of the window ("Moved to Trash", or what went
// wrong). They close themselves, but slowly enough to be read, and have a Close button.
// A message may carry one action ("Undo"), offered for as long as it shows.

import { announce, byId, h } from './dom.js';

const SHOW_FOR_MS = { info: 8000, error: 15000 };
const MOST_AT_ONCE = 3;

// `action`: { label, run } — a button that runs `run()` and closes the message.
// `showFor`: milliseconds before it closes by itself.
// `subject`: a newer message on the same subject replaces the one showing.
export function showToast(message, {
  kind = 'info', action = null, showFor = null, subject = null,
} = {}) {
  const region = byId('toasts');
  if (subject) {
    for (const old of region.querySelectorAll('.toast')) {
      if (old.dataset.subject === subject) old.remove();
    }
  }
  const toast = h(
    'div',
    // An error is announced at once; other news goes through the polite announcer.
    {
      class: `toast toast-${kind}`,
      role: kind === 'error' ? 'alert' : null,
      dataset: { testid: 'toast', subject },
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
    h('button', { class: 'button toast-close', type: 'button', onclick: () => dismiss() }, 'Close'),
  );
  region.append(toast);
  if (kind !== 'error') announce(action ? `${message} ${action.label} is offered.` : message);

  const timer = setTimeout(() => dismiss(), showFor ?? SHOW_FOR_MS[kind] ?? SHOW_FOR_MS.info);
  function dismiss() {
    clearTimeout(timer);
    toast.remove();
  }

  // A tall pile of old messages is harder to read than the latest one alone.
  while (region.children.length > MOST_AT_ONCE) region.firstElementChild.remove();
  return dismiss;
}
