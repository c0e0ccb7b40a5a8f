// Small helpers for finding and building elements.
// Everything is built with DOM calls, never innerHTML, so an album title or a file
// name can never be read as markup.

export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no element with id "${id}"`);
  return element;
}

// h('button', { class: 'button', dataset: { testid: 'next' }, onclick: fn }, 'Next')
// Keys starting with "on" add listeners; `true` sets an empty attribute and
// null/false leave it out, so optional attributes read naturally at the call site.
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') assignDataset(element, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else element.setAttribute(key, value === true ? '' : String(value));
  }
  element.append(...children.flat(Infinity).filter(isChild));
  return element;
}

function assignDataset(element, values) {
  for (const [key, value] of Object.entries(values)) {
    if (value != null) element.dataset[key] = String(value);
  }
}

function isChild(child) {
  return child != null && child !== false && child !== '';
}

// Screen readers hear this region; it is how short news ("Album removed") reaches
// people who cannot see the toast. Clearing first makes a repeated message heard again.
export function announce(message) {
  const region = byId('announcer');
  region.textContent = '';
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}
