//! The change feed (`GET /v1/changes`): every change to an account's albums (the Trash's
//! removals and restores too), in order, numbered one by one, paged by a cursor, and
//! nobody else's. Under two API replicas on
//! PostgreSQL with writers on both, a reader polling all the while sees every number
//! exactly once and in order: a change that commits late is never skipped.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;

async fn feed(client: &Client, since: Option<&str>, limit: u32) -> Value {
    let path = match since {
        Some(since) => format!("/v1/changes?since={since}&limit={limit}"),
        None => format!("/v1/changes?limit={limit}"),
    };
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    page.body
}

/// (kind, album, photo) of each change, with the numbers checked to run 1, 2, 3, ….
fn summary(items: &[Value]) -> Vec<(String, Option<String>, Option<String>)> {
    for (n, item) in items.iter().enumerate() {
        assert_eq!(item["seq"], n as i64 + 1, "numbered one by one: {items:?}");
    }
    items
        .iter()
        .map(|item| {
            let text = |key: &str| item[key].as_str().map(str::to_owned);
            (text("kind").unwrap(), text("album_id"), text("photo_id"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_of_an_account_is_in_its_feed_in_order_and_nobody_elses_is() {
    let stack = Stack::start(Kind::SqliteEmbedded).await;
    let mum = stack.account("mum@example.org", "1GB", 0).await;
    let neighbour = stack.account("neighbour@example.org", "1GB", 0).await;
    neighbour.album("Not yours").await;

    let garden = mum.album("Garden").await;
    let beach = mum.album("Beach").await;
    let photo = mum.upload(&garden, &fake_photo(1, 5_000)).await;
    // The same bytes for another album: stored once, shown in both.
    let again = mum.upload(&beach, &fake_photo(1, 5_000)).await;
    assert_eq!(again, photo);
    // Sent again to an album that already shows it: no change.
    mum.upload(&garden, &fake_photo(1, 5_000)).await;
    let renamed = mum
        .send(
            Method::PATCH,
            &format!("/v1/albums/{garden}"),
            Some(json!({"title": "The garden"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert!(
        mum.delete(&format!("/v1/photos/{photo}"))
            .await
            .status
            .is_success()
    );
    assert!(
        mum.delete(&format!("/v1/albums/{beach}"))
            .await
            .status
            .is_success()
    );
    // Out of the Trash: the album, then the photo's place in the other album.
    let restored = mum
        .post("/v1/trash/restore", json!({"albums": [beach]}))
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{:?}", restored.body);
    let place = json!({"photos": [{"album_id": garden, "photo_id": photo}]});
    let restored = mum.post("/v1/trash/restore", place).await;
    assert_eq!(restored.status, StatusCode::OK, "{:?}", restored.body);

    let all = feed(&mum, None, 100).await;
    let items = all["items"].as_array().unwrap().clone();
    let some = |s: &String| Some(s.clone());
    // A photo removed from every album is removed from each, in no promised order.
    let mut removed = vec![
        ("photo_removed".into(), some(&garden), some(&photo)),
        ("photo_removed".into(), some(&beach), some(&photo)),
    ];
    let mut seen = summary(&items);
    seen[5..7].sort();
    removed.sort();
    let mut expected = vec![
        ("album_created".into(), some(&garden), None),
        ("album_created".into(), some(&beach), None),
        ("photo_added".into(), some(&garden), some(&photo)),
        ("photo_added".into(), some(&beach), some(&photo)),
        ("album_renamed".into(), some(&garden), None),
    ];
    expected.extend(removed);
    expected.extend([
        ("album_removed".into(), some(&beach), None),
        ("album_restored".into(), some(&beach), None),
        ("photo_added".into(), some(&garden), some(&photo)),
    ]);
    assert_eq!(seen, expected);
    assert_eq!(all["more"], false);
    assert!(items.iter().all(|item| item["at"].is_string()));
    let end = all["cursor"].as_str().unwrap().to_owned();
    assert_eq!(end, "10");

    // Pages of three follow each other without a gap or an overlap.
    let mut paged = Vec::new();
    let mut since: Option<String> = None;
    loop {
        let page = feed(&mum, since.as_deref(), 3).await;
        paged.extend(page["items"].as_array().unwrap().iter().cloned());
        since = Some(page["cursor"].as_str().unwrap().to_owned());
        if page["more"] == false {
            break;
        }
    }
    assert_eq!(paged, items);

    // Nothing new: an empty page, the same cursor.
    let nothing = feed(&mum, Some(&end), 100).await;
    assert_eq!(nothing["items"], json!([]));
    assert_eq!(nothing["cursor"], end.as_str());

    // The neighbour sees only their own album.
    let theirs = feed(&neighbour, None, 100).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["items"][0]["kind"], "album_created");

    for bad in ["abc", "-1", "1e3", "99999999999999999999"] {
        let refused = mum.get(&format!("/v1/changes?since={bad}")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "since={bad}");
        assert_eq!(refused.code(), "invalid_cursor");
    }
    let too_many = mum.get("/v1/changes?limit=100000").await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    let stranger = Client::new(&stack.servers[0].url).get("/v1/changes").await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_writing_at_once_never_make_a_reader_skip_or_repeat_a_change() {
    let stack = Stack::start(Kind::PostgresSeaweed).await;
    let on_first = stack.account("mum@example.org", "1GB", 0).await;
    let on_second = on_first.on(&stack.servers[1].url);
    const EACH: usize = 40;
    let writers: Vec<_> = [on_first.clone(), on_second.clone()]
        .into_iter()
        .enumerate()
        .map(|(replica, client)| {
            tokio::spawn(async move {
                let mut made = Vec::new();
                for n in 0..EACH {
                    let album = client.album(&format!("Album {replica}-{n}")).await;
                    let renamed = client
                        .send(
                            Method::PATCH,
                            &format!("/v1/albums/{album}"),
                            Some(json!({"title": format!("Renamed {replica}-{n}")})),
                        )
                        .await;
                    assert_eq!(renamed.status, StatusCode::OK);
                    made.push(album);
                }
                made
            })
        })
        .collect();

    // A reader polling both replicas in turn while the writers write.
    let total = 2 * EACH * 2;
    let mut seen: Vec<Value> = Vec::new();
    let mut since = "0".to_owned();
    let mut polls = 0u32;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while seen.len() < total {
        assert!(
            std::time::Instant::now() < deadline,
            "saw {} of {total} changes",
            seen.len()
        );
        let reader = if polls.is_multiple_of(2) {
            &on_first
        } else {
            &on_second
        };
        polls += 1;
        let page = feed(reader, Some(&since), 7).await;
        for item in page["items"].as_array().unwrap() {
            let expected = seen.len() as i64 + 1;
            assert_eq!(
                item["seq"],
                expected,
                "after change {} the reader was shown {} (skipped or repeated)",
                expected - 1,
                item["seq"]
            );
            seen.push(item.clone());
        }
        since = page["cursor"].as_str().unwrap().to_owned();
        if page["items"].as_array().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
    }
    let mut made = BTreeSet::new();
    for writer in writers {
        made.extend(writer.await.unwrap());
    }
    let created: BTreeSet<String> = seen
        .iter()
        .filter(|item| item["kind"] == "album_created")
        .map(|item| item["album_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(created, made, "every album created is in the feed once");
    assert!(polls > 2, "the reader read while the writers wrote");
    let after = feed(&on_second, Some(&since), 100).await;
    assert_eq!(after["items"], json!([]), "nothing beyond the last");
}
