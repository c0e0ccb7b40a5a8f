// The family adds photos and videos from the album page, when the link allows it.
// The name they give is kept on this phone (localStorage) and can be changed. Each file's
// first bytes are looked at before anything is sent (photos and videos only, as the
// server decides), its SHA-256 is worked out slice by slice, then: reserve → PUT each
// address with progress → complete. A large video goes in parts; the parts already sent
// are kept in localStorage under the file's fingerprint, so picking the same file again
// after the page was closed sends only the rest.

import { Sha256 } from "./sha256.js";

const NAME_KEY = "picup.name";
const RECORD_PREFIX = "picup.sending.";
/** How much of a file is read at once to fingerprint it. */
const SLICE = 4 * 1024 * 1024;
/** Answers after which nothing else in the batch can succeed either. */
const STOPS_ALL = new Set([403, 404, 410, 413, 429]);

const $ = (id) => document.getElementById(id);

/** What the first bytes show a file to be (as the server's `media_type::sniff`), or null. */
export function sniff(bytes) {
  const is = (offset, text) => [...text].every((ch, i) => bytes[offset + i] === ch.charCodeAt(0));
  const photo = (mime) => ({ mime, video: false });
  const video = (mime) => ({ mime, video: true });
  if (is(0, "\xff\xd8\xff")) return photo("image/jpeg");
  if (is(0, "\x89PNG\r\n\x1a\n")) return photo("image/png");
  if (is(0, "GIF87a") || is(0, "GIF89a")) return photo("image/gif");
  if (is(0, "RIFF") && is(8, "WEBP")) return photo("image/webp");
  if (is(0, "RIFF") && is(8, "AVI ")) return video("video/x-msvideo");
  if (is(0, "II*\0") || is(0, "MM\0*")) return photo("image/tiff");
  if (is(0, "BM") && bytes.length >= 18) {
    const header = new DataView(bytes.buffer, bytes.byteOffset + 14, 4).getUint32(0, true);
    if ([12, 40, 52, 56, 64, 108, 124].includes(header)) return photo("image/bmp");
  }
  if (is(4, "ftyp")) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (["heic", "heix", "hevc", "hevx", "heim", "heis"].includes(brand)) return photo("image/heic");
    if (["mif1", "msf1"].includes(brand)) return photo("image/heif");
    if (["avif", "avis"].includes(brand)) return photo("image/avif");
    if (brand === "qt  ") return video("video/quicktime");
    if (brand.startsWith("3g")) return video("video/3gpp");
    return video("video/mp4");
  }
  if (["moov", "mdat", "wide", "free", "skip", "pnot"].some((atom) => is(4, atom))) return video("video/quicktime");
  if (is(0, "\x1a\x45\xdf\xa3")) {
    const head = String.fromCharCode(...bytes.subarray(0, 64));
    return video(head.includes("webm") ? "video/webm" : "video/x-matroska");
  }
  if ((is(0, "\x47") && is(188, "\x47")) || (is(4, "\x47") && is(196, "\x47"))) return video("video/mp2t");
  return null;
}

async function fingerprint(file, onProgress) {
  const hash = new Sha256();
  for (let offset = 0; offset < file.size; offset += SLICE) {
    const slice = await file.slice(offset, offset + SLICE).arrayBuffer();
    hash.update(new Uint8Array(slice));
    onProgress(Math.min(offset + SLICE, file.size));
  }
  return hash.hex();
}

/** A refusal in the server's own words (its ErrorBody's message). */
class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new Refused(0, "The connection dropped. Check the internet connection and pick it again.");
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, answer.message || "The album could not take it right now. Please try again later.");
  return answer;
}

/** PUTs `body` to a presigned address, reporting bytes sent; resolves with its ETag. */
function put(target, body, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(target.method || "PUT", target.url);
    for (const [name, value] of Object.entries(target.headers || {})) {
      // The browser sets these itself and refuses to be told.
      if (name !== "content-length" && name !== "host") request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve(request.getResponseHeader("ETag"));
      else reject(new Error(`the store answered ${request.status}`));
    });
    for (const failure of ["error", "abort", "timeout"]) {
      request.addEventListener(failure, () => reject(new Error(failure)));
    }
    request.send(body);
  });
}

async function putWithRetries(target, body, onProgress) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await put(target, body, onProgress);
    } catch (error) {
      onProgress(0);
      if (attempt === 3) throw error;
      await new Promise((rest) => setTimeout(rest, attempt * 2000));
    }
  }
}

// What a large video's parts already sent are: {token, upload_id, parts: {number: etag}}.
const recordKey = (sha256, size) => `${RECORD_PREFIX}${sha256}.${size}`;
function readRecord(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}
const writeRecord = (key, record) => localStorage.setItem(key, JSON.stringify(record));

function plainName(name) {
  return new TextEncoder().encode(name).length <= 255 && !/[\p{Cc}\p{Cf}/\\]/u.test(name);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function timeLeft(seconds) {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return "less than a minute left";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "about a minute left" : `about ${minutes} minutes left`;
}

/** One file on the list, with its own progress bar and words. */
function listItem(file) {
  const item = document.createElement("li");
  item.className = "item";
  const name = document.createElement("span");
  name.className = "item-name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.setAttribute("aria-label", file.name);
  bar.max = 1;
  bar.value = 0;
  const words = document.createElement("span");
  words.className = "item-words";
  words.textContent = "Waiting";
  item.append(name, bar, words);
  $("items").append(item);
  const say = (text, state) => {
    words.textContent = text;
    if (state) item.dataset.state = state;
    if (state === "refused" || state === "failed") bar.hidden = true;
  };
  return { item, bar, say };
}

/** Sets up the "Add photos" part of the page; `onAdded` is called once items were added. */
export function setUpAdding(token, onAdded) {
  let waiting = null;
  let pickAfterName = false;
  let busy = false;
  const savedName = () => localStorage.getItem(NAME_KEY) || "";

  function showName() {
    const name = savedName();
    $("adding-name").textContent = name;
    $("adding-as").hidden = !name;
  }

  function askName(thenPick) {
    pickAfterName = thenPick;
    $("name").value = savedName();
    $("name-form").hidden = false;
    $("add").hidden = true;
    $("adding-as").hidden = true;
    $("name").focus();
  }

  $("adding").hidden = false;
  showName();
  $("add").addEventListener("click", () => {
    if (!savedName()) askName(true);
    else $("picker").click();
  });
  $("change-name").addEventListener("click", () => askName(false));
  $("name-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("name").value.trim();
    if (name.length === 0 || [...name].length > 60) {
      $("name-problem").textContent = "Please write your name (up to 60 letters).";
      return;
    }
    $("name-problem").textContent = "";
    localStorage.setItem(NAME_KEY, name);
    $("name-form").hidden = true;
    $("add").hidden = false;
    showName();
    if (waiting) {
      const files = waiting;
      waiting = null;
      addFiles(files);
    } else if (pickAfterName) {
      $("picker").click();
    }
  });
  $("picker").addEventListener("change", () => {
    const files = [...$("picker").files];
    // Cleared, so that picking the same file again (to go on with it) is noticed.
    $("picker").value = "";
    if (files.length === 0) return;
    if (!savedName()) {
      waiting = files;
      askName(false);
    } else {
      addFiles(files);
    }
  });

  async function addFiles(files) {
    if (busy) return;
    busy = true;
    const add = $("add");
    add.disabled = true;
    add.textContent = "Adding…";
    $("overall").hidden = false;
    $("added").textContent = "";
    $("items").replaceChildren();
    $("sending").hidden = false;
    const name = savedName();
    const batch = { total: 0, done: 0, started: Date.now() };
    const jobs = [];
    for (const file of files) {
      const row = listItem(file);
      const head = await file
        .slice(0, 400)
        .arrayBuffer()
        .then((bytes) => new Uint8Array(bytes))
        .catch(() => null);
      const kind = head && sniff(head);
      if (!head) {
        row.say(`“${file.name}” could not be read on this phone, so it was not added.`, "refused");
      } else if (!kind) {
        row.say(`“${file.name}” is not a photo or video, so it was not added.`, "refused");
      } else if (file.size === 0) {
        row.say(`“${file.name}” is empty, so it was not added.`, "refused");
      } else {
        jobs.push({ file, kind, row });
        batch.total += 2 * file.size;
      }
    }
    const added = { photos: 0, videos: 0 };
    let stopped = null;
    for (const [index, job] of jobs.entries()) {
      if (stopped) {
        job.row.say(`“${job.file.name}” was not sent either.`, "failed");
        continue;
      }
      const before = batch.done;
      const progress = (inFile) => {
        batch.done = before + inFile;
        job.row.bar.value = inFile / (2 * job.file.size);
        const left = timeLeft(((Date.now() - batch.started) / batch.done) * (batch.total - batch.done) / 1000);
        const waited = Date.now() - batch.started > 3000;
        $("overall-words").textContent = `Adding ${index + 1} of ${jobs.length}` + (waited && left ? ` — ${left}` : "");
        $("overall").value = batch.total ? batch.done / batch.total : 0;
      };
      try {
        await addOne(token, name, job, progress);
        added[job.kind.video ? "videos" : "photos"] += 1;
        job.row.say("Added", "added");
        progress(2 * job.file.size);
      } catch (error) {
        const words = error instanceof Refused ? error.message : "The connection dropped. Check the internet connection and pick it again.";
        job.row.say(`“${job.file.name}” was not added. ${words}`, "failed");
        if (error instanceof Refused && STOPS_ALL.has(error.status)) stopped = error;
        batch.done = before + 2 * job.file.size;
      }
    }
    // What went in needs no more words; what did not keeps its reason on the list.
    $("overall").hidden = true;
    $("overall-words").textContent = "";
    for (const row of $("items").querySelectorAll('[data-state="added"]')) row.remove();
    $("sending").hidden = $("items").children.length === 0;
    const count = [added.photos ? plural(added.photos, "photo") : "", added.videos ? plural(added.videos, "video") : ""]
      .filter(Boolean)
      .join(" and ");
    $("added").textContent = count ? `${count} added. Thank you, ${name}!` : "Nothing was added.";
    $("added").classList.toggle("none", !count);
    add.disabled = false;
    add.textContent = "+ Add photos";
    busy = false;
    if (count) onAdded();
  }
}

/** Reserve (or pick up where a closed page stopped), send, complete. */
async function addOne(token, name, job, progress) {
  const { file, kind, row } = job;
  row.say("Getting it ready", "preparing");
  const sha256 = await fingerprint(file, (hashed) => progress(hashed)).catch(() => {
    throw new Refused(-1, "It could not be read on this phone.");
  });
  const key = recordKey(sha256, file.size);
  let record = readRecord(key);
  let ticket = null;
  if (record && record.token === token) {
    try {
      ticket = await post(`/s/${token}/uploads/${record.upload_id}/targets`, {});
      row.say("Going on from where it stopped", "sending");
    } catch {
      ticket = null;
    }
  }
  if (!ticket) {
    localStorage.removeItem(key);
    ticket = await post(`/s/${token}/uploads`, {
      name,
      sha256,
      size: file.size,
      content_type: kind.mime,
      // A name the server would refuse is left out: it names the file from its time.
      file_name: plainName(file.name) ? file.name : undefined,
      file_modified_at: new Date(file.lastModified).toISOString(),
    });
    record = { token, upload_id: ticket.upload_id, parts: {} };
    row.say("Sending", "sending");
  }
  const inParts = ticket.targets.some((target) => target.part);
  if (inParts) writeRecord(key, record);
  const sent = new Map();
  for (const target of ticket.targets) {
    if (target.part && record.parts[target.part.number]) sent.set(target, target.part.length);
  }
  const report = () => progress(file.size + [...sent.values()].reduce((a, b) => a + b, 0));
  report();
  for (const target of ticket.targets) {
    if (sent.has(target)) continue;
    const { part } = target;
    const body = part ? file.slice(part.offset, part.offset + part.length) : file;
    const etag = await putWithRetries(target, body, (bytes) => {
      sent.set(target, bytes);
      report();
    });
    sent.set(target, part ? part.length : file.size);
    if (part) {
      if (!etag) throw new Refused(0, "The album's storage did not answer as expected. Please tell the person who shared it.");
      record.parts[part.number] = etag;
      writeRecord(key, record);
    }
  }
  const parts = Object.entries(record.parts)
    .map(([number, etag]) => ({ number: Number(number), etag }))
    .sort((a, b) => a.number - b.number);
  try {
    await post(`/s/${token}/uploads/${ticket.upload_id}/complete`, inParts ? { parts } : {});
  } catch (error) {
    // Only the connection dropping leaves something to go on with.
    if (error.status !== 0) localStorage.removeItem(key);
    throw error;
  }
  localStorage.removeItem(key);
}
