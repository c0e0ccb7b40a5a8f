// Keeps the screens up to date when Pic-up's folder watcher changes the library by
// itself (photos added to, edited in, moved within or deleted from watched folders).
// `library-changed` events are gathered into at most one refresh every half second, and
// the news is told calmly: "2 photos and 1 video added from your folders", or that a folder is
// not available right now. `folder-state` events refresh the list of watched folders.

import { onEvent } from './api.js';
import { countLabel, folderName } from './format.js';
import { showToast } from './toast.js';

const REFRESH_EVERY_MS = 500;
// "N new photos added" waits until the additions have been quiet for this long, so a
// burst of 2,000 photos gives one message rather than one per batch.
const NEWS_AFTER_QUIET_MS = 1500;

// `refresh()` brings the screen on show up to date and may return a promise;
// `refreshFolders()` the same for the list of watched folders; `isBusy()` is true while
// import progress is on screen (the news waits until it has finished).
export function watchLibraryChanges({ refresh, refreshFolders, isBusy }) {
  const scheduleRefresh = atMostEvery(REFRESH_EVERY_MS, refresh);
  const scheduleFolders = atMostEvery(REFRESH_EVERY_MS, refreshFolders);
  let added = 0;
  // Of those, videos (the app names each added file's kind by its name).
  let addedVideos = 0;
  let newsTimer = 0;

  onEvent('library-changed', (payload) => {
    const changes = Array.isArray(payload?.changes) ? payload.changes : [];
    noteNews(changes, Number(payload?.added_videos) || 0);
    scheduleRefresh();
  });
  onEvent('folder-state', () => scheduleFolders());

  function noteNews(changes, videos) {
    addedVideos += videos;
    for (const change of changes) {
      if (change?.change === 'added') added += 1;
      else if (change?.change === 'folder_unavailable' && change.path) {
        showToast(`The folder “${folderName(change.path)}” is not available right now. Its photos are still here.`, { subject: `folder ${change.path}` });
      }
    }
    if (added) {
      clearTimeout(newsTimer);
      newsTimer = setTimeout(tellAdded, NEWS_AFTER_QUIET_MS);
    }
  }

  function tellAdded() {
    if (isBusy()) {
      newsTimer = setTimeout(tellAdded, NEWS_AFTER_QUIET_MS);
      return;
    }
    const count = added;
    const videos = Math.min(addedVideos, count);
    added = 0;
    addedVideos = 0;
    newsTimer = 0;
    if (count) showToast(`${countLabel(count - videos, videos)} added from your folders`, { subject: 'folders-added' });
  }
}

// Returns a function that asks for `work()` to run: it runs `ms` after the first ask,
// once for all the asks in between, and never twice at the same time; asks that come
// while it runs get one more run, `ms` after it ends.
function atMostEvery(ms, work) {
  let timer = 0;
  let running = false;
  let again = false;

  async function run() {
    timer = 0;
    running = true;
    try {
      await work();
    } catch (error) {
      console.error('Pic-up: refreshing after a change in the folders failed', error);
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      schedule();
    }
  }

  function schedule() {
    if (running) again = true;
    else if (!timer) timer = setTimeout(run, ms);
  }
  return schedule;
}
