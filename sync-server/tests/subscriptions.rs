//! "Tell me when new photos are added" (issue 19) through a real SMTP server on
//! 127.0.0.1 (aiosmtpd from PyPI, with `smtp_sink.py` keeping each message as JSON), on
//! SQLite with the embedded S3 endpoint and on PostgreSQL with SeaweedFS: subscribing
//! sends a confirmation first; once confirmed, the owner's new photos bring one digest
//! with the right counts, the thumbnails inline and a link that opens the album; no
//! digest without news, and not a second within a day (the server's clock moved on,
//! nothing sleeps); a digest waits while the SMTP server is down (for hours, never
//! parked) and goes exactly once when it is back; a mailbox refused for good is not
//! tried again; one POST of the List-Unsubscribe address, with no cookie, stops them.
//! Budgets, a link with a password and a server without `smtp_url` on SQLite.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::smtp::{Smtp, drain, mail_worker as worker, with_smtp};
use support::*;

const GB: i64 = 1_000_000_000;
const HOUR: Duration = Duration::from_secs(3600);

/// A video as its first bytes show one (the server sniffs them).
fn fake_video(n: u32) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0".to_vec();
    bytes.extend(fake_photo(n, 3000));
    bytes
}

async fn share(owner: &Client, album: &str, body: Value) -> String {
    let made = owner
        .post(&format!("/v1/albums/{album}/shares"), body)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let url = made.body["url"].as_str().unwrap();
    url.rsplit('/').next().unwrap().to_owned()
}

/// `POST /s/{token}/subscriptions` as the family page sends it.
async fn subscribe(
    base: &str,
    token: &str,
    email: &str,
    cookie: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/s/{token}/subscriptions"))
        .json(&json!({ "email": email }));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The first address in `text` that contains `part`.
fn url_in(text: &str, part: &str) -> String {
    text.split_whitespace()
        .find(|word| word.contains(part))
        .unwrap_or_else(|| panic!("no address with {part:?} in {text}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_about_new_photos_on_sqlite_and_the_embedded_s3_endpoint() {
    let port = free_port();
    let smtp = Smtp::start(port);
    new_photos_by_e_mail(InProcess::start_with(None, with_smtp(port)).await, smtp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_about_new_photos_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    let port = free_port();
    let smtp = Smtp::start(port);
    let server =
        InProcess::on_postgres_and_seaweed_with(&postgres, &seaweed, with_smtp(port)).await;
    new_photos_by_e_mail(server, smtp).await;
}

async fn new_photos_by_e_mail(server: InProcess, mut smtp: Smtp) {
    let base = server.url.clone();
    let clock = server.backends.clock.clone();
    let worker = worker(&server);
    let anna = server.account("anna@example.org", GB).await;
    let album = anna.album("Summer 2024").await;
    anna.upload(&album, &fake_photo(1, 2000)).await;
    let token = share(&anna, &album, json!({})).await;
    let link = format!("{base}/s/{token}");

    // The page offers e-mail; what is not an address is refused in words.
    let page = anna.get(&format!("/s/{token}/photos")).await;
    assert_eq!(page.body["notify_by_email"], json!(true), "{:?}", page.body);
    let (status, refused) = subscribe(&base, &token, "grandma at home", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"], "invalid_email");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("does not look like an e-mail address"),
        "{refused}"
    );
    let huge = format!("{}@example.org", "a".repeat(300));
    let (status, refused) = subscribe(&base, &token, &huge, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["message"].as_str().unwrap().contains("too long"),
        "{refused}"
    );

    // Subscribing sends a confirmation, and nothing else.
    let (status, asked) = subscribe(&base, &token, " Grandma@Example.org ", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{asked}");
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let confirmation = &mails[0];
    assert_eq!(confirmation["rcpt_tos"], json!(["grandma@example.org"]));
    assert!(
        confirmation["subject"]
            .as_str()
            .unwrap()
            .contains("Please confirm"),
        "{confirmation}"
    );
    assert!(
        confirmation["text"]
            .as_str()
            .unwrap()
            .contains("Summer 2024")
    );
    let confirm = url_in(
        confirmation["text"].as_str().unwrap(),
        "/subscriptions/confirm?t=",
    );
    assert!(confirm.starts_with(&link), "{confirm}");
    let confirmed = reqwest::get(&confirm).await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(confirmed.text().await.unwrap().contains("Thank you"));

    // Asking again for an address already subscribed answers the same, and sends nothing.
    let (status, again) = subscribe(&base, &token, "grandma@example.org", None).await;
    assert_eq!((status, &again), (StatusCode::ACCEPTED, &asked));
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 1, "no news, no e-mail");

    // Two photos and a video: one digest, counted apart, thumbnails inside.
    anna.upload(&album, &fake_photo(2, 2000)).await;
    anna.upload(&album, &fake_photo(3, 2000)).await;
    let (thumbnail, preview) = (fake_photo(40, 300), fake_photo(41, 900));
    let video = fake_video(4);
    anna.upload_with_images(
        &album,
        &video,
        "video/mp4",
        &thumbnail,
        &preview,
        "2024-07-14T10:00:00Z",
    )
    .await;
    drain(&worker).await;
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    let digest = &mails[1];
    assert_eq!(
        digest["subject"],
        "2 new photos and 1 new video in Summer 2024"
    );
    assert_eq!(digest["rcpt_tos"], json!(["grandma@example.org"]));
    assert_eq!(digest["inline_images"], 3, "{digest}");
    assert!(digest["message_id"].as_str().unwrap().contains("digest-"));
    assert_eq!(
        digest["list_unsubscribe_post"],
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = digest["list_unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_owned();
    assert!(
        unsubscribe.starts_with(&format!("{link}/subscriptions/unsubscribe?t=")),
        "{unsubscribe}"
    );
    // The button opens the album: its page, and its four items.
    assert!(
        digest["html"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{link}\""))
    );
    assert_eq!(url_in(digest["text"].as_str().unwrap(), "/s/"), link);
    assert_eq!(reqwest::get(&link).await.unwrap().status(), StatusCode::OK);
    let photos: Value = reqwest::get(format!("{link}/photos"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(photos["items"].as_array().unwrap().len(), 4);

    // More news within the day waits for the day to pass.
    anna.upload(&album, &fake_photo(5, 2000)).await;
    drain(&worker).await;
    clock.advance(23 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 2, "not a second digest within a day");
    clock.advance(HOUR + Duration::from_secs(1));
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(mails[2]["subject"], "1 new photo in Summer 2024");

    // The SMTP server down: the digest waits, and goes once when it is back.
    smtp.down();
    anna.upload(&album, &fake_photo(6, 2000)).await;
    clock.advance(25 * HOUR);
    drain(&worker).await;
    // Ten hours of tries, far past the attempts other jobs get: never parked as dead.
    for _ in 0..30 {
        clock.advance(20 * 60 * Duration::from_secs(1));
        drain(&worker).await;
    }
    assert_eq!(smtp.mails().len(), 3);
    let (waiting, dead) = server.backends.db.job_counts().await.unwrap();
    assert!(waiting >= 1 && dead == 0, "waiting {waiting}, dead {dead}");
    smtp.up();
    clock.advance(10 * 60 * Duration::from_secs(1));
    drain(&worker).await;
    clock.advance(HOUR);
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 4, "{mails:?}");
    assert_eq!(mails[3]["subject"], "1 new photo in Summer 2024");
    let ids: std::collections::BTreeSet<&str> = mails
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "each message its own Message-ID");
    clock.advance(25 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 4, "sent once, and nothing new since");

    // One POST to List-Unsubscribe, as a mail program sends it (no cookie): no more mail.
    let stopped = reqwest::Client::new()
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), StatusCode::OK);
    assert!(stopped.text().await.unwrap().contains("no more e-mails"));
    anna.upload(&album, &fake_photo(7, 2000)).await;
    clock.advance(25 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 4, "unsubscribed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_a_password_and_a_server_without_e_mail() {
    let port = free_port();
    let smtp = Smtp::start(port);
    let server = InProcess::start_with(None, |config| {
        with_smtp(port)(config);
        config.subscriptions_per_address_per_day = 2;
        config.subscriptions_per_link_per_day = 3;
    })
    .await;
    let (base, clock, worker) = (
        server.url.clone(),
        server.backends.clock.clone(),
        worker(&server),
    );
    let anna = server.account("anna@example.org", GB).await;
    let album = anna.album("Summer 2024").await;
    let token = share(&anna, &album, json!({})).await;

    // Per address, then per link; a day later, again.
    for email in ["a@example.org", "a@example.org"] {
        assert_eq!(
            subscribe(&base, &token, email, None).await.0,
            StatusCode::ACCEPTED
        );
    }
    let (status, refused) = subscribe(&base, &token, "a@example.org", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("tomorrow"),
        "{refused}"
    );
    assert_eq!(
        subscribe(&base, &token, "b@example.org", None).await.0,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        subscribe(&base, &token, "c@example.org", None).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "the link had its three"
    );
    clock.advance(24 * HOUR);
    assert_eq!(
        subscribe(&base, &token, "c@example.org", None).await.0,
        StatusCode::ACCEPTED
    );
    drain(&worker).await;
    let mut to: Vec<String> = smtp
        .mails()
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["a@example.org", "b@example.org", "c@example.org"],
        "one confirmation each while pending"
    );

    // A mailbox that does not exist: refused for good, its e-mail is parked at once
    // (not tried again and again), and the rest goes on.
    assert_eq!(
        subscribe(&base, &token, "nobody@example.org", None).await.0,
        StatusCode::ACCEPTED
    );
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 3);
    let (waiting, dead) = server.backends.db.job_counts().await.unwrap();
    assert_eq!((waiting, dead), (0, 1), "the refused e-mail parked as dead");

    // A link with a password: subscribing needs it.
    let locked = share(&anna, &album, json!({"password": "seaside"})).await;
    let (status, refused) = subscribe(&base, &locked, "d@example.org", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused["error"], "password_needed");
    let given = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}/s/{locked}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("password=seaside")
        .send()
        .await
        .unwrap();
    let cookie = given.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let (status, _) = subscribe(&base, &locked, "d@example.org", Some(&cookie)).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // The unsubscribe page changes nothing by itself: it has one button that posts.
    let page = reqwest::get(format!("{base}/s/{token}/subscriptions/unsubscribe?t=abc"))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("method=\"post\""));
    server.stop().await;

    // Without smtp_url the page offers no e-mail, and subscribing is not there.
    let plain = InProcess::start(None).await;
    assert!(plain.backends.mailer.is_none());
    let owner = plain.account("anna@example.org", GB).await;
    let album = owner.album("Summer").await;
    let token = share(&owner, &album, json!({})).await;
    let page = owner.get(&format!("/s/{token}/photos")).await;
    assert_eq!(page.body["notify_by_email"], json!(false));
    let (status, _) = subscribe(&plain.url, &token, "a@example.org", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    plain.stop().await;
}
