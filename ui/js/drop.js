// Drag and drop from the file manager. Tauri reports file drags as window events
// (the page's own drag events do not see them), so the overlay follows those.

import { onEvent } from './api.js';
import { byId } from './dom.js';

export function watchDragAndDrop({ onDrop }) {
  const overlay = byId('drop-overlay');
  const show = () => {
    if (overlay.hidden) overlay.hidden = false;
  };
  const hide = () => {
    overlay.hidden = true;
  };

  onEvent('tauri://drag-enter', show);
  // Also on drag-over, in case the enter event was missed (the window was busy).
  onEvent('tauri://drag-over', show);
  onEvent('tauri://drag-leave', hide);
  onEvent('tauri://drag-drop', (payload) => {
    hide();
    const paths = payload?.paths ?? [];
    if (paths.length) onDrop(paths);
  });
}
