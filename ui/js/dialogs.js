// Modal questions in plain words: confirm, type a new name, or read a list.
// Built on <dialog> with showModal(), which keeps keyboard focus inside and closes on
// Escape (treated as "no") without any code of ours.

import { messageOf } from './api.js';
import { h } from './dom.js';
import { showToast } from './toast.js';

let lastId = 0;
const newId = (prefix) => `${prefix}-${++lastId}`;

function openModal(labelId, ...children) {
  const returnFocusTo = document.activeElement;
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': labelId }, ...children);
  dialog.addEventListener('close', () => {
    dialog.remove();
    // Not every web view hands focus back by itself; people using the keyboard
    // should land where they were.
    if (returnFocusTo?.isConnected) returnFocusTo.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// Resolves true only if the person chose `confirmLabel`. The safe answer has focus
// first, so pressing Enter without reading never removes anything.
export function askConfirm({ message, confirmLabel, cancelLabel }) {
  return new Promise((resolve) => {
    const messageId = newId('confirm');
    const dialog = openModal(
      messageId,
      h('p', { id: messageId, class: 'dialog-message' }, message),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { class: 'button', type: 'button', onclick: () => dialog.close('confirm') }, confirmLabel),
        h('button', { class: 'button primary', type: 'button', autofocus: true, onclick: () => dialog.close('cancel') }, cancelLabel),
      ),
    );
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'));
  });
}

// Asks for a line of text. `submit(text)` does the work; if it throws, its message is
// shown inside the dialog and the person can correct the text. Resolves true if saved.
export function askText({ title, label, value = '', saveLabel = 'Save', cancelLabel = 'Cancel', submit }) {
  return new Promise((resolve) => {
    const titleId = newId('ask-title');
    const inputId = newId('ask-input');
    const input = h('input', {
      id: inputId, class: 'text-input', type: 'text', value, autocomplete: 'off', maxlength: 200, autofocus: true,
    });
    const problem = h('p', { class: 'dialog-problem', role: 'alert', hidden: true });
    const save = h('button', { class: 'button primary', type: 'submit' }, saveLabel);

    const form = h(
      'form',
      { class: 'dialog-form', onsubmit: onSubmit },
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      h('label', { class: 'dialog-label', for: inputId }, label),
      input,
      problem,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { class: 'button', type: 'button', onclick: () => dialog.close('cancel') }, cancelLabel),
        save,
      ),
    );
    const dialog = openModal(titleId, form);
    input.select();
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'saved'));

    async function onSubmit(event) {
      event.preventDefault();
      save.disabled = true;
      try {
        await submit(input.value);
        dialog.close('saved');
      } catch (error) {
        problem.textContent = messageOf(error);
        problem.hidden = false;
        input.focus();
      } finally {
        save.disabled = false;
      }
    }
  });
}

// Asks first (see `askConfirm`), then does it. A failure is shown as an error message
// and nothing else happens. Resolves true only when the person said yes and it was done.
export async function confirmThenDo(question, act) {
  if (!(await askConfirm(question))) return false;
  try {
    await act();
  } catch (error) {
    showToast(messageOf(error), { kind: 'error' });
    return false;
  }
  return true;
}

// Shows something to read, with one button to close it.
export function showInfo({ title, body, closeLabel = 'Close' }) {
  return new Promise((resolve) => {
    const titleId = newId('info-title');
    const dialog = openModal(
      titleId,
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      h('div', { class: 'dialog-body' }, body),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { class: 'button primary', type: 'button', autofocus: true, onclick: () => dialog.close() }, closeLabel),
      ),
    );
    dialog.addEventListener('close', () => resolve());
  });
}

// Asks a question with several answers, each `{ value, label, primary }`; the first is
// focused. `message` is text, or a list of text and elements (an address in bold).
// Resolves with the chosen value, or `cancelValue` on Escape.
export function askChoice({ title, message, choices, cancelValue }) {
  return new Promise((resolve) => {
    const titleId = newId('choice-title');
    const dialog = openModal(
      titleId,
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      h('p', { class: 'dialog-message' }, message),
      h(
        'div',
        { class: 'dialog-actions dialog-actions-stacked' },
        ...choices.map((choice, i) => h(
          'button',
          {
            class: choice.primary ? 'button primary' : 'button',
            type: 'button',
            autofocus: i === 0,
            dataset: { choice: choice.value },
            onclick: () => dialog.close(choice.value),
          },
          choice.label,
        )),
      ),
    );
    dialog.addEventListener('close', () => resolve(dialog.returnValue || cancelValue));
  });
}
