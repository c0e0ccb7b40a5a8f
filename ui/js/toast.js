// Short, calm messages at the top of the window ("Album removed…", or what went
// wrong). They close themselves, but slowly enough to be read, and have a Close button.

import { announce, byId, h } from './dom.js';

const SHOW_FOR_MS = { info: 8000, error: 15000 };
const MOST_AT_ONCE = 3;

export function showToast(message, { kind = 'info' } = {}) {
  const region = byId('toasts');
  const toast = h(
    'div',
    // An error is announced at once; other news goes through the polite announcer.
    { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : null },
    h('p', { class: 'toast-text' }, message),
    h('button', { class: 'button toast-close', type: 'button', onclick: () => dismiss() }, 'Close'),
  );
  region.append(toast);
  if (kind !== 'error') announce(message);

  const timer = setTimeout(() => dismiss(), SHOW_FOR_MS[kind] ?? SHOW_FOR_MS.info);
  function dismiss() {
    clearTimeout(timer);
    toast.remove();
  }

  // A tall pile of old messages is harder to read than the latest one alone.
  while (region.children.length > MOST_AT_ONCE) region.firstElementChild.remove();
  return dismiss;
}
