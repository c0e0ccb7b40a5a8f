//! A password on an album link (issue 19), on SQLite with the embedded S3 endpoint and on
//! PostgreSQL with SeaweedFS, over HTTP as a browser sends it: the page asks and shows
//! nothing of the album; the JSON, the download, adding and so the signed URLs are out of
//! reach without it; a wrong password is refused and tries run out; the right one sets an
//! HttpOnly cookie scoped to the link that is remembered for 30 days (the server's clock
//! moved on, nothing sleeps); changing the password asks every browser again; removing
//! it opens the link; another family cannot touch it, and one link's cookie does not
//! open another link.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use support::*;

const GB: i64 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_with_a_password_on_sqlite_and_the_embedded_s3_endpoint() {
    link_with_a_password(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_with_a_password_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    link_with_a_password(InProcess::on_postgres_and_seaweed(&postgres, &seaweed).await).await;
}

/// A browser: no redirects followed, cookies handled by hand so the test sees them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Link {
    id: String,
    token: String,
}

async fn make_link(owner: &Client, album: &str, body: serde_json::Value) -> Link {
    let made = owner
        .post(&format!("/v1/albums/{album}/shares"), body)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let url = made.body["url"].as_str().unwrap();
    Link {
        id: made.body["id"].as_str().unwrap().to_owned(),
        token: url.rsplit('/').next().unwrap().to_owned(),
    }
}

/// Types `password` into the page's form; the answer.
async fn give(base: &str, link: &Link, password: &str) -> reqwest::Response {
    browser()
        .post(format!("{base}/s/{}", link.token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("password={}", form_encoded(password)))
        .send()
        .await
        .unwrap()
}

/// `text` as a form field's value (what a browser's form sends).
fn form_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The `picup_link=…` pair of a Set-Cookie answer, and the whole header.
fn cookie_of(answer: &reqwest::Response) -> (String, String) {
    let header = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    let pair = header.split(';').next().unwrap().trim().to_owned();
    (pair, header)
}

async fn get(base: &str, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = browser().get(format!("{base}{path}"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

async fn link_with_a_password(server: InProcess) {
    let base = server.url.clone();
    let owner = server.account("anna@example.org", GB).await;
    let album = owner.album("Grandad's 80th").await;
    owner.upload(&album, &fake_photo(1, 2000)).await;

    // Too short a password is refused when the link is made.
    let short = owner
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"password": "abc"}),
        )
        .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        short.body
    );

    let link = make_link(&owner, &album, json!({"password": "Blue house 1962"})).await;
    let listed = owner.get(&format!("/v1/albums/{album}/shares")).await;
    assert_eq!(listed.body["items"][0]["has_password"], true);
    assert!(
        !listed.body.to_string().contains("Blue house"),
        "the password is never given back"
    );

    // The page asks, and shows nothing of the album.
    let page = get(&base, &format!("/s/{}", link.token), None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("This album has a password"), "{html}");
    assert!(
        !html.contains("Grandad"),
        "the title is not shown before the password"
    );
    // Everything else is out of reach: the photos (with their signed URLs), the ZIP,
    // adding.
    let json = get(&base, &format!("/s/{}/photos", link.token), None).await;
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"], "password_needed");
    assert!(!body.to_string().contains("cdn"));
    let zip = get(&base, &format!("/s/{}/download", link.token), None).await;
    assert!(
        zip.text()
            .await
            .unwrap()
            .contains("This album has a password")
    );
    let adding = browser()
        .post(format!("{base}/s/{}/uploads", link.token))
        .json(&json!({"name": "Oma", "sha256": "0".repeat(64), "size": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(adding.status(), StatusCode::UNAUTHORIZED);
    // A made-up cookie does not open it.
    let forged = "picup_link=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(forged)).await;
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);

    // A wrong password is refused, in words.
    let wrong = give(&base, &link, "blue house 1962").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That is not the password")
    );

    // The right one: back to the album, with a cookie for this link only.
    let right = give(&base, &link, "Blue house 1962").await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        right.headers()["location"],
        format!("/s/{}", link.token).as_str()
    );
    let (cookie, header) = cookie_of(&right);
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=2592000",
        &format!("Path=/s/{}", link.token),
    ] {
        assert!(header.contains(attribute), "{attribute} in {header}");
    }
    assert!(!header.contains("Secure"), "plain HTTP here: {header}");
    let page = get(&base, &format!("/s/{}", link.token), Some(&cookie)).await;
    assert!(
        !page
            .text()
            .await
            .unwrap()
            .contains("This album has a password")
    );
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::OK);
    let photos: serde_json::Value = json.json().await.unwrap();
    assert_eq!(photos["title"], "Grandad's 80th");
    assert_eq!(photos["items"].as_array().unwrap().len(), 1);

    // The cookie does not open another link of the same album.
    let other = make_link(&owner, &album, json!({"password": "Another one"})).await;
    let json = get(&base, &format!("/s/{}/photos", other.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);

    // Remembered for 30 days, then asked again.
    server
        .backends
        .clock
        .advance(Duration::from_secs(29 * 86_400));
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::OK, "29 days on");
    server
        .backends
        .clock
        .advance(Duration::from_secs(2 * 86_400));
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED, "31 days on");

    // A new password asks every browser again; the old one no longer works.
    let (cookie, _) = cookie_of(&give(&base, &link, "Blue house 1962").await);
    let changed = owner
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/shares/{}", link.id),
            Some(json!({"password": "Red door 1970"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["has_password"], true);
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        give(&base, &link, "Blue house 1962").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (cookie, _) = cookie_of(&give(&base, &link, "Red door 1970").await);
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::OK);

    // Another family can neither change nor remove it; a PATCH that says nothing, or
    // both things at once, is refused.
    let stranger = server.account("someone@example.org", GB).await;
    for body in [
        json!({"remove_password": true}),
        json!({"password": "Mine now"}),
    ] {
        let answer = stranger
            .send(
                reqwest::Method::PATCH,
                &format!("/v1/shares/{}", link.id),
                Some(body),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{:?}", answer.body);
    }
    for body in [
        json!({}),
        json!({"password": "Green gate", "remove_password": true}),
    ] {
        let answer = owner
            .send(
                reqwest::Method::PATCH,
                &format!("/v1/shares/{}", link.id),
                Some(body),
            )
            .await;
        assert!(answer.status.is_client_error(), "{:?}", answer.body);
    }
    let json = get(&base, &format!("/s/{}/photos", link.token), Some(&cookie)).await;
    assert_eq!(json.status(), StatusCode::OK, "still the same password");

    // Removing it opens the link to anyone who has it.
    let removed = owner
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/shares/{}", link.id),
            Some(json!({"remove_password": true})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["has_password"], false);
    let json = get(&base, &format!("/s/{}/photos", link.token), None).await;
    assert_eq!(json.status(), StatusCode::OK);

    // Guessing runs out: after the allowed tries from one address, even the right
    // password waits, and says for how long.
    let guarded = make_link(&owner, &album, json!({"password": "Swing 1984"})).await;
    // (The wrong tries above have had their time.)
    server
        .backends
        .clock
        .advance(Duration::from_secs(server.config.sign_in_lockout_secs + 1));
    let allowed = server.config.sign_in_failures_allowed;
    for n in 0..allowed {
        let answer = give(&base, &guarded, &format!("guess {n}")).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "try {n}");
    }
    let blocked = give(&base, &guarded, "Swing 1984").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.text().await.unwrap().contains("Too many tries"));
    server.stop().await;
}
