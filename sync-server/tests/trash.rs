//! The Trash (issue 17), on SQLite with the embedded S3 endpoint and on PostgreSQL with
//! SeaweedFS, the server in this process so the test moves its clock instead of
//! waiting 30 days. What a family would notice: a removed album or photo is gone from
//! every list and share link but comes back as it was; nothing is erased, and no space
//! given back, until the Trash is emptied or 30 days have passed and the worker has
//! erased the objects; a photo still shown elsewhere survives; nobody else can touch
//! your Trash; and the same photo sent again is "already stored".
//!
//! This file is long because it is one story per installation told in chapters, each
//! with an account of its own, and the retention chapter last since it moves the clock
//! a month for everyone.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use picup_api as api;
use picup_server::metrics::Metrics;
use picup_server::store::{ObjectStore, StoreSettings};
use picup_server::worker::{Worker, WorkerSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;

const GB: i64 = 1_000_000_000;
/// What `Client::upload` stores for an original of `size` bytes: it, a 300-byte
/// thumbnail and a 900-byte preview.
fn stored(size: i64) -> i64 {
    size + 300 + 900
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trash_on_sqlite_and_the_embedded_s3_endpoint() {
    the_trash(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trash_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    the_trash(InProcess::on_postgres_and_seaweed(&postgres, &seaweed).await).await;
}

async fn the_trash(server: InProcess) {
    an_album_goes_to_the_trash_and_comes_back_as_it_was(&server).await;
    photos_leave_albums_and_come_back(&server).await;
    emptying_frees_only_what_no_album_shows(&server).await;
    what_is_emptied_is_what_was_named(&server).await;
    sent_again_it_is_already_stored(&server).await;
    nobody_else_can_touch_your_trash(&server).await;
    bad_requests_get_clear_answers(&server).await;
    after_thirty_days_the_worker_erases_it(&server).await;
    fsck_reports_what_nothing_holds(&server).await;
    server.stop().await;
}

async fn trash(client: &Client) -> api::Trash {
    let answer = client.get("/v1/trash").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    serde_json::from_value(answer.body).unwrap()
}

async fn restore(client: &Client, items: Value) -> Answer {
    client.post("/v1/trash/restore", items).await
}

/// `DELETE /v1/trash`, with the items named or (None) without a body.
async fn empty(client: &Client, items: Option<Value>) -> Answer {
    client.send(Method::DELETE, "/v1/trash", items).await
}

fn done(answer: &Answer) -> api::TrashDone {
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    serde_json::from_value(answer.body.clone()).unwrap()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn album_ids(client: &Client) -> Vec<String> {
    let page = client.get("/v1/albums?limit=500").await;
    ids(page.body["items"].as_array().unwrap())
}

/// (kind, album, photo) of every change in the account's feed.
async fn feed(client: &Client) -> Vec<Change> {
    let page = client.get("/v1/changes?limit=500").await;
    assert_eq!(page.body["more"], false);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().map(str::to_owned);
            (text("kind").unwrap(), text("album_id"), text("photo_id"))
        })
        .collect()
}

type Change = (String, Option<String>, Option<String>);

fn album_change(kind: &str, album: &str) -> Change {
    (kind.into(), Some(album.into()), None)
}

fn photo_change(kind: &str, album: &str, photo: &str) -> Change {
    (kind.into(), Some(album.into()), Some(photo.into()))
}

/// How many objects the store holds under the photo's prefix.
async fn objects_of(server: &InProcess, prefix: &str) -> usize {
    let all = server.backends.store.list_all().await.unwrap();
    all.iter()
        .filter(|o| o.key.starts_with(&format!("{prefix}/")))
        .count()
}

async fn prefix_of(server: &InProcess, photo: &str) -> String {
    server
        .backends
        .db
        .photo_prefix(photo)
        .await
        .unwrap()
        .unwrap()
}

/// A worker of this server's, deciding by its clock, deleting through `store`.
fn worker(server: &InProcess, store: ObjectStore) -> Worker {
    let settings = WorkerSettings::from_config(&server.config);
    Worker::new(
        server.backends.db.clone(),
        store,
        settings,
        Arc::new(Metrics::new()),
    )
    .with_clock(server.backends.clock.clone())
}

async fn run_worker(server: &InProcess) -> picup_server::worker::Round {
    let worker = worker(server, server.backends.store.clone());
    worker.run_until_idle().await.unwrap()
}

/// The same store with a wrong secret: every delete fails.
fn broken_store(server: &InProcess) -> ObjectStore {
    let mut settings = match &server.backends.embedded_s3 {
        Some(s3) => StoreSettings {
            endpoint: Some(s3.endpoint.clone()),
            public_endpoint: None,
            region: server.config.s3_region.clone(),
            bucket: server.config.s3_bucket.clone(),
            access_key_id: s3.access_key_id.clone(),
            secret_access_key: String::new(),
            path_style: true,
            checksums: true,
        },
        None => StoreSettings::from_config(&server.config),
    };
    settings.secret_access_key = "not the secret".into();
    ObjectStore::new(&settings)
}

async fn fsck_agrees(server: &InProcess, when: &str) {
    let report = picup_server::fsck::check(&server.backends.db, &server.backends.store)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{when}: {:?}", report.problems);
}

async fn an_album_goes_to_the_trash_and_comes_back_as_it_was(server: &InProcess) {
    let mum = server.account("mum@example.org", GB).await;
    let wedding = mum.album("Wedding").await;
    let mut photos = Vec::new();
    for n in 0..3 {
        photos.push(mum.upload(&wedding, &fake_photo(100 + n, 4_000)).await);
    }
    let order = ids(&mum.all_photos(&wedding, 2).await);
    let listed = mum.get(&format!("/v1/albums/{wedding}")).await.body;
    assert_eq!(listed["photo_count"], 3);
    let link = mum
        .post(&format!("/v1/albums/{wedding}/shares"), json!({}))
        .await;
    let link = link.body["url"].as_str().unwrap().to_owned();
    let family = reqwest::Client::new();
    let opens = |path: &'static str| {
        let (family, url) = (family.clone(), format!("{link}{path}"));
        async move { family.get(url).send().await.unwrap() }
    };
    assert_eq!(opens("/photos").await.status(), StatusCode::OK);
    let used = mum.me().await.used_bytes;

    let removed = mum.delete(&format!("/v1/albums/{wedding}")).await;
    assert_eq!(removed.status, StatusCode::ACCEPTED, "{:?}", removed.body);
    assert!(!album_ids(&mum).await.contains(&wedding));
    let album_path = format!("/v1/albums/{wedding}");
    for answer in [
        mum.get(&album_path).await,
        mum.get(&format!("{album_path}/photos")).await,
        mum.send(Method::PATCH, &album_path, Some(json!({"title": "x"})))
            .await,
        mum.get(&format!("{album_path}/shares")).await,
        mum.post(&format!("{album_path}/shares"), json!({})).await,
        mum.reserve(&wedding, &fake_photo(199, 10), &[]).await,
        mum.delete(&album_path).await,
        mum.delete(&format!("{album_path}/photos/{}", photos[0]))
            .await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{:?}", answer.body);
        assert_eq!(answer.code(), "not_found");
    }
    // The family's link answers like a link turned off, page, photos and download alike.
    let page = opens("").await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This link has stopped working")
    );
    let listing = opens("/photos").await;
    assert_eq!(listing.status(), StatusCode::GONE);
    let listing: Value = listing.json().await.unwrap();
    assert_eq!(listing["error"], "link_closed");
    assert_eq!(opens("/download").await.status(), StatusCode::GONE);

    let now = server.backends.clock.now_ms();
    let in_trash = trash(&mum).await;
    assert_eq!(in_trash.albums.len(), 1);
    let album = &in_trash.albums[0];
    assert_eq!(
        (album.id.as_str(), album.title.as_str()),
        (wedding.as_str(), "Wedding")
    );
    assert_eq!(album.photo_count, 3);
    let cover = album.cover.as_ref().expect("a cover");
    assert_eq!(
        Some(&cover.photo_id),
        listed["cover"]["photo_id"]
            .as_str()
            .map(str::to_owned)
            .as_ref()
    );
    assert!(
        cover.thumbnail.as_deref().unwrap().contains("Signature="),
        "signed like the album list"
    );
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    };
    assert!(
        (at(&album.trashed_at) - now).abs() < 5_000,
        "{}",
        album.trashed_at
    );
    assert_eq!(at(&album.purge_at) - at(&album.trashed_at), 30 * 86_400_000);
    assert!(in_trash.photos.is_empty() && !in_trash.more_photos);
    assert_eq!(
        (in_trash.bytes, in_trash.retention_days),
        (3 * stored(4_000), 30)
    );
    let me = mum.me().await;
    assert_eq!(
        (me.used_bytes, me.trash_bytes),
        (used, in_trash.bytes),
        "still counted"
    );

    let back = restore(&mum, json!({"albums": [wedding]})).await;
    assert_eq!(
        done(&back),
        api::TrashDone {
            albums: 1,
            photos: 0,
            bytes: 0
        }
    );
    assert_eq!(
        ids(&mum.all_photos(&wedding, 2).await),
        order,
        "the same photos, in order"
    );
    assert_eq!(
        mum.get(&album_path).await.body,
        listed,
        "the same count and cover"
    );
    assert_eq!(
        opens("").await.status(),
        StatusCode::OK,
        "the link opens again"
    );
    assert_eq!(opens("/photos").await.status(), StatusCode::OK);
    assert_eq!(opens("/download").await.status(), StatusCode::OK);
    let changes = feed(&mum).await;
    assert_eq!(
        changes[changes.len() - 2..],
        [
            album_change("album_removed", &wedding),
            album_change("album_restored", &wedding)
        ]
    );
    let empty_now = trash(&mum).await;
    assert!(empty_now.albums.is_empty() && empty_now.bytes == 0);
    assert_eq!(mum.me().await.trash_bytes, 0);
}

async fn photos_leave_albums_and_come_back(server: &InProcess) {
    let mum = server.account("mum2@example.org", GB).await;
    let (garden, favourites) = (mum.album("Garden").await, mum.album("Favourites").await);
    let mut photos = Vec::new();
    for n in 0..3 {
        photos.push(mum.upload(&garden, &fake_photo(200 + n, 3_000)).await);
    }
    let order = ids(&mum.all_photos(&garden, 100).await);
    let rose = photos[1].clone();

    // One photo out of one album.
    let path = format!("/v1/albums/{garden}/photos/{rose}");
    assert_eq!(mum.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        mum.delete(&path).await.status,
        StatusCode::NOT_FOUND,
        "not shown any more"
    );
    assert!(!ids(&mum.all_photos(&garden, 100).await).contains(&rose));
    assert_eq!(
        mum.get(&format!("/v1/albums/{garden}")).await.body["photo_count"],
        2
    );
    let in_trash = trash(&mum).await;
    assert_eq!(in_trash.photos.len(), 1);
    let trashed = &in_trash.photos[0];
    assert_eq!(
        (trashed.album_id.as_str(), trashed.album_title.as_str()),
        (garden.as_str(), "Garden")
    );
    assert_eq!(trashed.photo.id, rose);
    assert!(
        trashed.photo.sha256.is_some(),
        "shown to its owner as the album page does"
    );
    assert!(trashed.photo.urls.as_ref().unwrap().thumbnail.is_some());
    assert_eq!(in_trash.bytes, stored(3_000), "it is in no other album");
    let item = json!({"photos": [{"album_id": garden, "photo_id": rose}]});
    assert_eq!(done(&restore(&mum, item).await).photos, 1);
    assert_eq!(
        ids(&mum.all_photos(&garden, 100).await),
        order,
        "back in its place"
    );
    let changes = feed(&mum).await;
    assert_eq!(
        changes[changes.len() - 2..],
        [
            photo_change("photo_removed", &garden, &rose),
            photo_change("photo_added", &garden, &rose)
        ]
    );

    // A photo out of every album that shows it: one change per album.
    let daisy = photos[2].clone();
    assert_eq!(
        mum.upload(&favourites, &fake_photo(202, 3_000)).await,
        daisy
    );
    let everywhere = mum.delete(&format!("/v1/photos/{daisy}")).await;
    assert_eq!(everywhere.status, StatusCode::ACCEPTED);
    assert_eq!(
        mum.delete(&format!("/v1/photos/{daisy}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut expected = [
        photo_change("photo_removed", &garden, &daisy),
        photo_change("photo_removed", &favourites, &daisy),
    ];
    expected.sort();
    let changes = feed(&mum).await;
    let mut last: Vec<_> = changes[changes.len() - 2..].to_vec();
    last.sort();
    assert_eq!(last, expected);
    let in_trash = trash(&mum).await;
    let places: BTreeSet<_> = in_trash
        .photos
        .iter()
        .map(|p| (p.album_id.clone(), p.photo.id.clone()))
        .collect();
    assert_eq!(
        places,
        BTreeSet::from([
            (garden.clone(), daisy.clone()),
            (favourites.clone(), daisy.clone())
        ])
    );
    assert_eq!(in_trash.bytes, stored(3_000));
    let both = json!({"photos": [
        {"album_id": garden, "photo_id": daisy}, {"album_id": favourites, "photo_id": daisy}]});
    assert_eq!(done(&restore(&mum, both).await).photos, 2);
    assert_eq!(mum.all_photos(&favourites, 10).await.len(), 1);

    // A photo whose album is in the Trash comes back with it, not alone.
    assert_eq!(
        mum.delete(&format!("/v1/albums/{garden}/photos/{rose}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        mum.delete(&format!("/v1/albums/{garden}")).await.status,
        StatusCode::ACCEPTED
    );
    for photo in [&rose, &photos[0]] {
        let alone = restore(
            &mum,
            json!({"photos": [{"album_id": garden, "photo_id": photo}]}),
        )
        .await;
        assert_eq!(
            (alone.status, alone.code()),
            (StatusCode::CONFLICT, "conflict")
        );
        assert!(
            alone.body["message"]
                .as_str()
                .unwrap()
                .contains("Restore its album first.")
        );
    }
    assert_eq!(trash(&mum).await.albums.len(), 1, "nothing changed");
    let together = json!({"albums": [garden], "photos": [{"album_id": garden, "photo_id": rose}]});
    assert_eq!(
        done(&restore(&mum, together).await),
        api::TrashDone {
            albums: 1,
            photos: 1,
            bytes: 0
        }
    );
    assert_eq!(ids(&mum.all_photos(&garden, 100).await), order);
}

async fn emptying_frees_only_what_no_album_shows(server: &InProcess) {
    let gran = server.account("gran@example.org", GB).await;
    let (party, best) = (gran.album("Party").await, gran.album("Best of").await);
    let cake = gran.upload(&party, &fake_photo(300, 5_000)).await;
    let candles = gran.upload(&party, &fake_photo(301, 6_000)).await;
    assert_eq!(
        gran.upload(&best, &fake_photo(300, 5_000)).await,
        cake,
        "stored once"
    );
    let (cake_at, candles_at) = (
        prefix_of(server, &cake).await,
        prefix_of(server, &candles).await,
    );
    let used = gran.me().await.used_bytes;
    assert_eq!(used, stored(5_000) + stored(6_000));

    assert_eq!(
        gran.delete(&format!("/v1/albums/{party}")).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        trash(&gran).await.bytes,
        stored(6_000),
        "the cake is still in Best of"
    );
    let emptied = done(&empty(&gran, None).await);
    assert_eq!(
        emptied,
        api::TrashDone {
            albums: 1,
            photos: 0,
            bytes: stored(6_000)
        }
    );
    let after = trash(&gran).await;
    assert!(after.albums.is_empty() && after.bytes == 0);
    let me = gran.me().await;
    assert_eq!(
        (me.used_bytes, me.trash_bytes),
        (used, 0),
        "counted until erased"
    );
    assert_eq!(
        objects_of(server, &candles_at).await,
        3,
        "not erased by the request"
    );
    assert_eq!(
        restore(&gran, json!({"albums": [party]})).await.status,
        StatusCode::NOT_FOUND
    );
    fsck_agrees(server, "emptied, before the worker").await;

    assert!(run_worker(server).await.jobs_done >= 1);
    assert_eq!(
        objects_of(server, &candles_at).await,
        0,
        "erased by the worker"
    );
    assert_eq!(
        objects_of(server, &cake_at).await,
        3,
        "still shown by Best of"
    );
    assert_eq!(gran.me().await.used_bytes, stored(5_000));
    let shown = gran.all_photos(&best, 10).await;
    assert_eq!(ids(&shown), [cake.as_str()]);
    let original = reqwest::get(shown[0]["urls"]["original"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(original.status(), StatusCode::OK);
    assert_eq!(
        original.bytes().await.unwrap().to_vec(),
        fake_photo(300, 5_000)
    );
    fsck_agrees(server, "after the worker").await;
}

async fn what_is_emptied_is_what_was_named(server: &InProcess) {
    let dad = server.account("dad@example.org", GB).await;
    let (a, b, c) = (
        dad.album("A").await,
        dad.album("B").await,
        dad.album("C").await,
    );
    let in_a = dad.upload(&a, &fake_photo(400, 1_000)).await;
    let in_b = dad.upload(&b, &fake_photo(401, 1_000)).await;
    let in_c = dad.upload(&c, &fake_photo(402, 1_000)).await;
    dad.upload(&c, &fake_photo(403, 1_000)).await;
    for path in [
        format!("/v1/albums/{a}"),
        format!("/v1/albums/{b}"),
        format!("/v1/albums/{c}/photos/{in_c}"),
    ] {
        assert!(dad.delete(&path).await.status.is_success());
    }
    let nothing_named = empty(&dad, Some(json!({}))).await;
    assert_eq!(
        (nothing_named.status, nothing_named.code()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let one = done(&empty(&dad, Some(json!({"albums": [a]}))).await);
    assert_eq!(
        one,
        api::TrashDone {
            albums: 1,
            photos: 0,
            bytes: stored(1_000)
        }
    );
    let left = trash(&dad).await;
    assert_eq!(ids_of_albums(&left), [b.as_str()]);
    assert_eq!(left.photos.len(), 1);
    // Purged is gone: naming it again is naming nothing in the Trash.
    assert_eq!(
        empty(&dad, Some(json!({"albums": [a]}))).await.status,
        StatusCode::NOT_FOUND
    );
    let rest = done(&empty(&dad, None).await);
    assert_eq!(
        rest,
        api::TrashDone {
            albums: 1,
            photos: 1,
            bytes: 2 * stored(1_000)
        }
    );
    let left = trash(&dad).await;
    assert!(left.albums.is_empty() && left.photos.is_empty());
    let nothing = api::TrashDone {
        albums: 0,
        photos: 0,
        bytes: 0,
    };
    assert_eq!(done(&empty(&dad, None).await), nothing);
    assert_eq!(
        dad.all_photos(&c, 10).await.len(),
        1,
        "C keeps what it shows"
    );
    run_worker(server).await;
    for gone in [&in_a, &in_b, &in_c] {
        assert_eq!(server.backends.db.photo_prefix(gone).await.unwrap(), None);
    }
    assert_eq!(dad.me().await.used_bytes, stored(1_000));
}

fn ids_of_albums(trash: &api::Trash) -> Vec<String> {
    trash.albums.iter().map(|a| a.id.clone()).collect()
}

/// What the Trash holds, without the signed URLs (which change with the time window).
fn holds(trash: &api::Trash) -> (Vec<String>, Vec<(String, String)>, i64) {
    let places = trash
        .photos
        .iter()
        .map(|p| (p.album_id.clone(), p.photo.id.clone()))
        .collect();
    (ids_of_albums(trash), places, trash.bytes)
}

/// Reserves room for `original` in `album` and sends its objects, without completing.
async fn sent_not_completed(client: &Client, album: &str, original: &[u8]) -> String {
    let (thumbnail, preview) = (fake_photo(1, 300), fake_photo(2, 900));
    let ticket = client
        .reserve(album, original, &[("thumbnail", 300), ("preview", 900)])
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    for target in ticket.body["targets"].as_array().unwrap() {
        let bytes = match target["name"].as_str().unwrap() {
            "original" => original.to_vec(),
            "thumbnail" => thumbnail.clone(),
            _ => preview.clone(),
        };
        assert!(client.put(target, bytes).await.is_success());
    }
    ticket.body["upload_id"].as_str().unwrap().to_owned()
}

async fn sent_again_it_is_already_stored(server: &InProcess) {
    let aunt = server.account("aunt@example.org", GB).await;
    let (trip, other) = (aunt.album("Trip").await, aunt.album("Other").await);
    let boat = fake_photo(500, 2_000);
    let photo = aunt.upload(&trip, &boat).await;
    let used = aunt.me().await.used_bytes;
    aunt.delete(&format!("/v1/albums/{trip}/photos/{photo}"))
        .await;

    // Sent to another album: stored already, shown there; the Trash keeps its place.
    let again = aunt.reserve(&other, &boat, &[]).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(
        (
            again.body["photo_id"].as_str(),
            again.body["deduplicated"].as_bool()
        ),
        (Some(photo.as_str()), Some(true))
    );
    assert_eq!(ids(&aunt.all_photos(&other, 10).await), [photo.as_str()]);
    let in_trash = trash(&aunt).await;
    assert_eq!(
        (in_trash.photos.len(), in_trash.bytes),
        (1, 0),
        "shown elsewhere, nothing to free"
    );
    // Sent to the album it was removed from: back in its place, out of the Trash.
    let again = aunt.reserve(&trip, &boat, &[]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(ids(&aunt.all_photos(&trip, 10).await), [photo.as_str()]);
    assert!(trash(&aunt).await.photos.is_empty());
    assert_eq!(
        feed(&aunt).await.last().unwrap(),
        &photo_change("photo_added", &trip, &photo)
    );
    assert_eq!(aunt.me().await.used_bytes, used, "no second copy");

    // Two uploads of the same new photo; between their completions the first lands and
    // is removed: the second one's completion brings it back instead of storing it twice.
    let kite = fake_photo(501, 2_500);
    let first = sent_not_completed(&aunt, &trip, &kite).await;
    let second = sent_not_completed(&aunt, &trip, &kite).await;
    let completed = aunt
        .post(&format!("/v1/uploads/{first}/complete"), json!({}))
        .await;
    let kite_id = completed.body["photo_id"].as_str().unwrap().to_owned();
    aunt.delete(&format!("/v1/albums/{trip}/photos/{kite_id}"))
        .await;
    assert_eq!(trash(&aunt).await.photos.len(), 1);
    let deduplicated = aunt
        .post(&format!("/v1/uploads/{second}/complete"), json!({}))
        .await;
    assert_eq!(deduplicated.status, StatusCode::CREATED);
    assert_eq!(
        deduplicated.body["photo_id"].as_str(),
        Some(kite_id.as_str())
    );
    assert!(ids(&aunt.all_photos(&trip, 10).await).contains(&kite_id));
    assert!(trash(&aunt).await.photos.is_empty());
    run_worker(server).await;
    assert_eq!(aunt.me().await.used_bytes, used + stored(2_500));
    fsck_agrees(server, "after sending photos of the Trash again").await;
}

async fn nobody_else_can_touch_your_trash(server: &InProcess) {
    let mum = server.account("mum3@example.org", GB).await;
    let neighbour = server.account("neighbour@example.org", GB).await;
    let (album, kept) = (mum.album("Private").await, mum.album("Kept").await);
    let photo = mum.upload(&kept, &fake_photo(600, 1_000)).await;
    mum.upload(&album, &fake_photo(601, 1_000)).await;
    mum.delete(&format!("/v1/albums/{album}")).await;
    mum.delete(&format!("/v1/albums/{kept}/photos/{photo}"))
        .await;
    let theirs = neighbour.album("Theirs").await;
    neighbour.delete(&format!("/v1/albums/{theirs}")).await;
    let before = holds(&trash(&mum).await);

    let seen = trash(&neighbour).await;
    assert_eq!(ids_of_albums(&seen), [theirs.as_str()], "only their own");
    assert!(seen.photos.is_empty());
    let place = json!({"album_id": kept, "photo_id": photo});
    for answer in [
        restore(&neighbour, json!({"albums": [album]})).await,
        restore(&neighbour, json!({"photos": [place]})).await,
        empty(&neighbour, Some(json!({"albums": [album]}))).await,
        empty(&neighbour, Some(json!({"photos": [place]}))).await,
        neighbour.delete(&format!("/v1/albums/{kept}")).await,
        neighbour.delete(&format!("/v1/photos/{photo}")).await,
        neighbour
            .delete(&format!("/v1/albums/{kept}/photos/{photo}"))
            .await,
        // Ids of two families in one request: refused whole.
        restore(&mum, json!({"albums": [album, theirs]})).await,
        empty(&mum, Some(json!({"albums": [album, theirs]}))).await,
        empty(
            &neighbour,
            Some(json!({"albums": [theirs], "photos": [place]})),
        )
        .await,
        restore(&mum, json!({"albums": ["no-such-album"]})).await,
    ] {
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{:?}",
            answer.body
        );
    }
    assert_eq!(
        done(&empty(&neighbour, None).await).albums,
        1,
        "their own only"
    );
    assert_eq!(holds(&trash(&mum).await), before, "nothing of hers changed");
    assert_eq!(mum.all_photos(&kept, 10).await.len(), 0);
    assert_eq!(done(&empty(&mum, None).await).albums, 1);
    run_worker(server).await;
}

async fn bad_requests_get_clear_answers(server: &InProcess) {
    let uncle = server.account("uncle@example.org", GB).await;
    let too_many: Vec<String> = (0..=api::MAX_TRASH_ITEMS)
        .map(|n| format!("{n:032x}"))
        .collect();
    for answer in [
        restore(&uncle, json!({"albums": too_many})).await,
        empty(&uncle, Some(json!({"albums": too_many}))).await,
        restore(&uncle, json!({})).await,
        restore(&uncle, json!({"albums": [], "photos": []})).await,
    ] {
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{:?}",
            answer.body
        );
        assert!(!answer.body["message"].as_str().unwrap().is_empty());
    }
    let at_most = restore(&uncle, json!({"albums": too_many[1..]})).await;
    assert_eq!(
        at_most.status,
        StatusCode::NOT_FOUND,
        "as many as allowed, none in the Trash"
    );
    let wrong_shape = restore(&uncle, json!({"albums": "all"})).await;
    assert_eq!(wrong_shape.code(), "invalid_request");
    for (method, path) in [
        (Method::POST, "/v1/trash/restore"),
        (Method::DELETE, "/v1/trash"),
    ] {
        let broken = uncle
            .http
            .request(method, format!("{}{path}", server.url))
            .bearer_auth(uncle.token.as_deref().unwrap())
            .header("content-type", "application/json")
            .body("{\"albums\": [")
            .send()
            .await
            .unwrap();
        assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
        let body: Value = broken.json().await.unwrap();
        assert_eq!(body["error"], "malformed_json");
    }
    let huge = json!({"photos": (0..2_000).map(|n| json!({"album_id": format!("{n:040}"), "photo_id": "x"})).collect::<Vec<_>>()});
    let oversized = empty(&uncle, Some(huge)).await;
    assert_eq!(
        (oversized.status, oversized.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large")
    );
    let stranger = Client::new(&server.url);
    assert_eq!(
        stranger.get("/v1/trash").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        empty(&stranger, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn after_thirty_days_the_worker_erases_it(server: &InProcess) {
    let cousin = server.account("cousin@example.org", GB).await;
    let (old, kept) = (cousin.album("Old").await, cousin.album("Kept").await);
    let in_old = cousin.upload(&old, &fake_photo(700, 7_000)).await;
    let shared = cousin.upload(&old, &fake_photo(701, 7_000)).await;
    assert_eq!(cousin.upload(&kept, &fake_photo(701, 7_000)).await, shared);
    let taken_out = cousin.upload(&kept, &fake_photo(702, 7_000)).await;
    let prefixes = [
        prefix_of(server, &in_old).await,
        prefix_of(server, &shared).await,
        prefix_of(server, &taken_out).await,
    ];
    cousin.delete(&format!("/v1/albums/{old}")).await;
    cousin
        .delete(&format!("/v1/albums/{kept}/photos/{taken_out}"))
        .await;
    let used = cousin.me().await.used_bytes;
    assert_eq!(trash(&cousin).await.bytes, 2 * stored(7_000));

    let day = Duration::from_secs(86_400);
    server.backends.clock.advance(29 * day);
    assert_eq!(
        run_worker(server).await.trash_purged,
        0,
        "29 days: nothing goes"
    );
    let waiting = trash(&cousin).await;
    assert_eq!((waiting.albums.len(), waiting.photos.len()), (1, 1));

    // A day later the worker purges them, but while it cannot erase the objects, the
    // space stays counted.
    server.backends.clock.advance(day + Duration::from_secs(1));
    let failing = worker(server, broken_store(server)).round().await.unwrap();
    assert_eq!((failing.trash_purged, failing.jobs_done), (2, 0));
    let gone = trash(&cousin).await;
    assert!(gone.albums.is_empty() && gone.photos.is_empty() && gone.bytes == 0);
    assert_eq!(
        cousin.me().await.used_bytes,
        used,
        "not erased yet, still counted"
    );
    assert_eq!(objects_of(server, &prefixes[0]).await, 3);

    // Once the retry is due, a worker that can delete erases them and the space is back.
    server.backends.clock.advance(Duration::from_secs(3600));
    assert!(run_worker(server).await.jobs_done >= 2);
    assert_eq!(
        (
            objects_of(server, &prefixes[0]).await,
            objects_of(server, &prefixes[2]).await
        ),
        (0, 0)
    );
    assert_eq!(
        objects_of(server, &prefixes[1]).await,
        3,
        "still shown by Kept"
    );
    assert_eq!(cousin.me().await.used_bytes, stored(7_000));
    assert_eq!(ids(&cousin.all_photos(&kept, 10).await), [shared.as_str()]);
    assert!(restore(&cousin, json!({"albums": [old]})).await.status == StatusCode::NOT_FOUND);
    assert_eq!(server.backends.db.job_counts().await.unwrap(), (0, 0));
    fsck_agrees(server, "after the retention").await;
}

async fn fsck_reports_what_nothing_holds(server: &InProcess) {
    let nan = server.account("nan@example.org", GB).await;
    let album = nan.album("Lost").await;
    let photo = nan.upload(&album, &fake_photo(800, 1_000)).await;
    fsck_agrees(server, "before").await;
    // What a bug would leave: the photo's only place forgotten, the photo still counted.
    let url = server.config.database_url().unwrap();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM album_photos WHERE photo_id = $1")
        .bind(&photo)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let report = picup_server::fsck::check(&server.backends.db, &server.backends.store)
        .await
        .unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&photo) && p.contains("no album holds it")),
        "{:?}",
        report.problems
    );
}
