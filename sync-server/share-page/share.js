// The family page: the shared album's photos in a grid, a full-screen viewer with swipe,
// arrow keys and video, and downloads when the link allows them. Signed photo addresses
// are tied to the viewer's network; when one stops working (Wi-Fi to mobile data) the
// page quietly asks for fresh ones instead of showing a broken picture. When the link
// lets the family add photos, `add.js` does the adding; what they added shows "Added by"
// their name, and a calm "Getting it ready…" until the server has made its thumbnail.
// When it lets them respond, `responses.js` puts hearts and comments under the photo in
// the viewer, and tiles that have any show their counts.
//
// On a phone (a coarse pointer): pinch-zoom works in the viewer, and a swipe moves on only
// when the photo is not zoomed; "Save to my phone" hands the photo to the phone's share
// sheet (the Web Share API with files: "Save image" puts it in Photos), or, where the
// browser cannot share files, the page says to press and hold the photo; a one-time hint
// says to swipe. The slideshow shows the next photo every few seconds (5, or
// `window.__picupSlideshowMs` when set before it starts) and stops at any touch, click or
// key, and at the last photo. It skips videos: they have their own length and sound, and
// are watched on their own (one already playing when it starts is let finish first).

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
/** The album owner's display name, when they gave one. */
let sender = null;
/** The slideshow's next turn, while it plays. */
let slideshow = null;
/** The last photo fetched for "Save to my phone", kept for a second tap. */
let fetched = null;

/** A phone or tablet: a finger, not a mouse. */
const onPhone = () => matchMedia("(pointer: coarse)").matches;
/** The person has pinch-zoomed the page (the viewer's photo with it). */
const zoomed = () => (window.visualViewport?.scale ?? 1) > 1.01;

/** This browser can hand a photo's file to the phone's share sheet. */
function canShareFiles() {
  try {
    const probe = new File([new Uint8Array(1)], "photo.jpg", { type: "image/jpeg" });
    return typeof navigator.share === "function" && typeof navigator.canShare === "function" && navigator.canShare({ files: [probe] });
  } catch {
    return false;
  }
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "Saturday 4 May 2024", by the UTC date, as the server tells the album's dates. */
function takenWords(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${DAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** Something went wrong: the words, and a big "Try again" that does `retry`. */
function trouble(words, retry) {
  $("message").textContent = words;
  const button = $("try-again");
  button.hidden = !retry;
  button.onclick = retry
    ? () => {
        button.hidden = true;
        $("message").textContent = "";
        retry();
      }
    : null;
}

/** "ask Anna" or "ask the person who sent it". */
const askWhom = () => (sender ? `ask ${sender}` : "ask the person who sent it");

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
    trouble("The new photos could not be shown yet. Check the internet connection, then try again.", reloadAlbum);
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
    trouble("Some photos could not be loaded. Check the internet connection, then try again.", loadMore);
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
  $("viewer-date").textContent = takenWords(photo.taken_at);
  $("viewer-added").textContent = photo.added_by ? `Added by ${photo.added_by}` : "";
  $("previous").hidden = index === 0;
  $("next").hidden = index === photos.length - 1 && !nextCursor;
  showSaving(photo);
  if (responses) responses.show(photo);
}

/** How this photo is kept: "Download" on a computer; on a phone, "Save to my phone"
 * through the share sheet, or the words for pressing and holding the photo. */
function showSaving(photo) {
  const download = $("download-one");
  const video = photo.content_type.startsWith("video/");
  const ready = allowDownload && !isPending(photo);
  const share = ready && onPhone() && canShareFiles();
  // A phone that cannot share files saves a photo from the picture itself; a video
  // has no such menu everywhere, so it keeps its download.
  const hold = ready && onPhone() && !share && !video;
  download.hidden = !ready || share || hold;
  // The download URL makes the answer an attachment under the photo's name, which the
  // `download` attribute alone cannot do for a CDN on another origin.
  download.href = photo.urls?.download || photo.urls?.original || "";
  download.setAttribute("download", photo.file_name || "");
  $("save-one").hidden = !share;
  $("save-hint").hidden = !hold;
  $("save-said").textContent = "";
}

/** "Save to my phone": the original's bytes, as a file, to the phone's share sheet. */
async function saveToPhone() {
  const photo = photos[current];
  const button = $("save-one");
  const said = $("save-said");
  said.textContent = "";
  try {
    let file = fetched?.id === photo.id ? fetched.file : null;
    if (!file) {
      button.disabled = true;
      button.textContent = "Getting the photo…";
      const response = await fetch(photo.urls.download || photo.urls.original);
      if (!response.ok) throw new Error("not fetched");
      const blob = await response.blob();
      file = new File([blob], photo.file_name || "photo.jpg", { type: photo.content_type });
      fetched = { id: photo.id, file };
    }
    if (!navigator.canShare({ files: [file] })) {
      $("save-hint").hidden = false;
      button.hidden = true;
      return;
    }
    await navigator.share({ files: [file] });
  } catch (error) {
    if (error.name === "AbortError") return; // they closed the share sheet
    // Fetching took long enough that the browser no longer counts the tap.
    if (error.name === "NotAllowedError") said.textContent = "The photo is ready. Tap “Save to my phone” again.";
    // Not fetched (no connection, or a CDN that does not let this page read its bytes):
    // pressing and holding the photo still saves it.
    else said.textContent = "The photo could not be fetched. Press and hold the photo, then choose Save.";
  } finally {
    button.disabled = false;
    button.textContent = "Save to my phone";
  }
}

/** The one-time "Swipe for the next photo" on a phone, gone after a swipe or a while. */
function offerSwipeHint() {
  const hint = $("swipe-hint");
  let seen = true;
  try {
    seen = localStorage.getItem("picup-swipe-hint") === "seen";
  } catch {
    // No storage (a private window): the hint would come every time, so never.
  }
  if (seen || !onPhone() || photos.length < 2) return;
  hint.hidden = false;
  setTimeout(hideSwipeHint, Number(window.__picupHintMs) || 6000);
}

function hideSwipeHint() {
  const hint = $("swipe-hint");
  if (hint.hidden) return;
  hint.hidden = true;
  try {
    localStorage.setItem("picup-swipe-hint", "seen");
  } catch {
    // Nothing kept; offerSwipeHint() never shows it without storage.
  }
}

/** The slideshow: the next photo (not a video) every few seconds, to the last. */
function startSlideshow() {
  const every = Number(window.__picupSlideshowMs) || 5000;
  const button = $("slideshow");
  button.textContent = "■ Stop";
  button.setAttribute("aria-pressed", "true");
  hideSwipeHint();
  const turn = async () => {
    // A video playing when the slideshow started is watched to its end first.
    const playing = $("stage").querySelector("video");
    if (playing && !playing.paused && !playing.ended) {
      playing.addEventListener("ended", () => slideshow && turn(), { once: true });
      return;
    }
    let target = current + 1;
    for (;;) {
      if (target >= photos.length) {
        if (!nextCursor) break;
        await loadMore();
        if (target >= photos.length) break;
      }
      const photo = photos[target];
      if (!photo.content_type.startsWith("video/") && !isPending(photo)) break;
      target++;
    }
    if (!slideshow) return;
    if (target >= photos.length) {
      stopSlideshow();
      return;
    }
    show(target);
    slideshow = setTimeout(turn, every);
  };
  slideshow = setTimeout(turn, every);
}

function stopSlideshow() {
  if (!slideshow) return;
  clearTimeout(slideshow);
  slideshow = null;
  const button = $("slideshow");
  button.textContent = "▶ Slideshow";
  button.setAttribute("aria-pressed", "false");
}

function openViewer(index) {
  $("viewer").hidden = false;
  show(index);
  $("close").focus();
  offerSwipeHint();
}

function closeViewer() {
  stopSlideshow();
  hideSwipeHint();
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
  $("save-one").addEventListener("click", saveToPhone);
  $("slideshow").addEventListener("click", () => (slideshow ? stopSlideshow() : startSlideshow()));
  // Any touch, click or key stops the slideshow (the button's own click toggles it).
  const stopUnlessSlideshowButton = (event) => {
    if (slideshow && !$("slideshow").contains(event.target)) stopSlideshow();
  };
  document.addEventListener("pointerdown", stopUnlessSlideshowButton, true);
  document.addEventListener("touchstart", stopUnlessSlideshowButton, { capture: true, passive: true });
  document.addEventListener("keydown", stopUnlessSlideshowButton, true);
  // Zoomed in, a finger pans around the photo instead of swiping to the next.
  window.visualViewport?.addEventListener("resize", () => $("viewer").classList.toggle("zoomed", zoomed()));
  document.addEventListener("keydown", (event) => {
    if ($("viewer").hidden) return;
    if (event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "Escape") closeViewer();
  });
  // A swipe is one finger, on a photo that is not zoomed; two fingers are a pinch. It
  // may start on an arrow.
  let startX = null;
  const stage = document.querySelector(".stage-area");
  stage.addEventListener(
    "touchstart",
    (event) => (startX = event.touches.length === 1 && !zoomed() ? event.touches[0].clientX : null),
    { passive: true },
  );
  stage.addEventListener("touchend", (event) => {
    if (startX === null) return;
    const moved = event.changedTouches[0].clientX - startX;
    startX = null;
    if (zoomed() || event.touches.length > 0) return;
    if (Math.abs(moved) > 50) {
      hideSwipeHint();
      step(moved < 0 ? 1 : -1);
    }
  });
  stage.addEventListener("touchcancel", () => (startX = null), { passive: true });
}

async function start() {
  listen();
  try {
    const page = await fetchPage(null);
    document.title = page.title;
    $("title").textContent = page.title;
    sender = page.sender || null;
    const about = [sender ? `From ${sender}` : "", page.dates || ""].filter(Boolean).join(" · ");
    $("about").textContent = about;
    $("about").hidden = !about;
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
    if (error.message === "closed") {
      $("title").textContent = "This link has stopped working";
      trouble(`You did nothing wrong — ${askWhom()} for a new one.`, null);
    } else {
      $("title").textContent = "The album could not be loaded";
      trouble("Check the internet connection, then try again.", () => location.reload());
    }
  }
}

start();
