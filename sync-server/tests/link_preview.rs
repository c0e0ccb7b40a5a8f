//! What a chat app shows for a family link, and the name it says it is from: the page
//! `/s/{token}` carries `og:title` (the album's name), `og:description` ("Photos from
//! Anna · May 2024") and `og:image`, the cover's thumbnail through a signed URL that any
//! plain HTTP client can fetch for a day or more (it is bound to no address); everything
//! in them is escaped. The name is the account's display name, set with `PUT /v1/me`
//! (trimmed, at most 60 characters, no control characters; only by the account itself),
//! never its e-mail address; a link that stopped working says whom to ask.
//! Screenshots of the stopped link: `<target>/screenshots/share-stopped-*.png`.

mod support;

use std::time::Duration;

use picup_testkit::browser::ChromeDriver;
use picup_testkit::fixtures;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::page::{self, run, text};
use support::*;

/// The `content` of the page's `<meta property="{property}">`, as written in the HTML.
fn meta<'a>(html: &'a str, property: &str) -> &'a str {
    let start = format!("<meta property=\"{property}\" content=\"");
    let at = html
        .find(&start)
        .unwrap_or_else(|| panic!("{property} in {html}"))
        + start.len();
    &html[at..at + html[at..].find('"').unwrap()]
}

async fn rename(client: &Client, name: serde_json::Value) -> Answer {
    client
        .send(Method::PUT, "/v1/me", Some(json!({ "display_name": name })))
        .await
}

const ALBUM: &str = "<script>alert(1)</script>\"'&";
const ALBUM_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_shows_its_album_sender_dates_and_cover_to_chat_apps_escaped() {
    let media = tempfile::tempdir().unwrap();
    let server = InProcess::start(None).await;
    let anna = server.account("anna@example.org", 1_000_000_000).await;
    let named = rename(&anna, json!("  <b>Anna</b> & \"Co\"  ")).await;
    assert_eq!(named.status, StatusCode::OK, "{:?}", named.body);
    assert_eq!(
        named.body["display_name"], "<b>Anna</b> & \"Co\"",
        "trimmed, as typed"
    );
    let album = anna.album(ALBUM).await;
    let mut cover = Vec::new();
    for (day, colour) in [("04", "seagreen"), ("28", "tomato")] {
        let still = |size: &str, name: &str| {
            fixtures::still(
                &format!("color=c={colour}:s={size}"),
                &media.path().join(format!("{day}-{name}.jpg")),
            )
            .unwrap()
        };
        let thumbnail = still("400x300", "t");
        anna.upload_with_images(
            &album,
            &still("1600x1200", "o"),
            "image/jpeg",
            &thumbnail,
            &still("1200x900", "p"),
            &format!("2024-05-{day}T10:00:00Z"),
        )
        .await;
        if cover.is_empty() {
            cover = thumbnail;
        }
    }
    let link = anna
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    let url = link.body["url"].as_str().unwrap().to_owned();

    // A plain HTTP client, as a chat app's link preview is.
    let chat_app = reqwest::Client::new();
    let html = chat_app
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script>alert"),
        "the name is escaped: {html}"
    );
    assert!(!html.contains("<b>Anna"), "the sender is escaped: {html}");
    assert!(!html.contains("anna@example.org"), "no e-mail address");
    assert!(
        html.contains(&format!("<title>{ALBUM_ESCAPED}</title>")),
        "{html}"
    );
    assert_eq!(meta(&html, "og:title"), ALBUM_ESCAPED);
    assert_eq!(
        meta(&html, "og:description"),
        "Photos from &lt;b&gt;Anna&lt;/b&gt; &amp; &quot;Co&quot; · May 2024"
    );
    let image = meta(&html, "og:image").replace("&amp;", "&");
    assert!(image.starts_with(&server.url), "an absolute URL: {image}");

    // The cover's thumbnail, to anyone, for a day at least.
    let fetch = || async {
        let answer = chat_app.get(&image).send().await.unwrap();
        let status = answer.status();
        let kind = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        (status, kind, answer.bytes().await.unwrap().to_vec())
    };
    let (status, kind, bytes) = fetch().await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/jpeg"));
    assert!(bytes == cover, "the cover's thumbnail");
    let policy = image
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("Policy="))
        .unwrap();
    let policy =
        String::from_utf8(picup_server::cdn::cloudfront_base64_decode(policy).unwrap()).unwrap();
    assert!(
        !policy.contains("SourceIp"),
        "bound to no address: {policy}"
    );
    server
        .backends
        .clock
        .advance(Duration::from_secs(23 * 3600));
    assert_eq!(fetch().await.0, StatusCode::OK, "still good the next day");
    server
        .backends
        .clock
        .advance(Duration::from_secs(26 * 3600));
    assert_eq!(fetch().await.0, StatusCode::FORBIDDEN, "not for ever");

    // In the browser the names are text, shown as typed.
    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .phone(profile.path(), profile.path())
        .await
        .unwrap();
    driver.goto(&url).await.unwrap();
    page::wait_for(
        &driver,
        "the album's header",
        "return document.getElementById('about').textContent !== '';",
    )
    .await;
    assert_eq!(run(&driver, "return document.title").await, ALBUM);
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('about').textContent"
        )
        .await,
        "From <b>Anna</b> & \"Co\" · May 2024"
    );
    page::screenshot(&driver, "share-phone-album-escaped").await;

    // Turned off: the page says whom to ask, escaped.
    let link_id = link.body["id"].as_str().unwrap();
    assert_eq!(
        anna.delete(&format!("/v1/shares/{link_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let stopped = chat_app.get(&url).send().await.unwrap();
    assert_eq!(stopped.status(), StatusCode::GONE);
    let stopped = stopped.text().await.unwrap();
    assert!(
        stopped.contains(
            "You did nothing wrong — ask &lt;b&gt;Anna&lt;/b&gt; &amp; &quot;Co&quot; for a new one."
        ),
        "{stopped}"
    );
    // The page's own requests (adding photos, say) get the same words, as plain text.
    let listing: serde_json::Value = chat_app
        .get(format!("{url}/photos"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listing["message"],
        "This link has stopped working. You did nothing wrong — ask <b>Anna</b> & \"Co\" for a new one."
    );
    driver.goto(&url).await.unwrap();
    assert_eq!(
        text(&driver, "return document.querySelector('h1').textContent").await,
        "This link has stopped working"
    );
    assert_eq!(
        text(
            &driver,
            "return document.querySelector('main p').textContent"
        )
        .await,
        "You did nothing wrong — ask <b>Anna</b> & \"Co\" for a new one."
    );
    page::screenshot(&driver, "share-stopped-named-phone").await;
    driver.quit().await.unwrap();
    let chromedriver_desktop = |profile: &std::path::Path| {
        let (chromedriver, profile) = (&chromedriver, profile.to_owned());
        async move {
            chromedriver
                .browser(1280, 800, &profile, &profile)
                .await
                .unwrap()
        }
    };
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver_desktop(profile.path()).await;
    driver.goto(&url).await.unwrap();
    page::screenshot(&driver, "share-stopped-named-desktop").await;
    driver.quit().await.unwrap();

    // Without a name the page asks for "the person who sent it", never an address.
    assert_eq!(rename(&anna, json!(null)).await.status, StatusCode::OK);
    let stopped = chat_app
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        stopped.contains("You did nothing wrong — ask the person who sent it for a new one."),
        "{stopped}"
    );
    assert!(!stopped.contains("anna@example.org"));
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver_desktop(profile.path()).await;
    driver.goto(&url).await.unwrap();
    page::screenshot(&driver, "share-stopped-unnamed-desktop").await;
    driver.quit().await.unwrap();
    let fresh = anna
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    let html = chat_app
        .get(fresh.body["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(meta(&html, "og:description"), "Family photos · May 2024");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_account_sets_its_display_name_within_bounds() {
    let server = InProcess::start(None).await;
    let anna = server.account("anna@example.org", 1_000_000).await;
    let bob = server.account("bob@example.org", 1_000_000).await;
    assert_eq!(anna.me().await.display_name, None, "none at first");
    assert_eq!(rename(&anna, json!("Anna")).await.status, StatusCode::OK);

    for (name, why) in [
        (json!("a".repeat(61)), "too long"),
        (json!("Anna\u{7}"), "a control character"),
        (json!("Anna\nSmith"), "a new line"),
        (json!("\u{202e}annA"), "a text-direction mark"),
    ] {
        let refused = rename(&anna, name).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert_eq!(refused.code(), "invalid_name", "{why}");
    }
    assert_eq!(
        rename(&anna, json!(12)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not text"
    );
    assert_eq!(
        anna.me().await.display_name.as_deref(),
        Some("Anna"),
        "unchanged"
    );
    let longest = "é".repeat(60);
    assert_eq!(rename(&anna, json!(longest)).await.status, StatusCode::OK);
    assert_eq!(anna.me().await.display_name, Some(longest));
    // Markup is kept as the text typed (every page escapes it).
    let markup = rename(&anna, json!("<img src=x onerror=alert(1)>")).await;
    assert_eq!(markup.body["display_name"], "<img src=x onerror=alert(1)>");

    // Bob's request changes Bob, whatever it says; no session, no change.
    assert_eq!(
        rename(&bob, json!("Anna's husband")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        anna.me().await.display_name.as_deref(),
        Some("<img src=x onerror=alert(1)>")
    );
    assert_eq!(
        bob.me().await.display_name.as_deref(),
        Some("Anna's husband")
    );
    let nobody = Client::new(&server.url);
    let refused = rename(&nobody, json!("Mallory")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let forged = Client {
        token: Some("not-a-session".into()),
        ..Client::new(&server.url)
    };
    assert_eq!(
        rename(&forged, json!("Mallory")).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Spaces only, or null, clears it.
    assert_eq!(rename(&anna, json!("   ")).await.status, StatusCode::OK);
    assert_eq!(anna.me().await.display_name, None);
    server.stop().await;
}
