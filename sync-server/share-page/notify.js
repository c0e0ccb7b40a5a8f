// "Tell me when new photos are added": one e-mail field under the album, shown only
// when the server sends e-mail (the album's JSON says `notify_by_email`). The server
// answers the same words whether or not the address was already subscribed, and sends a
// confirmation e-mail first; a refusal (not an address, too many today) is shown in the
// server's own words. Everything shown is set as text.

const $ = (id) => document.getElementById(id);
const token = location.pathname.split("/")[2];

async function offered() {
  try {
    const answer = await fetch(`/s/${token}/photos?limit=1`, { credentials: "same-origin" });
    if (!answer.ok) return false;
    return (await answer.json()).notify_by_email === true;
  } catch {
    return false;
  }
}

async function subscribe(event) {
  event.preventDefault();
  const field = $("notify-email");
  const button = $("notify-send");
  const problem = $("notify-problem");
  const said = $("notify-said");
  problem.textContent = "";
  said.textContent = "";
  const email = field.value.trim();
  if (!email) {
    problem.textContent = "Type your e-mail address, like grandma@example.org.";
    field.focus();
    return;
  }
  button.disabled = true;
  try {
    const answer = await fetch(`/s/${token}/subscriptions`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email }),
    });
    const body = await answer.json().catch(() => ({}));
    if (answer.ok) {
      said.textContent = body.message || "Thank you. Look for our e-mail and press its button.";
      $("notify-form").hidden = true;
    } else {
      problem.textContent = body.message || "That did not work. Please try again later.";
      field.focus();
    }
  } catch {
    problem.textContent = "The connection dropped. Please try again.";
  } finally {
    button.disabled = false;
  }
}

if (await offered()) {
  $("notify-form").addEventListener("submit", subscribe);
  $("notify").hidden = false;
}
