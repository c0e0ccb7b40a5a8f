// The family page: the shared album's photos in a grid, a full-screen viewer with swipe,
// arrow keys and video, and downloads when the link allows them. Signed photo addresses
// are tied to the viewer's network; when one stops working (Wi-Fi to mobile data) the
// page quietly asks for fresh ones instead of showing a broken picture.

const token = location.pathname.split("/")[2];
const photos = [];
let nextCursor = null;
let allowDownload = false;
let current = -1;
let refreshing = null;

const $ = (id) => document.getElementById(id);

async function fetchPage(cursor) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  const response = await fetch(`/s/${token}/photos${query}`, { cache: "no-store" });
  if (!response.ok) {
    throw new Error(response.status === 410 ? "closed" : "failed");
  }
  return response.json();
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function tileFor(photo, index) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.className = "tile";
  button.type = "button";
  const video = photo.content_type.startsWith("video/");
  button.setAttribute("aria-label", `${video ? "Video" : "Photo"} ${index + 1}`);
  const img = document.createElement("img");
  img.loading = "lazy";
  img.alt = "";
  img.dataset.id = photo.id;
  img.src = photo.urls.thumbnail || photo.urls.preview || photo.urls.original;
  // Not once: refreshAddresses() rests 10 s between attempts, so this cannot loop.
  img.addEventListener("error", () => refreshAddresses());
  button.append(img);
  if (video) {
    const badge = document.createElement("span");
    badge.className = "play";
    badge.textContent = "▶ Video";
    button.append(badge);
  }
  button.addEventListener("click", () => openViewer(index));
  item.append(button);
  return item;
}

function addPhotos(items) {
  const grid = $("grid");
  for (const photo of items) {
    photos.push(photo);
    grid.append(tileFor(photo, photos.length - 1));
  }
  const videos = photos.filter((p) => p.content_type.startsWith("video/")).length;
  const counted = [plural(photos.length - videos, "photo"), videos ? plural(videos, "video") : ""].filter(Boolean).join(" and ");
  $("count").textContent = nextCursor ? `${counted} so far` : counted;
  $("more").hidden = !nextCursor;
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
    const fresh = new Map();
    let cursor = null;
    do {
      const page = await fetchPage(cursor);
      for (const photo of page.items) fresh.set(photo.id, photo.urls);
      cursor = page.next_cursor;
    } while (cursor && fresh.size < photos.length);
    photos.forEach((photo) => {
      if (fresh.has(photo.id)) photo.urls = fresh.get(photo.id);
    });
    document.querySelectorAll("img[data-id]").forEach((img) => {
      const urls = fresh.get(img.dataset.id);
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
    video.src = photo.urls.original;
    if (photo.urls.preview) video.poster = photo.urls.preview;
    video.addEventListener("error", () => refreshAddresses().then(() => (video.src = photos[index].urls.original)), { once: true });
    stage.append(video);
  } else {
    const img = document.createElement("img");
    img.alt = `Photo ${index + 1} of ${photos.length}`;
    img.dataset.id = photo.id;
    img.src = photo.urls.preview || photo.urls.original;
    img.addEventListener("error", () => refreshAddresses(), { once: true });
    stage.append(img);
  }
  $("position").textContent = `${index + 1} of ${photos.length}${nextCursor ? "+" : ""}`;
  $("previous").hidden = index === 0;
  $("next").hidden = index === photos.length - 1 && !nextCursor;
  const download = $("download-one");
  download.hidden = !allowDownload;
  // The download URL makes the answer an attachment under the photo's name, which the
  // `download` attribute alone cannot do for a CDN on another origin.
  download.href = photo.urls.download || photo.urls.original;
  download.setAttribute("download", photo.file_name || "");
}

function openViewer(index) {
  $("viewer").hidden = false;
  show(index);
  $("close").focus();
}

function closeViewer() {
  $("stage").replaceChildren();
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
    addPhotos(page.items);
  } catch (error) {
    $("title").textContent = error.message === "closed" ? "This album link does not work any more" : "The album could not be loaded";
    $("message").textContent =
      error.message === "closed" ? "Ask the person who sent it to you for a new one." : "Check the internet connection, then reload this page.";
  }
}

start();
