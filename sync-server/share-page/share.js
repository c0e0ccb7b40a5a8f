// The family page: the shared album's photos in a grid, a full-screen viewer with swipe,
// arrow keys and video, and downloads when the link allows them. Signed photo addresses
// are tied to the viewer's network; when one stops working (Wi-Fi to mobile data) the
// page quietly asks for fresh ones instead of showing a broken picture. When the link
// lets the family add photos, `add.js` does the adding; what they added shows "Added by"
// their name, and a calm "Getting it ready…" until the server has made its thumbnail.
// When it lets them respond, `responses.js` puts hearts and comments under the photo in
// the viewer, and tiles that have any show their counts.

import { setUpAdding } from "./add.js";
import { setUpResponses, tileCounts } from "./responses.js";

const token = location.pathname.split("/")[2];
const photos = [];
let nextCursor = null;
let allowDownload = false;
let current = -1;
let refreshing = null;
let watching = null;
/** The hearts and comments under the viewer's photo, when the link allows them. */
let responses = null;
/** Set once the page has waited long enough for thumbnails still not made. */
let gaveUp = false;

const $ = (id) => document.getElementById(id);

async function fetchPage(cursor) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  const response = await fetch(`/s/${token}/photos${query}`, { cache: "no-store" });
  // The owner set or changed a password while this page was open: the page asks.
  if (response.status === 401) {
    location.reload();
  }
  if (!response.ok) {
    throw new Error(response.status === 410 ? "closed" : "failed");
  }
  return response.json();
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Added by the family a moment ago: the server has not made its pictures yet. */
function isPending(photo) {
  return Boolean(photo.added_by && photo.urls && !photo.urls.thumbnail && !photo.urls.preview);
}

function tileFor(photo, index) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.className = "tile";
  button.type = "button";
  const video = photo.content_type.startsWith("video/");
  const by = photo.added_by ? `, added by ${photo.added_by}` : "";
  button.setAttribute("aria-label", `${video ? "Video" : "Photo"} ${index + 1}${by}`);
  if (isPending(photo)) {
    const waiting = document.createElement("span");
    waiting.className = "getting-ready";
    waiting.textContent = gaveUp ? "No preview yet" : "Getting it ready…";
    button.append(waiting);
  } else {
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = "";
    img.dataset.id = photo.id;
    img.src = photo.urls.thumbnail || photo.urls.preview || photo.urls.original;
    // Not once: refreshAddresses() rests 10 s between attempts, so this cannot loop.
    img.addEventListener("error", () => refreshAddresses());
    button.append(img);
  }
  if (photo.added_by) {
    const label = document.createElement("span");
    label.className = "added-by";
    // On a phone's small tiles only the name shows; the viewer says it in full.
    const words = document.createElement("span");
    words.className = "added-words";
    words.textContent = "Added by ";
    label.append(words, photo.added_by);
    button.append(label);
  }
  if (video) {
    const badge = document.createElement("span");
    badge.className = "play";
    badge.textContent = "▶ Video";
    button.append(badge);
  }
  const counts = responses && tileCounts(photo);
  if (counts) button.append(counts);
  button.addEventListener("click", () => openViewer(index));
  item.append(button);
  return item;
}

/** A photo's hearts or comments changed: its tile shows the new counts. */
function countsChanged(id, hearts, comments) {
  const index = photos.findIndex((photo) => photo.id === id);
  if (index < 0) return;
  const photo = photos[index];
  if (photo.hearts === hearts && photo.comments === comments) return;
  photo.hearts = hearts;
  photo.comments = comments;
  $("grid").children[index]?.replaceWith(tileFor(photo, index));
}

function addPhotos(items) {
  const grid = $("grid");
  for (const photo of items) {
    photos.push(photo);
    grid.append(tileFor(photo, photos.length - 1));
  }
  const videos = photos.filter((p) => p.content_type.startsWith("video/")).length;
  const stills = photos.length - videos;
  const counted = [stills || !videos ? plural(stills, "photo") : "", videos ? plural(videos, "video") : ""].filter(Boolean).join(" and ");
  $("count").textContent = nextCursor ? `${counted} so far` : counted;
  $("more").hidden = !nextCursor;
  if (photos.some(isPending)) watchPending();
}

/** Shows the album again from its first page, with what was just added. */
async function reloadAlbum() {
  try {
    const page = await fetchPage(null);
    photos.length = 0;
    $("grid").replaceChildren();
    $("message").textContent = "";
    nextCursor = page.next_cursor;
    gaveUp = false;
    addPhotos(page.items);
  } catch {
    $("message").textContent = "The new photos will show when you reload this page.";
  }
}

/** Every photo shown so far as the server has it now, by id. */
async function freshPhotos() {
  const fresh = new Map();
  let cursor = null;
  do {
    const page = await fetchPage(cursor);
    for (const photo of page.items) fresh.set(photo.id, photo);
    cursor = page.next_cursor;
  } while (cursor && fresh.size < photos.length);
  return fresh;
}

// Asks again, less and less often and for a few minutes at most, until the server has
// made the thumbnails of what was just added; then shows them in place.
function watchPending() {
  if (watching) return;
  watching = (async () => {
    for (let round = 1; round <= 25 && photos.some(isPending); round++) {
      await new Promise((rest) => setTimeout(rest, Math.min(1000 * round, 10_000)));
      const fresh = await freshPhotos().catch(() => new Map());
      photos.forEach((photo, index) => {
        const now = fresh.get(photo.id);
        if (!isPending(photo) || !now || isPending(now)) return;
        photos[index] = now;
        const tile = $("grid").children[index];
        if (tile) tile.replaceWith(tileFor(now, index));
        if (current === index && !$("viewer").hidden) show(index);
      });
    }
    if (photos.some(isPending)) {
      gaveUp = true;
      photos.forEach((photo, index) => {
        if (isPending(photo)) $("grid").children[index]?.replaceWith(tileFor(photo, index));
      });
    }
  })().finally(() => (watching = null));
}

async function loadMore() {
  $("more").disabled = true;
  try {
    const page = await fetchPage(nextCursor);
    nextCursor = page.next_cursor;
    addPhotos(page.items);
  } catch {
    $("message").textContent = "Some photos could not be loaded. Check the internet connection and try again.";
  } finally {
    $("more").disabled = false;
  }
}

// Asks for fresh addresses for every photo shown so far, once at a time.
function refreshAddresses() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const fresh = await freshPhotos();
    photos.forEach((photo) => {
      if (fresh.has(photo.id)) photo.urls = fresh.get(photo.id).urls;
    });
    document.querySelectorAll("img[data-id]").forEach((img) => {
      const urls = fresh.get(img.dataset.id)?.urls;
      if (!urls) return;
      const next = img.closest(".stage") ? urls.preview || urls.original : urls.thumbnail || urls.preview || urls.original;
      if (img.src !== next) img.src = next;
    });
  })()
    .catch(() => {})
    .finally(() => {
      setTimeout(() => (refreshing = null), 10_000);
    });
  return refreshing;
}

function show(index) {
  current = index;
  const photo = photos[index];
  const stage = $("stage");
  stage.replaceChildren();
  if (photo.content_type.startsWith("video/")) {
    const video = document.createElement("video");
    video.controls = true;
    video.playsInline = true;
    video.preload = "metadata";
    // The copy every browser plays (an iPhone's HEVC does not play in Firefox), when
    // the server made one; "Download" still gives the original.
    const playable = (urls) => urls.web || urls.original;
    video.src = playable(photo.urls);
    if (photo.urls.preview) video.poster = photo.urls.preview;
    video.addEventListener("error", () => refreshAddresses().then(() => (video.src = playable(photos[index].urls))), { once: true });
    stage.append(video);
  } else if (isPending(photo)) {
    const words = document.createElement("p");
    words.className = "stage-words";
    words.textContent = gaveUp ? "There is no preview of this photo yet." : "Getting it ready…";
    stage.append(words);
  } else {
    const img = document.createElement("img");
    img.alt = `Photo ${index + 1} of ${photos.length}`;
    img.dataset.id = photo.id;
    img.src = photo.urls.preview || photo.urls.original;
    img.addEventListener("error", () => refreshAddresses(), { once: true });
    stage.append(img);
  }
  $("position").textContent = `${index + 1} of ${photos.length}${nextCursor ? "+" : ""}`;
  $("viewer-added").textContent = photo.added_by ? `Added by ${photo.added_by}` : "";
  $("previous").hidden = index === 0;
  $("next").hidden = index === photos.length - 1 && !nextCursor;
  const download = $("download-one");
  download.hidden = !allowDownload;
  // The download URL makes the answer an attachment under the photo's name, which the
  // `download` attribute alone cannot do for a CDN on another origin.
  download.href = photo.urls.download || photo.urls.original;
  download.setAttribute("download", photo.file_name || "");
  if (responses) responses.show(photo);
}

function openViewer(index) {
  $("viewer").hidden = false;
  show(index);
  $("close").focus();
}

function closeViewer() {
  $("stage").replaceChildren();
  if (responses) responses.hide();
  $("viewer").hidden = true;
  const tile = document.querySelectorAll(".tile")[current];
  if (tile) tile.focus();
}

async function step(by) {
  const target = current + by;
  if (target < 0) return;
  if (target >= photos.length) {
    if (!nextCursor) return;
    await loadMore();
    if (target >= photos.length) return;
  }
  show(target);
}

function listen() {
  $("more").addEventListener("click", loadMore);
  $("close").addEventListener("click", closeViewer);
  $("previous").addEventListener("click", () => step(-1));
  $("next").addEventListener("click", () => step(1));
  document.addEventListener("keydown", (event) => {
    if ($("viewer").hidden) return;
    if (event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "Escape") closeViewer();
  });
  let startX = null;
  const stage = $("stage");
  stage.addEventListener("touchstart", (event) => (startX = event.touches[0].clientX), { passive: true });
  stage.addEventListener("touchend", (event) => {
    if (startX === null) return;
    const moved = event.changedTouches[0].clientX - startX;
    startX = null;
    if (Math.abs(moved) > 50) step(moved < 0 ? 1 : -1);
  });
}

async function start() {
  listen();
  try {
    const page = await fetchPage(null);
    document.title = page.title;
    $("title").textContent = page.title;
    allowDownload = page.allow_download;
    nextCursor = page.next_cursor;
    if (allowDownload) {
      const all = $("download-all");
      all.href = `/s/${token}/download`;
      all.hidden = false;
    }
    if (page.items.length === 0) $("message").textContent = "There are no photos in this album yet.";
    if (page.allow_add) setUpAdding(token, reloadAlbum);
    if (page.allow_comments) responses = setUpResponses(token, countsChanged);
    addPhotos(page.items);
  } catch (error) {
    $("title").textContent = error.message === "closed" ? "This album link does not work any more" : "The album could not be loaded";
    $("message").textContent =
      error.message === "closed" ? "Ask the person who sent it to you for a new one." : "Check the internet connection, then reload this page.";
  }
}

start();
