// Settings → "This computer": "Start Pic-up when I log in" (off until turned on), and
// Help → "Save a report", which writes a text file without passwords or sharing links
// that the parent can email us, and says where it went.

import { api, messageOf } from './api.js';
import { byId, h } from './dom.js';
import { showToast } from './toast.js';

export function createComputerSettings() {
  const loginBox = byId('start-at-login');
  const reportButton = byId('save-report');
  const reportResult = byId('report-result');

  loginBox.addEventListener('change', async () => {
    const wanted = loginBox.checked;
    loginBox.disabled = true;
    try {
      loginBox.checked = await api.setStartAtLogin(wanted);
      showToast(wanted ? 'Pic-up will start when you start your computer.' : 'Pic-up will not start by itself.', { subject: 'start-at-login' });
    } catch (error) {
      loginBox.checked = !wanted;
      showToast(messageOf(error), { kind: 'error' });
    } finally {
      loginBox.disabled = false;
    }
  });

  reportButton.addEventListener('click', async () => {
    reportButton.disabled = true;
    try {
      const saved = await api.saveReport();
      reportResult.replaceChildren(
        h('p', { dataset: { testid: 'report-saved' } },
          `Saved in ${saved.folder_name} as “${saved.file_name}”. Attach it to an email to dev@picup.org.`),
        h('button', {
          class: 'button', type: 'button',
          onclick: () => api.showReportsFolder().catch((e) => showToast(messageOf(e), { kind: 'error' })),
        }, 'Show in folder'),
      );
      reportResult.hidden = false;
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
    } finally {
      reportButton.disabled = false;
    }
  });

  async function load() {
    try {
      loginBox.checked = await api.startAtLogin();
    } catch {
      // Leave the box as it is; changing it will say what is wrong.
    }
  }

  return { load };
}
