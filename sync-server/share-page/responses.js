// Hearts and comments under the photo in the viewer, on links that let the family
// respond. One large ♥ with the count (press again to take it back), the comments with
// their writers' names (newest last), and a field with "Send". The name is the one
// "Add photos" keeps on this phone, asked once. This browser proves a heart or comment is
// its own with a random key kept here and sent as `X-Picup-Visitor`; it may delete its
// own comments (asked once, in words). Everything people typed is shown as text.

const NAME_KEY = "picup.name";
const VISITOR_KEY = "picup.visitor";

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function remembered(key) {
  try {
    return localStorage.getItem(key) || "";
  } catch {
    return "";
  }
}

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // A private window keeps nothing: it is asked again next time.
  }
}

/** This browser's own random key (made once, kept on this phone). */
function visitorKey() {
  let key = remembered(VISITOR_KEY);
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(key)) {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    key = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    remember(VISITOR_KEY, key);
  }
  return key;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Sets up the panel under the viewer's photo; `onCounts(photoId, hearts, comments)` is
 * told whenever a photo's counts change, so its tile can show them. Returns `show(photo)`
 * and `hide()` for the viewer.
 */
export function setUpResponses(token, onCounts) {
  const key = visitorKey();
  const panel = $("responses");
  let photoId = null;
  let busy = false;

  async function ask(method, path, body) {
    const headers = { "X-Picup-Visitor": key };
    if (body) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`/s/${token}${path}`, { method, headers, body: body && JSON.stringify(body), cache: "no-store" });
    } catch {
      throw new Error("The internet connection dropped. Please try again.");
    }
    if (response.status === 401) location.reload();
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const words = response.status === 410 ? "This link has stopped working." : answer && answer.message;
      throw new Error(words || "That did not work. Please try again in a moment.");
    }
    return answer;
  }

  function say(words) {
    const problem = $("responses-problem");
    problem.textContent = words;
    if (words) problem.scrollIntoView({ block: "nearest" });
  }

  function showName() {
    const name = remembered(NAME_KEY);
    $("comment-as").hidden = !name;
    $("comment-as-name").textContent = name;
    $("comment-name-field").hidden = Boolean(name);
    $("comment-name").value = name;
  }

  function commentItem(comment) {
    const item = element("li", "comment");
    item.append(element("strong", "comment-name", comment.name), element("p", "comment-text", comment.text));
    if (comment.mine) {
      const remove = element("button", "button quiet small", "Delete");
      remove.type = "button";
      remove.setAttribute("aria-label", "Delete your comment");
      remove.addEventListener("click", () => askToDelete(item, comment));
      item.append(remove);
    }
    return item;
  }

  function askToDelete(item, comment) {
    const question = element("div", "delete-question");
    question.setAttribute("role", "group");
    const yes = element("button", "button danger", "Yes, delete it");
    const no = element("button", "button quiet", "No, keep it");
    yes.type = no.type = "button";
    question.append(element("p", "", "Delete your comment? Everyone will stop seeing it."), yes, no);
    item.querySelector(".button.small").hidden = true;
    $("responses-said").textContent = "";
    item.append(question);
    question.scrollIntoView({ block: "nearest" });
    no.addEventListener("click", () => {
      question.remove();
      item.querySelector(".button.small").hidden = false;
    });
    yes.addEventListener("click", async () => {
      yes.disabled = no.disabled = true;
      try {
        render(await ask("DELETE", `/comments/${encodeURIComponent(comment.id)}`));
        $("responses-said").textContent = "Your comment was deleted.";
      } catch (error) {
        say(error.message);
        yes.disabled = no.disabled = false;
      }
    });
  }

  function render(responses) {
    const heart = $("heart");
    heart.setAttribute("aria-pressed", String(responses.hearted));
    $("heart-count").textContent = String(responses.hearts);
    heart.setAttribute("aria-label", `${responses.hearted ? "Take back your heart" : "Give a heart"} (${plural(responses.hearts, "heart")})`);
    $("heart-words").textContent = responses.hearted ? "You gave this a heart. Press again to take it back." : "Press the heart if you like this.";
    const list = $("comments");
    list.replaceChildren(...responses.comments.map(commentItem));
    $("no-comments").hidden = responses.comments.length > 0;
    onCounts(photoId, responses.hearts, responses.comments.length);
  }

  async function load(id) {
    try {
      const responses = await ask("GET", `/photos/${encodeURIComponent(id)}/responses`);
      if (id === photoId) render(responses);
    } catch (error) {
      if (id === photoId) say(error.message);
    }
  }

  $("heart").addEventListener("click", async () => {
    if (busy || !photoId) return;
    busy = true;
    say("");
    const giving = $("heart").getAttribute("aria-pressed") !== "true";
    const id = photoId;
    try {
      const responses = await ask(giving ? "PUT" : "DELETE", `/photos/${encodeURIComponent(id)}/heart`);
      if (id === photoId) render(responses);
    } catch (error) {
      say(error.message);
    } finally {
      busy = false;
    }
  });

  $("change-comment-name").addEventListener("click", () => {
    $("comment-as").hidden = true;
    $("comment-name-field").hidden = false;
    $("comment-name").focus();
  });

  $("comment-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !photoId) return;
    say("");
    $("responses-said").textContent = "";
    const name = $("comment-name").value.trim();
    const text = $("comment-text").value.trim();
    if (name.length === 0 || [...name].length > 60) {
      $("comment-name-field").hidden = false;
      $("comment-as").hidden = true;
      say("Please write your name (up to 60 letters), so everyone knows who wrote it.");
      $("comment-name").focus();
      return;
    }
    if (text.length === 0) {
      say("Please write something first.");
      $("comment-text").focus();
      return;
    }
    if ([...text].length > 500) {
      say("A comment can be up to 500 letters. Please make it a little shorter.");
      return;
    }
    busy = true;
    $("send-comment").disabled = true;
    const id = photoId;
    try {
      const responses = await ask("POST", `/photos/${encodeURIComponent(id)}/comments`, { name, text });
      remember(NAME_KEY, name);
      showName();
      $("comment-text").value = "";
      if (id === photoId) render(responses);
      $("responses-said").textContent = "Thank you! Your comment is there for everyone to see.";
    } catch (error) {
      say(error.message);
    } finally {
      busy = false;
      $("send-comment").disabled = false;
    }
  });

  return {
    show(photo) {
      photoId = photo.id;
      panel.hidden = false;
      say("");
      $("responses-said").textContent = "";
      $("heart-count").textContent = String(photo.hearts || 0);
      $("heart").setAttribute("aria-pressed", "false");
      $("comments").replaceChildren();
      $("no-comments").hidden = true;
      showName();
      load(photo.id);
    },
    hide() {
      photoId = null;
      panel.hidden = true;
    },
  };
}

/** The small ♥ and comment counts on a tile that has any. */
export function tileCounts(photo) {
  const hearts = photo.hearts || 0;
  const comments = photo.comments || 0;
  if (!hearts && !comments) return null;
  const badge = element("span", "tile-counts");
  badge.setAttribute("aria-label", [hearts ? plural(hearts, "heart") : "", comments ? plural(comments, "comment") : ""].filter(Boolean).join(", "));
  if (hearts) badge.append(element("span", "", `♥ ${hearts}`));
  if (comments) badge.append(element("span", "", plural(comments, "comment")));
  return badge;
}
