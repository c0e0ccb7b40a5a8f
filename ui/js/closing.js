// Closing the window while photos are being added or copied: the app asks (the
// `close-asked` event) whether to finish in the background, stop now, or keep the window.

import { api, messageOf, onEvent } from './api.js';
import { askChoice } from './dialogs.js';
import { showToast } from './toast.js';

let asking = false;

export function watchClosing() {
  onEvent('close-asked', async (work) => {
    if (asking) return;
    asking = true;
    try {
      const choice = await askChoice({
        title: 'Close Pic-up?',
        message: `${work.message} You can let it finish with the window closed, or stop now and carry on next time you open Pic-up.`,
        choices: [
          { value: 'background', label: 'Finish, then close', primary: true },
          { value: 'stop', label: 'Stop now' },
          { value: 'keep', label: 'Keep Pic-up open' },
        ],
        cancelValue: 'keep',
      });
      if (choice !== 'keep') await api.closeChoice(choice);
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
    } finally {
      asking = false;
    }
  });
}
