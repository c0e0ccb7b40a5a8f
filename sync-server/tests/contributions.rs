//! The family adds photos through an album link (issue 18, the server's part), on SQLite
//! with the embedded S3 endpoint and on PostgreSQL with SeaweedFS, the server in this
//! process so the test drives the workers. What a grandmother's phone does: ask for room
//! under the link, send the bytes straight to the store, say it is done; then the worker
//! makes the thumbnail and preview, upright, and the photo shows "added by" her name.
//! And what must not happen: adding through a link that does not allow it, anything that
//! is not a photo or video, more than the owner's space or the link's daily share, the
//! same picture made twice by two workers, or another link's upload finished.

mod support;

use std::sync::Arc;

use picup_server::metrics::Metrics;
use picup_server::worker::{Worker, WorkerSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

const GB: i64 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_adds_photos_on_sqlite_and_the_embedded_s3_endpoint() {
    let server = InProcess::start_with(None, |config| {
        config.contribution_items_per_day = 6;
    })
    .await;
    the_family_adds(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_adds_photos_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    let server = InProcess::on_postgres_and_seaweed_with(&postgres, &seaweed, |config| {
        config.contribution_items_per_day = 6;
    })
    .await;
    the_family_adds(server).await;
}

async fn the_family_adds(server: InProcess) {
    let work = tempfile::tempdir().unwrap();
    let photo = upright_photo(&work.path().join("turned.jpg"));
    let video = picup_testkit::fixtures::Video::new(64, 48)
        .write(&work.path().join("clip.mp4"))
        .unwrap();

    let owner = server.account("anna@example.org", GB).await;
    let album = owner.album("Birthday").await;
    let adding = share(&owner, &album, true).await;
    let looking = share(&owner, &album, false).await;
    let family = Client::new(&server.url);
    let used_before = owner.me().await.used_bytes;

    // A photo turned by its EXIF orientation, and a video, added by Grandma.
    let name = "Grandma <b>Oma</b>";
    let photo_id = add(&family, &adding, name, &photo, "image/jpeg").await;
    let video_id = add(&family, &adding, name, &video, "video/mp4").await;
    let page = shared(&family, &adding).await;
    assert_eq!(page["allow_add"], true);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    for item in items {
        assert_eq!(item["added_by"], name, "plain text, as typed");
        assert!(item["urls"]["thumbnail"].is_null(), "not made yet: {item}");
    }
    assert_eq!(
        owner.me().await.used_bytes,
        used_before + (photo.len() + video.len()) as i64,
        "the owner's space holds the originals"
    );

    // Two workers at once: each picture is made once.
    let (first, second) = (worker(&server), worker(&server));
    let (a, b) = tokio::join!(first.run_until_idle(), second.run_until_idle());
    let made = a.unwrap().jobs_done + b.unwrap().jobs_done;
    assert_eq!(
        made, 3,
        "one derive job per item, and the video looked at once for browsers"
    );
    let page = shared(&family, &adding).await;
    let by_id = |id: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == id)
            .cloned()
            .unwrap()
    };
    let turned = by_id(&photo_id);
    assert_eq!(
        (turned["width"].as_i64(), turned["height"].as_i64()),
        (Some(32), Some(64)),
        "upright: EXIF orientation 6 turns 64 × 32 to stand: {turned}"
    );
    let clip = by_id(&video_id);
    assert_eq!(
        (clip["width"].as_i64(), clip["height"].as_i64()),
        (Some(64), Some(48))
    );
    let mut derived_bytes = 0;
    for item in [&turned, &clip] {
        for which in ["thumbnail", "preview"] {
            let url = item["urls"][which]
                .as_str()
                .unwrap_or_else(|| panic!("{which}: {item}"));
            let bytes = family
                .http
                .get(url)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{which} is a JPEG");
            derived_bytes += bytes.len() as i64;
        }
    }
    assert_eq!(
        owner.me().await.used_bytes,
        used_before + (photo.len() + video.len()) as i64 + derived_bytes,
        "the made pictures count too, once"
    );

    // Bytes that look like a JPEG but do not decode: kept (they are what was sent), the
    // job done at once rather than retried until parked, and no pictures made up.
    let broken = add(&family, &adding, name, &photo_bytes(3), "image/jpeg").await;
    let round = worker(&server).run_until_idle().await.unwrap();
    assert_eq!((round.jobs_done, round.jobs_failed), (1, 0), "{round:?}");
    let page = shared(&family, &adding).await;
    let item = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == broken.as_str())
        .cloned()
        .unwrap();
    assert!(item["urls"]["thumbnail"].is_null(), "{item}");

    // The owner sees who added them.
    let mine = owner.all_photos(&album, 100).await;
    assert!(mine.iter().all(|p| p["added_by"] == name), "{mine:?}");

    // Not through a link that only shows.
    let refused = family
        .post(
            &format!("/s/{looking}/uploads"),
            contribution(name, &photo, "image/jpeg"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.code(), "adding_not_allowed");

    // Not without a name, nor with one that hides text.
    for bad in ["", "  ", "Oma\u{202E}gnp.exe", &"x".repeat(61)] {
        let answer = family
            .post(
                &format!("/s/{adding}/uploads"),
                contribution(bad, &photo, "image/jpeg"),
            )
            .await;
        assert_eq!(answer.code(), "invalid_name", "{bad:?}: {:?}", answer.body);
    }

    // Not a page named like a photo: refused when its bytes are looked at; nothing kept.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let before = owner.me().await;
    let ticket = family
        .post(
            &format!("/s/{adding}/uploads"),
            contribution(name, &html, "image/jpeg"),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let upload = ticket.body["upload_id"].as_str().unwrap().to_owned();
    assert_eq!(
        family.put(&ticket.body["targets"][0], html.clone()).await,
        StatusCode::OK
    );
    let done = family
        .post(&format!("/s/{adding}/uploads/{upload}/complete"), json!({}))
        .await;
    assert_eq!(done.code(), "unsupported_media", "{:?}", done.body);
    let after = owner.me().await;
    assert_eq!(
        (after.used_bytes, after.reserved_bytes),
        (before.used_bytes, before.reserved_bytes),
        "nothing stored, the space given back"
    );
    // An SVG is refused before anything is sent.
    let svg = family
        .post(
            &format!("/s/{adding}/uploads"),
            contribution(
                name,
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                "image/svg+xml",
            ),
        )
        .await;
    assert!(svg.status.is_client_error(), "{:?}", svg.body);

    // Another link's upload cannot be finished through this one.
    let other = share(&owner, &album, true).await;
    let theirs = family
        .post(
            &format!("/s/{other}/uploads"),
            contribution(name, &photo_bytes(7), "image/jpeg"),
        )
        .await;
    let theirs = theirs.body["upload_id"].as_str().unwrap().to_owned();
    let crossed = family
        .post(&format!("/s/{adding}/uploads/{theirs}/complete"), json!({}))
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND, "{:?}", crossed.body);

    // The link's share of the day: six reservations, then "tomorrow".
    let mut answer = None;
    for n in 0..4 {
        let next = family
            .post(
                &format!("/s/{adding}/uploads"),
                contribution(name, &photo_bytes(100 + n), "image/jpeg"),
            )
            .await;
        answer = Some(next);
    }
    let limited = answer.unwrap();
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        limited.body
    );
    assert!(
        limited.body["message"]
            .as_str()
            .unwrap()
            .contains("tomorrow")
    );

    // The owner's space full: said in words for the family, nothing half-stored.
    let small = server.account("ben@example.org", 1000).await;
    let small_album = small.album("Garden").await;
    let small_link = share(&small, &small_album, true).await;
    let full = family
        .post(
            &format!("/s/{small_link}/uploads"),
            contribution(name, &photo, "image/jpeg"),
        )
        .await;
    assert_eq!(
        full.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{:?}",
        full.body
    );
    assert!(
        full.body["message"]
            .as_str()
            .unwrap()
            .contains("This album is full right now"),
        "{:?}",
        full.body
    );
    assert_eq!(small.me().await.reserved_bytes, 0);

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_turns_adding_off_and_on_on_sqlite_and_the_embedded_s3_endpoint() {
    adding_turned_off_and_on(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_turns_adding_off_and_on_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    adding_turned_off_and_on(InProcess::on_postgres_and_seaweed(&postgres, &seaweed).await).await;
}

/// `PATCH /v1/shares/{id}`: the owner turns adding on for a link already sent (same
/// address), off again (the family's page still shows, adding is refused), and nobody
/// else can.
async fn adding_turned_off_and_on(server: InProcess) {
    let owner = server.account("anna@example.org", GB).await;
    let stranger = server.account("eve@example.org", GB).await;
    let album = owner.album("Birthday").await;
    let family = Client::new(&server.url);
    let made = owner
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    assert_eq!(
        made.body["allow_add"], false,
        "off unless asked: {:?}",
        made.body
    );
    let id = made.body["id"].as_str().unwrap().to_owned();
    let token = made.body["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let patch = |who: &Client, id: &str, body: Value| {
        let (who, path) = (who.clone(), format!("/v1/shares/{id}"));
        async move { who.send(reqwest::Method::PATCH, &path, Some(body)).await }
    };
    let try_adding = |n: u32| {
        let (family, path) = (family.clone(), format!("/s/{token}/uploads"));
        async move {
            family
                .post(&path, contribution("Oma", &photo_bytes(n), "image/jpeg"))
                .await
                .status
        }
    };
    assert_eq!(try_adding(1).await, StatusCode::FORBIDDEN);

    // On: the same link now takes what the family adds.
    let on = patch(&owner, &id, json!({"allow_add": true})).await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    assert_eq!(
        (on.body["id"].as_str(), on.body["allow_add"].as_bool()),
        (Some(&*id), Some(true))
    );
    assert!(
        on.body.get("url").is_none(),
        "the address is only shown once: {:?}",
        on.body
    );
    assert_eq!(try_adding(2).await, StatusCode::CREATED);
    let listed = owner.get(&format!("/v1/albums/{album}/shares")).await;
    assert_eq!(
        listed.body["items"][0]["allow_add"], true,
        "{:?}",
        listed.body
    );

    // Off: refused in words, while the page and its photos still show.
    let off = patch(&owner, &id, json!({"allow_add": false})).await;
    assert_eq!(
        (off.status, off.body["allow_add"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let refused = family
        .post(
            &format!("/s/{token}/uploads"),
            contribution("Oma", &photo_bytes(3), "image/jpeg"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.code(), "adding_not_allowed");
    let page = family
        .http
        .get(format!("{}/s/{token}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let shown = shared(&family, &token).await;
    assert_eq!(shown["allow_add"], false, "{shown}");

    // On again: works again.
    patch(&owner, &id, json!({"allow_add": true})).await;
    assert_eq!(try_adding(4).await, StatusCode::CREATED);

    // Another family's link is unknown to them; bodies of the wrong shape are refused.
    let theirs = patch(&stranger, &id, json!({"allow_add": false})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{:?}", theirs.body);
    assert_eq!(
        try_adding(5).await,
        StatusCode::CREATED,
        "unchanged by the stranger"
    );
    let unknown = patch(&owner, "no-such-link", json!({"allow_add": true})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let garbled = owner
        .http
        .patch(format!("{}/v1/shares/{id}", server.url))
        .bearer_auth(owner.token.as_deref().unwrap())
        .header("content-type", "application/json")
        .body("{allow_add: yes")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
    for wrong in [json!({}), json!({"allow_add": "yes"})] {
        let answer = patch(&owner, &id, wrong.clone()).await;
        assert!(
            answer.status.is_client_error(),
            "{wrong}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), "invalid_request", "{wrong}");
    }

    // A link turned off stays off: it cannot be changed, and the family gets 410.
    assert_eq!(
        owner.delete(&format!("/v1/shares/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let revoked = patch(&owner, &id, json!({"allow_add": true})).await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND, "{:?}", revoked.body);
    assert_eq!(try_adding(6).await, StatusCode::GONE);

    server.stop().await;
}

/// A 64 × 32 JPEG (ffmpeg's test picture) with EXIF orientation 6: to be shown turned a
/// quarter clockwise, standing 32 × 64.
fn upright_photo(path: &std::path::Path) -> Vec<u8> {
    let jpeg = picup_testkit::fixtures::still("testsrc=size=64x32", path).unwrap();
    with_orientation(&jpeg, 6)
}

/// `jpeg` with an EXIF block holding only the Orientation tag, right after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn photo_bytes(n: u32) -> Vec<u8> {
    fake_photo(n, 2000)
}

fn contribution(name: &str, bytes: &[u8], content_type: &str) -> Value {
    json!({
        "name": name,
        "sha256": sha256_hex(bytes),
        "size": bytes.len(),
        "content_type": content_type,
        "file_name": "IMG_0001.jpg",
    })
}

/// A link to `album`; returns its token.
async fn share(owner: &Client, album: &str, allow_add: bool) -> String {
    let answer = owner
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"allow_add": allow_add}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.body["allow_add"], allow_add);
    let url = answer.body["url"].as_str().unwrap();
    url.rsplit('/').next().unwrap().to_owned()
}

/// The whole addition as the family page does it; returns the photo id.
async fn add(family: &Client, token: &str, name: &str, bytes: &[u8], content_type: &str) -> String {
    let ticket = family
        .post(
            &format!("/s/{token}/uploads"),
            contribution(name, bytes, content_type),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let targets = ticket.body["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "only the original: {targets:?}");
    assert_eq!(
        family.put(&targets[0], bytes.to_vec()).await,
        StatusCode::OK
    );
    let upload = ticket.body["upload_id"].as_str().unwrap();
    let done = family
        .post(&format!("/s/{token}/uploads/{upload}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    done.body["photo_id"].as_str().unwrap().to_owned()
}

async fn shared(family: &Client, token: &str) -> Value {
    let answer = family.get(&format!("/s/{token}/photos")).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

fn worker(server: &InProcess) -> Worker {
    Worker::new(
        server.backends.db.clone(),
        server.backends.store.clone(),
        WorkerSettings::from_config(&server.config),
        Arc::new(Metrics::new()),
    )
    .with_clock(server.backends.clock.clone())
}
