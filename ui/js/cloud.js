// The family cloud at a glance: a bar at the bottom of the window while Pic-up copies
// photos to the cloud ("Copying to the family cloud: 120 of 340", a progress bar, speed
// and time left, "3.2 GB of 15 GB used"), or a calm sentence when it cannot (the cloud
// is full, the internet is away, the sign-in ended). Other screens ask `cloudState()`
// whether to show "12 of 340 in the cloud" and the little cloud marks.

import { api, messageOf, onEvent } from './api.js';
import { showInfo } from './dialogs.js';
import { byId, h } from './dom.js';
import { inCloudLabel, number, sizeLabel, timeLeftLabel } from './format.js';
import { dropNotice, showToast } from './toast.js';

// Notices about the copy ("Trying those 3 again."): the bar is what says how the copy
// goes, so such a notice goes as soon as the bar says something new.
const CLOUD = 'cloud-copy';

let overview = { account: null, connected: false, status: null, keyring_problem: null };
const listeners = new Set();

// What the rest of the pages need: connected or not, and the latest status.
export function cloudState() {
  return overview;
}

// `listener(overview)` runs whenever the account or the counts change.
export function onCloudChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function reloadCloud() {
  try {
    overview = await api.cloudOverview();
  } catch {
    return overview;
  }
  render();
  notify();
  return overview;
}

function notify() {
  for (const listener of listeners) listener(overview);
}

export function watchCloud() {
  byId('sync-retry').addEventListener('click', async () => {
    try {
      const count = await api.cloudRetry();
      showToast(count ? `Trying those ${number(count)} again.` : 'Trying again now.', { subject: CLOUD });
    } catch (error) {
      showToast(messageOf(error), { kind: 'error', subject: CLOUD });
    }
  });
  byId('sync-see-failed').addEventListener('click', async () => {
    let items;
    try {
      items = await api.cloudFailed();
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    await showInfo({
      title: 'Not copied to the family cloud yet',
      body: h('ul', { class: 'skipped-list' }, items.map((item) => h(
        'li',
        { class: 'skipped-item' },
        h('span', { class: 'skipped-name' }, item.file_name),
        h('span', { class: 'skipped-reason' }, item.reason),
        h('span', { class: 'skipped-path' }, item.path),
      ))),
    });
  });
  let lastDone = null;
  let lastState = null;
  onEvent('sync-status', (status) => {
    overview = { ...overview, connected: status.state !== 'stopped', status };
    render();
    if (status.state !== lastState) {
      lastState = status.state;
      dropNotice(CLOUD);
    }
    // Marks and counts on screen follow the copy, but not on every byte.
    if (status.counts.done !== lastDone) {
      lastDone = status.counts.done;
      notify();
    }
  });
  reloadCloud();
}

function render() {
  const bar = byId('sync-bar');
  const { status, account, connected } = overview;
  if (!account) {
    bar.hidden = true;
    return;
  }
  bar.hidden = false;
  const headline = byId('sync-headline');
  const details = byId('sync-details');
  const fill = byId('sync-bar-fill');
  const progress = byId('sync-progress');
  const retry = byId('sync-retry');
  if (!connected || !status || status.state === 'signed_out') {
    bar.dataset.state = 'signed_out';
    headline.textContent = 'Not connected to the family cloud. Sign in again in Settings to keep copying your photos.';
    details.textContent = '';
    progress.hidden = true;
    retry.hidden = true;
    byId('sync-see-failed').hidden = true;
    return;
  }
  bar.dataset.state = status.state || 'starting';
  headline.textContent = status.message || 'Connecting to the family cloud…';
  const { done, total, failed } = status.counts;
  const parts = [];
  if (status.state === 'sending') {
    parts.push(inCloudLabel(done, total));
    const left = timeLeftLabel(status.seconds_left);
    if (left) parts.push(left);
  }
  if (status.quota_bytes) {
    parts.push(`${sizeLabel(status.used_bytes)} of ${sizeLabel(status.quota_bytes)} used`);
  }
  details.textContent = parts.join(' · ');
  progress.hidden = !total || status.state === 'idle';
  const percent = total ? Math.round((done / total) * 100) : 0;
  fill.style.width = `${percent}%`;
  progress.setAttribute('aria-valuenow', String(done));
  progress.setAttribute('aria-valuemax', String(total));
  progress.setAttribute('aria-valuetext', inCloudLabel(done, total));
  retry.hidden = !failed;
  byId('sync-see-failed').hidden = !failed;
}
