// Adding photos: runs the import, shows what is happening while it runs ("Adding
// photos… 120 of 480", time left, a Stop button), then a calm summary, including
// which files could not be opened, until the person moves on (main.js puts it away).
// The folder watcher's own imports (photos copied into a watched folder) send the same
// progress events. They get the same panel, "Adding new photos from your folders…",
// without Stop (the watcher has no cancel) and without a summary (changes.js says what
// was added), and only once they have run for a second, so small bursts stay quiet.

import { api, FriendlyError, messageOf, onEvent } from './api.js';
import { showInfo } from './dialogs.js';
import { announce, byId, h } from './dom.js';
import { countLabel, number, plural, timeLeftLabel } from './format.js';
import { showToast } from './toast.js';

const ALREADY_RUNNING = 'Photos are already being added. Please wait until that has finished.';
// The watcher's progress shows only for imports still running after this long.
const WATCHER_SHOW_AFTER_MS = 1000;
// Events further apart than this belong to separate bursts.
const WATCHER_BURST_GAP_MS = 5000;
// Should the watcher never say "finished", its progress goes away after this much quiet.
const WATCHER_GIVE_UP_MS = 60000;

export function createImporter({ onFinished }) {
  const panel = byId('import-panel');
  const progressBox = byId('import-progress');
  const headline = byId('import-headline');
  const timeLeft = byId('import-time-left');
  const currentFile = byId('import-current-file');
  const bar = byId('import-bar');
  const barFill = byId('import-bar-fill');
  const stopButton = byId('import-stop');
  const summaryBox = byId('import-summary');
  const summaryText = byId('import-summary-text');
  const skippedRow = byId('import-skipped');
  const skippedText = byId('import-skipped-text');

  // `running` means an import the page started (drop or "Add photos");
  // `watcher.shown` that the panel shows an import the folder watcher started.
  let running = false;
  let latestProgress = null;
  let frame = 0;
  let pageImportEndedAt = -Infinity;
  const watcher = { shown: false, startedAt: 0, lastEventAt: -Infinity, giveUpTimer: 0 };

  onEvent('import-progress', (progress) => {
    if (running) {
      latestProgress = progress;
      drawSoon();
    } else {
      onWatcherProgress(progress);
    }
  });
  stopButton.addEventListener('click', stop);
  byId('import-see-skipped').addEventListener('click', showSkippedFiles);
  byId('import-summary-close').addEventListener('click', dismissSummary);

  // The summary has said its piece once the person moves on (another screen, a photo,
  // another import); progress of a running import stays visible everywhere.
  function dismissSummary() {
    if (!running && !watcher.shown) panel.hidden = true;
  }

  // Events can come faster than the screen refreshes; draw only the newest.
  function drawSoon() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (running || watcher.shown) showProgress(latestProgress);
    });
  }

  function onWatcherProgress(progress) {
    const now = performance.now();
    // Late events of the person's own import, which has just finished, are not news.
    if (now - pageImportEndedAt < WATCHER_SHOW_AFTER_MS) return;
    if (progress?.phase === 'finished') {
      endWatcherProgress();
      return;
    }
    if (!watcher.shown && now - watcher.lastEventAt > WATCHER_BURST_GAP_MS) watcher.startedAt = now;
    watcher.lastEventAt = now;
    latestProgress = progress;
    if (watcher.shown) {
      clearTimeout(watcher.giveUpTimer);
      watcher.giveUpTimer = setTimeout(endWatcherProgress, WATCHER_GIVE_UP_MS);
      drawSoon();
    } else if (now - watcher.startedAt >= WATCHER_SHOW_AFTER_MS && panel.hidden) {
      // Shown on an event, not a timer: a burst that has stopped sending events is not
      // running any more. A summary still on screen is left to be read first.
      showWatcherProgress();
    }
  }

  function showWatcherProgress() {
    watcher.shown = true;
    progressBox.dataset.source = 'watcher';
    summaryBox.hidden = true;
    progressBox.hidden = false;
    stopButton.hidden = true;
    panel.hidden = false;
    showProgress(latestProgress);
    watcher.giveUpTimer = setTimeout(endWatcherProgress, WATCHER_GIVE_UP_MS);
    announce('Adding new photos from your folders. You can keep looking at your albums.');
  }

  function endWatcherProgress() {
    clearTimeout(watcher.giveUpTimer);
    watcher.lastEventAt = -Infinity;
    if (!watcher.shown) return;
    watcher.shown = false;
    if (!running) panel.hidden = true;
  }

  // Resolves with the backend's summary once the import has finished and the new
  // album is open; resolves null when there is nothing to add. Rejects with a
  // FriendlyError (already shown to the person) if the import could not run.
  async function importPaths(paths) {
    const list = Array.isArray(paths) ? paths.filter((path) => typeof path === 'string' && path) : [];
    if (!list.length) return null;
    if (running) {
      showToast(ALREADY_RUNNING, { subject: 'import' });
      throw new FriendlyError(ALREADY_RUNNING);
    }

    start();
    let summary;
    try {
      summary = await api.importPaths(list);
    } catch (error) {
      finish();
      panel.hidden = true;
      showToast(messageOf(error), { kind: 'error', subject: 'import' });
      throw error;
    }
    // data-importing stays "true" until the new album is on screen, so whoever waits
    // for it to turn "false" finds the finished result. The summary comes after the
    // album opens, since opening another screen is what puts it away.
    try {
      await onFinished(summary);
    } catch (error) {
      console.error('Pic-up: showing the imported album failed', error);
    }
    showSummary(summary);
    finish();
    return summary;
  }

  function start() {
    // The person's own import takes the panel over from the watcher's.
    endWatcherProgress();
    running = true;
    latestProgress = null;
    document.body.dataset.importing = 'true';
    progressBox.dataset.source = 'page';
    summaryBox.hidden = true;
    progressBox.hidden = false;
    panel.hidden = false;
    stopButton.hidden = false;
    stopButton.disabled = false;
    stopButton.textContent = 'Stop';
    showProgress({ phase: 'scanning', done: 0, total: 0, current: null, seconds_left: null });
    announce('Adding photos. This can take a while; you can keep looking at your albums.');
  }

  function finish() {
    running = false;
    pageImportEndedAt = performance.now();
    document.body.dataset.importing = 'false';
  }

  function showProgress(progress) {
    const { phase, done = 0, total = 0, current, seconds_left: secondsLeft } = progress ?? {};
    const fromFolders = !running;
    if (phase === 'importing') {
      headline.textContent = `${fromFolders ? 'Adding new photos from your folders…' : 'Adding photos…'} `
        + `${number(done)} of ${number(total)}`;
      timeLeft.textContent = timeLeftLabel(secondsLeft) || 'Working out how long this will take…';
      currentFile.textContent = current ? `Now adding: ${current}` : '';
      setBar(done, total);
    } else if (phase === 'finished') {
      headline.textContent = 'Almost done…';
      timeLeft.textContent = '';
      currentFile.textContent = '';
      setBar(total, total);
    } else {
      // While scanning, the backend counts what it finds in `total` (or in `done`).
      const found = total || done;
      headline.textContent = fromFolders ? 'Looking for new photos in your folders…' : 'Looking for photos…';
      timeLeft.textContent = found ? `${number(found)} found so far` : '';
      currentFile.textContent = '';
      setBar(null, null);
    }
  }

  // With no numbers yet the bar moves gently without claiming any amount.
  function setBar(done, total) {
    if (done == null || !total) {
      bar.classList.add('is-indeterminate');
      bar.removeAttribute('aria-valuenow');
      bar.removeAttribute('aria-valuemax');
      bar.setAttribute('aria-valuetext', 'Looking for photos');
      barFill.style.width = '';
      return;
    }
    const shown = Math.min(done, total);
    bar.classList.remove('is-indeterminate');
    bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(shown));
    bar.setAttribute('aria-valuetext', `${number(shown)} of ${number(total)} photos`);
    barFill.style.width = `${(shown / total) * 100}%`;
  }

  async function stop() {
    stopButton.disabled = true;
    stopButton.textContent = 'Stopping…';
    try {
      await api.cancelImport();
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
      stopButton.disabled = false;
      stopButton.textContent = 'Stop';
    }
  }

  function showSummary(summary) {
    const lines = summaryLines(summary);
    summaryText.replaceChildren(...lines.map((line) => h('p', { class: 'import-summary-line' }, line)));

    const skipped = summary?.skipped ?? 0;
    skippedText.textContent = `${number(skipped)} ${plural(skipped, 'file', 'files')} could not be opened`;
    skippedRow.hidden = skipped === 0;

    progressBox.hidden = true;
    summaryBox.hidden = false;
    panel.hidden = false;
    announce([...lines, skipped ? skippedText.textContent : ''].join(' '));
  }

  async function showSkippedFiles() {
    let files;
    try {
      files = await api.skippedFiles();
    } catch (error) {
      showToast(messageOf(error), { kind: 'error' });
      return;
    }
    const body = files?.length
      ? h('ul', { class: 'skipped-list' }, files.map((file) => h(
        'li',
        { class: 'skipped-item' },
        h('span', { class: 'skipped-name' }, file.file_name || file.path),
        h('span', { class: 'skipped-reason' }, file.reason),
        file.path && h('span', { class: 'skipped-path' }, file.path),
      )))
      : h('p', {}, 'Every file was opened. There is nothing to show here.');
    await showInfo({ title: 'Files that could not be opened', body, closeLabel: 'Close' });
  }

  return {
    importPaths,
    dismissSummary,
    isRunning: () => running,
    // True while any import's progress is on screen, the watcher's included.
    isBusy: () => running || watcher.shown,
  };
}

// "Added 120 photos.", "Added 2 photos and 1 video.", "5 were already in your library.",
// and so on.
function summaryLines(summary) {
  const imported = summary?.imported ?? 0;
  const videos = Math.min(summary?.imported_videos ?? 0, imported);
  const duplicates = summary?.duplicates ?? 0;
  const albumCount = summary?.album_ids?.length ?? 0;
  const lines = [];
  if (summary?.cancelled) lines.push('Stopped. The photos added so far are kept.');
  if (imported > 0) lines.push(`Added ${countLabel(imported - videos, videos)}.`);
  else if (!summary?.cancelled) lines.push('No new photos were added.');
  if (duplicates > 0) {
    lines.push(duplicates === 1
      ? '1 was already in Pic-up.'
      : `${number(duplicates)} were already in Pic-up.`);
  }
  if (imported > 0 && albumCount > 1) {
    lines.push(`They are in ${number(albumCount)} albums. You can find them all under “All albums”.`);
  }
  return lines;
}
