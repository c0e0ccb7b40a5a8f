//! One scripted story of the sync server, run against both installations it supports:
//! SQLite with the embedded S3 endpoint (one `serve --embedded`), and PostgreSQL with
//! SeaweedFS behind two `serve` replicas and two `worker` processes. Everything is real:
//! processes, SQL, S3 signatures, signed lengths and checksums.
//!
//! This file is long because it is one story told in order, its chapters building on the
//! accounts, albums and replicas the earlier ones left, so it reads as one file.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use futures::future::join_all;
use picup_server::Backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// The two stories share the machine's two cores; running them one after the other keeps
/// each one's timings (reservation expiry, worker polling) honest.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn story_on_sqlite_with_the_embedded_s3_endpoint() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    runtime().block_on(async { story(Stack::start(Kind::SqliteEmbedded).await).await });
}

#[test]
fn story_on_postgres_and_seaweedfs_with_two_replicas_and_two_workers() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    runtime().block_on(async { story(Stack::start(Kind::PostgresSeaweed).await).await });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

async fn story(mut stack: Stack) {
    accounts_from_the_command_line(&stack).await;
    let mum = stack.account("mum@example.org", "100MB", 0).await;
    albums_page_by_page(&mum).await;
    uploads_arrive_whole_and_once(&stack, &mum).await;
    large_originals_go_in_parts_and_resume(&stack, &mum).await;
    bad_input_gets_a_clear_answer(&stack, &mum).await;
    the_quota_holds_under_concurrency(&stack).await;
    cancelled_and_crashed_uploads_give_everything_back(&mut stack).await;
    emptying_a_big_album_from_the_trash_happens_in_the_background(&stack).await;
    fsck_finds_disagreements_and_the_worker_clears_orphans(&stack).await;
    operations_endpoints(&stack).await;
    repeated_wrong_passwords_are_slowed_down(&stack).await;
}

async fn accounts_from_the_command_line(stack: &Stack) {
    let made_up = stack.cli(&["user", "add", "Gran@Example.org", "--quota", "2GB"], None);
    assert!(made_up.status.success());
    let printed = String::from_utf8_lossy(&made_up.stdout);
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("password (shown only now): "))
        .expect("a made-up password is printed once")
        .to_owned();
    let mut gran = Client::new(&stack.servers[0].url);
    gran.sign_in("gran@example.org", &password).await;
    let me = gran.me().await;
    assert_eq!(
        (me.email.as_str(), me.quota_bytes),
        ("gran@example.org", 2_000_000_000)
    );

    let again = stack.cli(&["user", "add", "gran@example.org"], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let weak = stack.cli(
        &["user", "add", "x@example.org", "--password-stdin"],
        Some("short"),
    );
    assert!(!weak.status.success());

    let raised = stack.cli(&["user", "set-quota", "gran@example.org", "5GB"], None);
    assert!(raised.status.success());
    assert_eq!(gran.me().await.quota_bytes, 5_000_000_000);
    let listed = stack.cli(&["user", "list"], None);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("gran@example.org"));

    // Signing out ends the session on every replica.
    assert_eq!(
        gran.delete("/v1/sessions/current").await.status,
        StatusCode::NO_CONTENT
    );
    let last = stack.servers.len() - 1;
    let after = gran.on(&stack.servers[last].url).get("/v1/me").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthenticated");
}

async fn albums_page_by_page(mum: &Client) {
    for title in ["Holidays", "Birthdays", "Garden"] {
        mum.album(title).await;
    }
    let first = mum.get("/v1/albums?limit=2").await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    assert!(
        first.body["items"][0].get("cover").is_none(),
        "an empty album has no cover"
    );
    let cursor = first.body["next_cursor"].as_str().expect("a second page");
    let second = mum
        .get(&format!("/v1/albums?limit=2&cursor={cursor}"))
        .await;
    let mut titles: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["items"].as_array().unwrap())
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        ["Birthdays", "Garden", "Holidays"],
        "every album once, across pages"
    );
    assert!(second.body["next_cursor"].is_null());

    let id = first.body["items"][0]["id"].as_str().unwrap();
    let old_title = first.body["items"][0]["title"].as_str().unwrap();
    assert_ne!(old_title, "Summer 2024");
    let renamed = mum
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/albums/{id}"),
            Some(json!({"title": "  Summer 2024 "})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(
        mum.get(&format!("/v1/albums/{id}")).await.body["title"],
        "Summer 2024"
    );
}

async fn uploads_arrive_whole_and_once(stack: &Stack, mum: &Client) {
    let album = mum.album("Beach").await;
    let photos: Vec<Vec<u8>> = (0..3).map(|n| fake_photo(n, 50_000 + n as usize)).collect();
    let mut ids = Vec::new();
    for (i, photo) in photos.iter().enumerate() {
        // Alternate replicas: any replica may take any step.
        let client = mum.on(&stack.servers[i % stack.servers.len()].url);
        ids.push(client.upload(&album, photo).await);
    }
    let listed = mum.all_photos(&album, 2).await;
    assert_eq!(listed.len(), 3);
    let first = listed
        .iter()
        .find(|p| p["id"] == ids[0].as_str())
        .expect("listed");
    assert_eq!(first["size"], 50_000);
    assert_eq!(first["width"], 4000);
    assert_eq!(first["taken_at"], "2024-07-14T09:30:00Z");
    for (id, bytes) in ids.iter().zip(&photos) {
        let item = listed.iter().find(|p| p["id"] == id.as_str()).unwrap();
        assert_eq!(
            item["sha256"],
            sha256_hex(bytes),
            "a download can be checked"
        );
    }

    // The stored originals are the bytes that were sent.
    let backends = Backends::open(&stack.config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let rows = backends.db.all_photos().await.unwrap();
    for (id, bytes) in ids.iter().zip(&photos) {
        let row = rows
            .iter()
            .find(|r| &r.id == id)
            .expect("the photo is recorded");
        assert_eq!(row.sha256, sha256_hex(bytes));
        let stored = backends
            .store
            .get(&format!("{}/original", row.object_prefix))
            .await
            .unwrap();
        assert!(
            stored == *bytes,
            "the stored original differs from what was sent"
        );
    }
    backends.close().await;

    let me = mum.me().await;
    let expected: i64 = photos.iter().map(|p| p.len() as i64 + 300 + 900).sum();
    assert_eq!((me.used_bytes, me.reserved_bytes), (expected, 0));

    // The same content again, into another album: nothing is sent, nothing more counted.
    let other = mum.album("Best of").await;
    let again = mum.reserve(&other, &photos[0], &[("thumbnail", 300)]).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["deduplicated"], true);
    assert_eq!(again.body["photo_id"], ids[0].as_str());
    assert_eq!(mum.all_photos(&other, 10).await.len(), 1);
    assert_eq!(mum.me().await.used_bytes, expected);

    // Completing twice gives the same photo.
    let fresh = fake_photo(99, 1234);
    let ticket = mum.reserve(&album, &fresh, &[]).await;
    let target = &ticket.body["targets"][0];
    assert!(mum.put(target, fresh.clone()).await.is_success());
    let id = ticket.body["upload_id"].as_str().unwrap();
    let once = mum
        .post(&format!("/v1/uploads/{id}/complete"), json!({}))
        .await;
    let twice = mum
        .on(&stack.servers.last().unwrap().url)
        .post(&format!("/v1/uploads/{id}/complete"), json!({}))
        .await;
    assert_eq!(
        (once.status, twice.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(once.body["photo_id"], twice.body["photo_id"]);
    assert_eq!(mum.me().await.used_bytes, expected + 1234);

    // The album list counts the videos among the items, so a card says "4 photos and 1
    // video"; a video whose place is in the Trash is not counted.
    mum.upload_as(&album, &fake_video(98, b"isom"), None, "video/mp4")
        .await;
    let gone = fake_video(97, b"qt  ");
    let gone = mum.upload_as(&album, &gone, None, "video/quicktime").await;
    let trashed = mum
        .delete(&format!("/v1/albums/{album}/photos/{gone}"))
        .await;
    assert!(trashed.status.is_success(), "{:?}", trashed.body);
    let listed = mum.get("/v1/albums?limit=100").await;
    let beach = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == album.as_str())
        .expect("Beach is listed");
    assert_eq!(
        (&beach["photo_count"], &beach["video_count"]),
        (&json!(5), &json!(1))
    );
    assert_eq!(
        mum.get(&format!("/v1/albums/{album}")).await.body["video_count"],
        1
    );
}

/// A video as its first bytes show one, of the given brand (the server keeps the type
/// it sniffs, whatever the type declared).
fn fake_video(n: u32, brand: &[u8; 4]) -> Vec<u8> {
    [b"\0\0\0\x14ftyp".as_slice(), brand, &fake_photo(n, 3000)].concat()
}

/// A video over the threshold goes in parts: one part is sent, the client "restarts"
/// and asks (another replica) for fresh URLs, sends the rest, and completes with the
/// parts' ETags. The stored original is the bytes sent; wrong completions are refused.
async fn large_originals_go_in_parts_and_resume(stack: &Stack, mum: &Client) {
    let album = mum.album("Videos").await;
    let video = fake_photo(800, 12 << 20);
    let used_before = mum.me().await.used_bytes;
    let ticket = mum.reserve(&album, &video, &[]).await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let id = ticket.body["upload_id"].as_str().unwrap().to_owned();
    let parts: Vec<&Value> = ticket.body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["part"].is_object())
        .collect();
    let layout: Vec<(i64, i64, i64)> = parts
        .iter()
        .map(|t| {
            let p = &t["part"];
            (
                p["number"].as_i64().unwrap(),
                p["offset"].as_i64().unwrap(),
                p["length"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        layout,
        vec![
            (1, 0, 5 << 20),
            (2, 5 << 20, 5 << 20),
            (3, 10 << 20, 2 << 20)
        ]
    );
    let slice = |(_, offset, length): (i64, i64, i64)| {
        video[offset as usize..(offset + length) as usize].to_vec()
    };
    let (status, first_etag) = mum.put_for_etag(parts[0], slice(layout[0])).await;
    assert!(status.is_success() && !first_etag.is_empty(), "{status}");
    // A part longer than signed is refused (the store may hang up mid-body instead).
    let mut longer = slice(layout[1]);
    longer.push(0);
    let mut request = mum.http.put(parts[1]["url"].as_str().unwrap());
    for (name, value) in parts[1]["headers"].as_object().unwrap() {
        if name != "content-length" {
            request = request.header(name, value.as_str().unwrap());
        }
    }
    let accepted = request
        .body(longer)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    assert!(!accepted, "a longer part was stored");

    // "Restart": fresh URLs from the other replica; the space is held for longer.
    let other = mum.on(&stack.servers.last().unwrap().url);
    let fresh = other
        .post(&format!("/v1/uploads/{id}/targets"), json!({}))
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{:?}", fresh.body);
    let fresh_parts: Vec<Value> = fresh.body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["part"].is_object())
        .cloned()
        .collect();
    assert_eq!(fresh_parts.len(), 3);
    let mut etags = vec![first_etag];
    for (target, part) in fresh_parts.iter().zip(&layout).skip(1) {
        let (status, etag) = other.put_for_etag(target, slice(*part)).await;
        assert!(status.is_success(), "part {} answered {status}", part.0);
        etags.push(etag);
    }

    let complete = |parts: Value| {
        let id = id.clone();
        async move {
            mum.post(
                &format!("/v1/uploads/{id}/complete"),
                json!({ "parts": parts }),
            )
            .await
        }
    };
    let none = complete(json!([])).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "upload_incomplete")
    );
    let swapped = complete(json!([
        {"number": 2, "etag": etags[1]}, {"number": 1, "etag": etags[0]},
        {"number": 3, "etag": etags[2]},
    ]))
    .await;
    assert_eq!(swapped.status, StatusCode::UNPROCESSABLE_ENTITY);
    let in_order: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, etag)| json!({"number": i + 1, "etag": etag}))
        .collect();
    let done = complete(Value::Array(in_order.clone())).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    let again = complete(Value::Array(in_order)).await;
    assert_eq!(again.body["photo_id"], done.body["photo_id"]);

    let backends = Backends::open(&stack.config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let row = backends
        .db
        .all_photos()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == done.body["photo_id"].as_str().unwrap())
        .expect("recorded");
    let stored = backends
        .store
        .get(&format!("{}/original", row.object_prefix))
        .await
        .unwrap();
    assert!(stored == video, "the joined original is the bytes sent");
    backends.close().await;
    let me = mum.me().await;
    assert_eq!(
        (me.used_bytes - used_before, me.reserved_bytes),
        (12 << 20, 0)
    );

    // An upload in parts given up half-way gives its space back at once.
    let abandoned = fake_photo(801, 7 << 20);
    let ticket = mum.reserve(&album, &abandoned, &[]).await;
    let part = &ticket.body["targets"][0];
    assert!(
        mum.put(part, abandoned[..5 << 20].to_vec())
            .await
            .is_success()
    );
    let id = ticket.body["upload_id"].as_str().unwrap();
    assert_eq!(
        mum.delete(&format!("/v1/uploads/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(mum.me().await.reserved_bytes, 0);
}

async fn bad_input_gets_a_clear_answer(stack: &Stack, mum: &Client) {
    let album = mum.album("Bad input").await;
    let raw = |body: &'static str, content_type: &'static str| {
        let mum = mum.clone();
        async move {
            let response = mum
                .http
                .post(format!("{}/v1/uploads", mum.base))
                .bearer_auth(mum.token.as_ref().unwrap())
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.expect("errors are JSON");
            (
                status,
                body["error"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    assert_eq!(
        raw("{\"album_id\": ", "application/json").await,
        (StatusCode::BAD_REQUEST, "malformed_json".into())
    );
    assert_eq!(
        raw("{\"album_id\": 5}", "application/json").await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request".into())
    );
    assert_eq!(
        raw("{}", "text/plain").await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type".into()
        )
    );

    let upload = |fields: serde_json::Value| {
        let mut body = json!({"album_id": album, "sha256": "ab".repeat(32), "size": 10, "content_type": "image/jpeg"});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        mum.post("/v1/uploads", body)
    };
    for (fields, status, code) in [
        (
            json!({"size": -5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
        ),
        (
            json!({"size": i64::MAX}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
        ),
        (
            json!({"size": 1e30}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"size": "big"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"sha256": "not hex"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
        ),
        (
            json!({"content_type": "text/html"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_upload",
        ),
        (
            // Not one of the object names the wire knows (`picup_api::ObjectName`), so
            // the body has the wrong shape before any rule reads it.
            json!({"variants": [{"name": "../../x", "size": 3}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"album_id": "no-such-album"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let answer = upload(fields.clone()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{fields} → {:?}",
            answer.body
        );
        assert!(
            !answer.body["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }

    // Another family's things answer exactly like things that do not exist.
    let dad = stack.account("dad@example.org", "100MB", 0).await;
    let dads_album = dad.album("Dad's").await;
    let dads_ticket = dad.reserve(&dads_album, &fake_photo(500, 10), &[]).await;
    let dads_upload = dads_ticket.body["upload_id"].as_str().unwrap();
    for answer in [
        mum.get(&format!("/v1/albums/{dads_album}")).await,
        mum.get(&format!("/v1/albums/{dads_album}/photos")).await,
        mum.delete(&format!("/v1/albums/{dads_album}")).await,
        mum.reserve(&dads_album, &fake_photo(501, 10), &[]).await,
        mum.post(&format!("/v1/uploads/{dads_upload}/complete"), json!({}))
            .await,
        mum.delete(&format!("/v1/uploads/{dads_upload}")).await,
    ] {
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{:?}",
            answer.body
        );
    }
    assert_eq!(
        dad.get(&format!("/v1/albums/{dads_album}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        dad.delete(&format!("/v1/uploads/{dads_upload}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let huge_title = "x".repeat(100_000);
    let too_big = mum.post("/v1/albums", json!({"title": huge_title})).await;
    assert_eq!(
        (too_big.status, too_big.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large")
    );
    let stranger = Client::new(&mum.base);
    assert_eq!(
        stranger.get("/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let forged = Client {
        token: Some("pcu_forged".into()),
        ..stranger.clone()
    };
    assert_eq!(forged.get("/v1/albums").await.code(), "unauthenticated");
    assert_eq!(
        mum.get("/v1/albums?cursor=%%%").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(mum.get("/v1/albums?limit=0").await.code(), "invalid_limit");
    assert_eq!(
        mum.get("/v1/albums?limit=many").await.code(),
        "invalid_query"
    );
    assert_eq!(mum.get("/v1/nothing-here").await.code(), "not_found");
    assert_eq!(
        mum.send(reqwest::Method::PUT, "/v1/albums", None)
            .await
            .code(),
        "method_not_allowed"
    );

    // S3 itself refuses bytes that do not match what was reserved, and completing an
    // upload whose objects are missing or short records nothing.
    let photo = fake_photo(600, 20_000);
    let ticket = mum.reserve(&album, &photo, &[("thumbnail", 100)]).await;
    let targets = ticket.body["targets"].as_array().unwrap();
    let upload_id = ticket.body["upload_id"].as_str().unwrap();
    let longer = [photo.clone(), vec![0; 10]].concat();
    assert!(
        !mum.put(&targets[0], longer).await.is_success(),
        "a longer body than signed is refused"
    );
    let mut tampered = photo.clone();
    tampered[0] ^= 0xff;
    let tampered_put = mum.put(&targets[0], tampered).await;
    assert!(
        !tampered_put.is_success(),
        "bytes that do not match the SHA-256 are refused ({tampered_put})"
    );
    let early = mum
        .post(&format!("/v1/uploads/{upload_id}/complete"), json!({}))
        .await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "upload_incomplete")
    );
    assert!(mum.put(&targets[0], photo.clone()).await.is_success());
    let missing_thumbnail = mum
        .post(&format!("/v1/uploads/{upload_id}/complete"), json!({}))
        .await;
    assert_eq!(missing_thumbnail.code(), "upload_incomplete");
    assert!(
        missing_thumbnail.body["message"]
            .as_str()
            .unwrap()
            .contains("thumbnail")
    );
    assert!(
        mum.put(&targets[1], fake_photo(601, 100))
            .await
            .is_success()
    );
    let done = mum
        .post(&format!("/v1/uploads/{upload_id}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
}

async fn the_quota_holds_under_concurrency(stack: &Stack) {
    let aunt = stack.account("aunt@example.org", "10MB", 0).await;
    let album = aunt.album("Wedding").await;
    let replicas: Vec<Client> = stack.servers.iter().map(|s| aunt.on(&s.url)).collect();
    let watching = {
        let aunt = aunt.clone();
        tokio::spawn(async move {
            let mut highest = 0;
            for _ in 0..40 {
                let me = aunt.me().await;
                highest = highest.max(me.used_bytes + me.reserved_bytes);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            highest
        })
    };
    let attempts = (0..100u32).map(|n| {
        let client = replicas[n as usize % replicas.len()].clone();
        let album = album.clone();
        async move {
            client
                .reserve(&album, &fake_photo(10_000 + n, 1_000_000), &[])
                .await
        }
    });
    let answers = join_all(attempts).await;
    let granted: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::PAYLOAD_TOO_LARGE && a.code() == "quota_exceeded")
        .count();
    assert_eq!(
        (granted.len(), refused),
        (10, 90),
        "exactly the quota's worth is granted"
    );
    let me = aunt.me().await;
    assert_eq!((me.used_bytes, me.reserved_bytes), (0, 10_000_000));
    assert!(
        watching.await.unwrap() <= 10_000_000,
        "used + reserved never passed the quota"
    );
    for ticket in granted {
        let id = ticket.body["upload_id"].as_str().unwrap();
        assert_eq!(
            aunt.delete(&format!("/v1/uploads/{id}")).await.status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        aunt.me().await.reserved_bytes,
        0,
        "cancelling gives the space back at once"
    );
    let mut rejected = 0.0;
    for server in &stack.servers {
        let text = metrics_text(&server.url).await;
        rejected += metric(&text, "picup_quota_rejections_total");
        assert!(
            text.contains(
                r#"picup_http_requests_total{method="POST",route="/v1/uploads",status="413"}"#
            ),
            "{text}"
        );
    }
    assert_eq!(rejected, 90.0, "every quota rejection is counted");
}

async fn cancelled_and_crashed_uploads_give_everything_back(stack: &mut Stack) {
    let mut cousin = stack.account("cousin@example.org", "50MB", 0).await;
    let album = cousin.album("Trip").await;

    // Cancelled after the original arrived: space back now, objects gone soon.
    let photo = fake_photo(700, 30_000);
    let ticket = cousin.reserve(&album, &photo, &[]).await;
    assert!(
        cousin
            .put(&ticket.body["targets"][0], photo.clone())
            .await
            .is_success()
    );
    let cancelled = ticket.body["upload_id"].as_str().unwrap().to_owned();
    assert_eq!(
        cousin
            .delete(&format!("/v1/uploads/{cancelled}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(cousin.me().await.reserved_bytes, 0);
    let late = cousin
        .post(&format!("/v1/uploads/{cancelled}/complete"), json!({}))
        .await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::GONE, "upload_gone")
    );

    // The server is killed between the PUTs and the completion.
    let photo = fake_photo(701, 40_000);
    let ticket = cousin.reserve(&album, &photo, &[("preview", 500)]).await;
    for target in ticket.body["targets"].as_array().unwrap() {
        let bytes = if target["name"] == "original" {
            photo.clone()
        } else {
            vec![2; 500]
        };
        assert!(cousin.put(target, bytes).await.is_success());
    }
    let crashed = ticket.body["upload_id"].as_str().unwrap().to_owned();
    assert_eq!(cousin.me().await.reserved_bytes, 40_500);
    stack.servers[0].kill_9();
    if stack.kind == Kind::SqliteEmbedded {
        stack.start_embedded_server();
        cousin.base = stack.servers[0].url.clone();
    } else {
        cousin.base = stack.servers[1].url.clone();
    }
    // Nobody completes it; when its time runs out the worker releases it.
    eventually_async(
        "the crashed upload's reservation to be released",
        Duration::from_secs(40),
        || {
            let cousin = cousin.clone();
            async move { Ok((cousin.me().await.reserved_bytes == 0).then_some(())) }
        },
    )
    .await
    .unwrap();
    let late = cousin
        .post(&format!("/v1/uploads/{crashed}/complete"), json!({}))
        .await;
    assert_eq!(late.code(), "upload_gone");
    let backends = Backends::open(&stack.config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    eventually_async(
        "the abandoned objects to be deleted",
        Duration::from_secs(30),
        || {
            let store = backends.store.clone();
            let (a, b) = (cancelled.clone(), crashed.clone());
            async move {
                let gone = store.head(&format!("{a}/original")).await?.is_none()
                    && store.head(&format!("{b}/original")).await?.is_none()
                    && store.head(&format!("{b}/preview")).await?.is_none();
                Ok(gone.then_some(()))
            }
        },
    )
    .await
    .unwrap();
    backends.close().await;
    assert_eq!(cousin.me().await.used_bytes, 0);
    if stack.kind == Kind::PostgresSeaweed {
        // Bring the killed replica back for the rest of the story.
        stack.servers[0] = stack.server.serve("serve-0-again").unwrap();
    }
}

async fn emptying_a_big_album_from_the_trash_happens_in_the_background(stack: &Stack) {
    let uncle = stack.account("uncle@example.org", "1GB", 0).await;
    let big = uncle.album("Five hundred").await;
    let keep = uncle.album("Favourites").await;
    let replicas: Vec<Client> = stack.servers.iter().map(|s| uncle.on(&s.url)).collect();
    let mut photo_ids = Vec::new();
    for batch in (0..500u32).collect::<Vec<_>>().chunks(25) {
        let uploads = batch.iter().map(|&n| {
            let client = replicas[n as usize % replicas.len()].clone();
            let big = big.clone();
            async move { client.upload(&big, &fake_photo(20_000 + n, 2_000)).await }
        });
        photo_ids.extend(join_all(uploads).await);
    }
    // One of them is also a favourite: it must survive the album's deletion.
    let favourite = uncle.reserve(&keep, &fake_photo(20_000, 2_000), &[]).await;
    assert_eq!(favourite.body["deduplicated"], true);
    let per_photo = 2_000 + 300 + 900;
    assert_eq!(uncle.me().await.used_bytes, 500 * per_photo);

    let deleted = uncle.delete(&format!("/v1/albums/{big}")).await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED);
    assert_eq!(
        uncle.get(&format!("/v1/albums/{big}")).await.status,
        StatusCode::NOT_FOUND
    );
    // In the Trash it is still stored and counted; emptying it is what lets it go.
    let in_trash = uncle.get("/v1/trash").await;
    assert_eq!(in_trash.body["albums"][0]["photo_count"], 500);
    assert_eq!(in_trash.body["bytes"], 499 * per_photo);
    let emptied = uncle.send(reqwest::Method::DELETE, "/v1/trash", None).await;
    assert_eq!(emptied.status, StatusCode::OK, "{:?}", emptied.body);
    assert_eq!(emptied.body["albums"], 1);
    assert_eq!(emptied.body["bytes"], 499 * per_photo);
    eventually_async(
        "the workers to remove 499 photos",
        Duration::from_secs(90),
        || {
            let uncle = uncle.clone();
            async move { Ok((uncle.me().await.used_bytes == per_photo).then_some(())) }
        },
    )
    .await
    .unwrap();
    let left = uncle.all_photos(&keep, 100).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], photo_ids[0].as_str());
    let (agrees, report) = stack.fsck();
    assert!(
        agrees,
        "after the deletion the bucket and the counters agree:\n{report}"
    );
}

async fn fsck_finds_disagreements_and_the_worker_clears_orphans(stack: &Stack) {
    let backends = Backends::open(&stack.config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // An object nothing accounts for, as a crashed client or a bug would leave it.
    let stray = format!("{}/original", picup_server::ids::random_id());
    let url = backends
        .store
        .presign_put(&stray, 5, "image/jpeg", None, Duration::from_secs(60))
        .await
        .unwrap();
    let mut put = reqwest::Client::new()
        .put(&url.url)
        .body(vec![1, 2, 3, 4, 5]);
    for (name, value) in &url.headers {
        if name != "content-length" {
            put = put.header(name, value);
        }
    }
    assert!(put.send().await.unwrap().status().is_success());
    let (agrees, report) = stack.fsck();
    assert!(
        !agrees && report.contains(&stray),
        "fsck reports the stray object:\n{report}"
    );

    // A counter that disagrees with the rows is reported, and --repair recounts it.
    let pool = sqlx_pool(&stack.config()).await;
    sqlx::query("UPDATE users SET used_bytes = used_bytes + 7 WHERE email = 'mum@example.org'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, report) = stack.fsck();
    assert!(
        report.contains("mum@example.org: used_bytes is"),
        "{report}"
    );
    let repaired = stack.cli(&["fsck", "--repair"], None);
    assert!(String::from_utf8_lossy(&repaired.stdout).contains("recounted"));

    eventually_async(
        "the worker to remove the stray object",
        Duration::from_secs(30),
        || {
            let store = backends.store.clone();
            let stray = stray.clone();
            async move { Ok(store.head(&stray).await?.is_none().then_some(())) }
        },
    )
    .await
    .unwrap();
    let (agrees, report) = stack.fsck();
    assert!(agrees, "{report}");
    pool.close().await;
    backends.close().await;
}

async fn sqlx_pool(config: &picup_server::config::Config) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&config.database_url().unwrap())
        .await
        .unwrap()
}

async fn operations_endpoints(stack: &Stack) {
    let anyone = Client::new(&stack.servers[0].url);
    assert_eq!(anyone.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(anyone.get("/readyz").await.status, StatusCode::OK);
    let openapi = anyone.get("/v1/openapi.json").await;
    for path in [
        "/v1/uploads",
        "/v1/uploads/{id}/complete",
        "/v1/albums/{id}/photos",
        "/v1/albums/{id}/photos/{photo_id}",
        "/v1/trash",
        "/v1/trash/restore",
        "/v1/sessions",
    ] {
        assert!(
            openapi.body["paths"].get(path).is_some(),
            "{path} is documented"
        );
    }
    for server in &stack.servers {
        let text = metrics_text(&server.url).await;
        assert!(
            text.contains("picup_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(text.contains("picup_dead_jobs 0"), "{text}");
        assert!(text.contains("picup_job_queue_depth"), "{text}");
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

async fn repeated_wrong_passwords_are_slowed_down(stack: &Stack) {
    let guesser = Client::new(&stack.servers[0].url);
    let attempt = |password: &'static str| {
        guesser.post(
            "/v1/sessions",
            json!({"email": "mum@example.org", "password": password, "device_name": "x"}),
        )
    };
    for _ in 0..5 {
        let answer = attempt("wrong password!").await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNAUTHORIZED, "wrong_credentials")
        );
    }
    let blocked = attempt(PASSWORD).await;
    assert_eq!(
        (blocked.status, blocked.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    let unknown = guesser
        .post(
            "/v1/sessions",
            json!({"email": "nobody@example.org", "password": "x", "device_name": "x"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);
}
