//! The owner's e-mail digest of what the family did (issue 19), through a real SMTP
//! server (aiosmtpd, `smtp_sink.py`), on SQLite with the embedded S3 endpoint and on
//! PostgreSQL with SeaweedFS: off by default, so the family's photos, hearts and
//! comments send nothing; switched on, one digest with the right counts per album (the
//! owner's own uploads not among them, photos and videos counted apart), the comments
//! quoted and escaped in HTML, what the family added inline, and how to switch it off;
//! no digest without news, and
//! not a second within a day (the server's clock moved on, nothing sleeps); one that
//! waits while the SMTP server is down goes exactly once when it is back; switched off,
//! nothing more; another account's switch is its own. And a server without `smtp_url`
//! says so: `mail_available` false, and switching on is a 409 `mail_not_set_up`.

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::smtp::{Smtp, drain, mail_worker as worker, with_smtp};
use support::*;

const GB: i64 = 1_000_000_000;
const HOUR: Duration = Duration::from_secs(3600);
const GRANDMA: &str = "grandma-browser-key-0000000001";
const GRANDAD: &str = "grandad-browser-key-0000000002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_s_family_digest_on_sqlite_and_the_embedded_s3_endpoint() {
    let port = free_port();
    let smtp = Smtp::start(port);
    family_digest(InProcess::start_with(None, with_smtp(port)).await, smtp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_s_family_digest_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    let port = free_port();
    let smtp = Smtp::start(port);
    let server =
        InProcess::on_postgres_and_seaweed_with(&postgres, &seaweed, with_smtp(port)).await;
    family_digest(server, smtp).await;
}

/// A link to `album` that lets the family add photos and respond; its token.
async fn share(owner: &Client, album: &str) -> String {
    let made = owner
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"allow_add": true}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let url = made.body["url"].as_str().unwrap();
    url.rsplit('/').next().unwrap().to_owned()
}

/// One family member's browser on the album link `token`.
struct Family<'a> {
    base: &'a str,
    token: &'a str,
    key: &'a str,
    name: &'a str,
}

impl Family<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}/s/{}{path}", self.base, self.token))
            .header("x-picup-visitor", self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Adds a photo as the family page does; its id.
    async fn add(&self, bytes: &[u8]) -> String {
        self.add_as(bytes, "image/jpeg").await
    }

    async fn add_as(&self, bytes: &[u8], content_type: &str) -> String {
        let ticket = self
            .call(
                Method::POST,
                "/uploads",
                Some(json!({
                    "name": self.name,
                    "sha256": sha256_hex(bytes),
                    "size": bytes.len(),
                    "content_type": content_type,
                    "file_name": "IMG_0001.jpg",
                })),
            )
            .await;
        let family = Client::new(self.base);
        assert_eq!(
            family.put(&ticket["targets"][0], bytes.to_vec()).await,
            StatusCode::OK
        );
        let upload = ticket["upload_id"].as_str().unwrap();
        let done = self
            .call(
                Method::POST,
                &format!("/uploads/{upload}/complete"),
                Some(json!({})),
            )
            .await;
        done["photo_id"].as_str().unwrap().to_owned()
    }

    async fn heart(&self, photo: &str) {
        self.call(Method::PUT, &format!("/photos/{photo}/heart"), None)
            .await;
    }

    async fn comment(&self, photo: &str, text: &str) {
        let body = json!({"name": self.name, "text": text});
        self.call(
            Method::POST,
            &format!("/photos/{photo}/comments"),
            Some(body),
        )
        .await;
    }
}

async fn switch(owner: &Client, on: bool) -> (StatusCode, Value) {
    let answer = owner
        .send(
            Method::PUT,
            "/v1/me/family-digest",
            Some(json!({ "on": on })),
        )
        .await;
    (answer.status, answer.body)
}

/// A small real JPEG (ffmpeg's test picture), its height made of `n` so each is distinct:
/// the worker makes thumbnails of what the family adds from it.
fn real_photo(work: &tempfile::TempDir, n: u32) -> Vec<u8> {
    let path = work.path().join(format!("{n}.jpg"));
    picup_testkit::fixtures::still(&format!("testsrc=size=64x{}", 32 + n), &path).unwrap()
}

async fn family_digest(server: InProcess, mut smtp: Smtp) {
    let work = tempfile::tempdir().unwrap();
    let base = server.url.clone();
    let clock = server.backends.clock.clone();
    let worker = worker(&server);
    let anna = server.account("anna@example.org", GB).await;
    let album = anna.album("Summer 2024").await;
    let own = anna.upload(&album, &fake_photo(1, 2000)).await;
    let token = share(&anna, &album).await;
    let grandma = Family {
        base: &base,
        token: &token,
        key: GRANDMA,
        name: "Grandma",
    };
    let grandad = Family {
        key: GRANDAD,
        name: "Grandad",
        ..grandma
    };
    let bob = server.account("bob@example.org", GB).await;
    let bobs_album = bob.album("Bob's garden").await;
    let bobs_photo = bob.upload(&bobs_album, &fake_photo(2, 2000)).await;
    let bobs_token = share(&bob, &bobs_album).await;
    let at_bobs = Family {
        token: &bobs_token,
        ..grandma
    };

    // Off by default, and the server says it sends e-mail.
    let me = anna.me().await;
    assert!(!me.family_digest && me.mail_available, "{me:?}");

    // Off: the family's photos, hearts and comments send nothing, a day later either.
    let first = grandma.add(&real_photo(&work, 10)).await;
    grandma.heart(&own).await;
    grandma.comment(&first, "Before you switched it on").await;
    drain(&worker).await;
    clock.advance(25 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 0, "{:?}", smtp.mails());

    // Switched on: what happened before is not news, and nor is the owner's own upload.
    let (status, switched) = switch(&anna, true).await;
    assert_eq!(status, StatusCode::OK, "{switched}");
    assert_eq!(switched["family_digest"], true);
    assert!(anna.me().await.family_digest);
    assert!(!bob.me().await.family_digest, "Bob's switch is his own");
    anna.upload(&album, &fake_photo(3, 2000)).await;
    clock.advance(25 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 0, "{:?}", smtp.mails());

    // The family adds, hearts and comments: one digest with the counts.
    let beach = grandma.add(&real_photo(&work, 11)).await;
    grandma.add(&real_photo(&work, 12)).await;
    grandad.add(&real_photo(&work, 13)).await;
    let video = picup_testkit::fixtures::Video::new(64, 48).write(&work.path().join("clip.mp4"));
    grandad.add_as(&video.unwrap(), "video/mp4").await;
    anna.upload(&album, &fake_photo(4, 2000)).await;
    grandma.heart(&beach).await;
    grandad.heart(&beach).await;
    grandad.heart(&first).await;
    grandma
        .comment(&beach, "<b>Lovely</b> & \"sunny\"\nSee you soon")
        .await;
    grandad.comment(&own, "Great hat").await;
    at_bobs.heart(&bobs_photo).await;
    drain(&worker).await;
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let digest = &mails[0];
    assert_eq!(digest["rcpt_tos"], json!(["anna@example.org"]));
    assert_eq!(
        digest["subject"],
        "Grandma added 2 photos to Summer 2024, and more"
    );
    let text = digest["text"].as_str().unwrap();
    for line in [
        "Grandma added 2 photos to Summer 2024",
        "Grandad added 1 photo and 1 video to Summer 2024",
        "2 new comments and 3 hearts on Summer 2024",
        "Grandad on Summer 2024: \"Great hat\"",
        "Switch this off in Pic-up's Settings, under Family cloud.",
    ] {
        assert!(text.contains(line), "{line:?} not in {text}");
    }
    assert!(!text.contains("Bob"), "{text}");
    assert!(!text.contains("Before you switched it on"), "{text}");
    let html = digest["html"].as_str().unwrap();
    assert!(
        html.contains("&lt;b&gt;Lovely&lt;/b&gt; &amp; &quot;sunny&quot;"),
        "{html}"
    );
    assert!(!html.contains("<b>Lovely"), "{html}");
    assert_eq!(
        digest["inline_images"], 4,
        "four of what the family added (three photos and a video)"
    );
    assert!(
        digest["message_id"]
            .as_str()
            .unwrap()
            .contains("family-digest-"),
        "{digest}"
    );

    // More within the day waits for the day to pass.
    grandma.heart(&first).await;
    drain(&worker).await;
    clock.advance(23 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 1, "not a second digest within a day");
    clock.advance(HOUR + Duration::from_secs(1));
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1]["subject"], "1 heart on Summer 2024");
    clock.advance(25 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 2, "no news, no e-mail");

    // The SMTP server down: the digest waits (never parked), and goes once when back.
    smtp.down();
    grandad.comment(&beach, "Which beach is this?").await;
    clock.advance(25 * HOUR);
    drain(&worker).await;
    for _ in 0..30 {
        clock.advance(20 * 60 * Duration::from_secs(1));
        drain(&worker).await;
    }
    assert_eq!(smtp.mails().len(), 2);
    let (waiting, dead) = server.backends.db.job_counts().await.unwrap();
    assert!(waiting >= 1 && dead == 0, "waiting {waiting}, dead {dead}");
    smtp.up();
    clock.advance(10 * 60 * Duration::from_secs(1));
    drain(&worker).await;
    clock.advance(HOUR);
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(mails[2]["subject"], "1 new comment on Summer 2024");
    clock.advance(25 * HOUR);
    drain(&worker).await;
    assert_eq!(smtp.mails().len(), 3, "sent once");

    // Switched off: nothing more. Bob switching his on changes nothing for Anna.
    let (status, switched) = switch(&anna, false).await;
    assert_eq!(
        (status, &switched["family_digest"]),
        (StatusCode::OK, &json!(false))
    );
    assert_eq!(switch(&bob, true).await.0, StatusCode::OK);
    assert!(!anna.me().await.family_digest);
    grandma.add(&real_photo(&work, 14)).await;
    at_bobs.comment(&bobs_photo, "What a garden").await;
    clock.advance(25 * HOUR);
    drain(&worker).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 4, "{mails:?}");
    assert_eq!(mails[3]["rcpt_tos"], json!(["bob@example.org"]));
    assert_eq!(mails[3]["subject"], "1 new comment on Bob's garden");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_e_mail_says_so() {
    let server = InProcess::start(None).await;
    let anna = server.account("anna@example.org", GB).await;
    let me = anna.me().await;
    assert!(!me.mail_available && !me.family_digest, "{me:?}");
    let (status, refused) = switch(&anna, true).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"], "mail_not_set_up");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("does not send e-mail"),
        "{refused}"
    );
    assert!(!anna.me().await.family_digest);
    assert_eq!(switch(&anna, false).await.0, StatusCode::OK);
    let openapi = anna.get("/v1/openapi.json").await;
    assert!(
        openapi.body["paths"]["/v1/me/family-digest"]["put"].is_object(),
        "the switch is documented"
    );
    server.stop().await;
}
