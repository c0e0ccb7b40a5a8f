//! Hearts and comments through an album link (issue 19), on SQLite with the embedded S3
//! endpoint and on PostgreSQL with SeaweedFS. What a grandmother's phone does: give a
//! heart and take it back, write a comment and delete it; what the owner sees and
//! deletes. And what must not happen: a heart or comment on another album's photo,
//! another browser deleting someone's comment, another family deleting ours, oversized
//! or malformed bodies, markup turned into anything but text, floods past the day's
//! budgets, and responses through a link that does not allow them or is closed.

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;

const GB: i64 = 1_000_000_000;
const GRANDMA: &str = "grandma-phone-key-0000000001";
const GRANDAD: &str = "grandad-tablet-key-000000002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_responds_on_sqlite_and_the_embedded_s3_endpoint() {
    let server = InProcess::start_with(None, limits).await;
    the_family_responds(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_responds_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    let server = InProcess::on_postgres_and_seaweed_with(&postgres, &seaweed, limits).await;
    the_family_responds(server).await;
}

/// Small budgets, and the test's own addresses believed (through `X-Forwarded-For`).
fn limits(config: &mut picup_server::config::Config) {
    config.comments_per_link_per_day = 6;
    config.comments_per_address_per_day = 4;
    config.hearts_per_link_per_day = 100;
    config.hearts_per_address_per_day = 5;
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}

/// A request from a family member's browser (`visitor`) on network `from`.
async fn call(
    family: &Client,
    method: Method,
    path: &str,
    visitor: Option<&str>,
    from: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = family
        .http
        .request(method, format!("{}{path}", family.base))
        .header("x-forwarded-for", from);
    if let Some(key) = visitor {
        request = request.header("x-picup-visitor", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, body }
}

/// One family member's browser, on one network.
struct Browser<'a> {
    family: &'a Client,
    key: &'a str,
    from: &'a str,
}

impl Browser<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        call(self.family, method, path, Some(self.key), self.from, body).await
    }
}

/// (hearts, hearted) of an answer.
fn hearts(answer: &Answer) -> (Option<i64>, Option<bool>) {
    (
        answer.body["hearts"].as_i64(),
        answer.body["hearted"].as_bool(),
    )
}

async fn the_family_responds(server: InProcess) {
    let owner = server.account("anna@example.org", GB).await;
    let album = owner.album("Summer").await;
    let beach = owner.upload(&album, &fake_photo(1, 3000)).await;
    let garden = owner.upload(&album, &fake_photo(2, 3000)).await;
    let elsewhere = owner.album("Work").await;
    let office = owner.upload(&elsewhere, &fake_photo(3, 3000)).await;
    let made = owner
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["allow_comments"], true, "on for a new link");
    let link_id = made.body["id"].as_str().unwrap().to_owned();
    let token = made.body["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let family = Client::new(&server.url);
    let home = "10.0.0.1";
    let grandma = Browser {
        family: &family,
        key: GRANDMA,
        from: home,
    };
    let grandad = Browser {
        family: &family,
        key: GRANDAD,
        from: home,
    };
    let s = |rest: &str| format!("/s/{token}{rest}");
    let heart = |photo: &str| s(&format!("/photos/{photo}/heart"));
    let comments = |photo: &str| s(&format!("/photos/{photo}/comments"));
    let responses = |photo: &str| s(&format!("/photos/{photo}/responses"));

    // Nothing yet; the page is told it may respond.
    let page = family.get(&s("/photos")).await;
    assert_eq!(page.body["allow_comments"], true, "{:?}", page.body);
    let none = grandma.send(Method::GET, &responses(&beach), None).await;
    assert_eq!(none.status, StatusCode::OK, "{:?}", none.body);
    assert_eq!(
        none.body,
        json!({"hearts": 0, "hearted": false, "comments": []})
    );

    // A heart, given once however often it is pressed, and taken back.
    for _ in 0..2 {
        let given = grandma.send(Method::PUT, &heart(&beach), None).await;
        assert_eq!(given.status, StatusCode::OK, "{:?}", given.body);
        assert_eq!(hearts(&given), (Some(1), Some(true)));
    }
    let other = grandad.send(Method::PUT, &heart(&beach), None).await;
    assert_eq!(hearts(&other), (Some(2), Some(true)));
    let back = grandma.send(Method::DELETE, &heart(&beach), None).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert_eq!(hearts(&back), (Some(1), Some(false)));
    let keyless = call(&family, Method::PUT, &heart(&beach), None, home, None).await;
    assert_eq!(
        keyless.status,
        StatusCode::BAD_REQUEST,
        "no key, nothing to prove it by later"
    );
    let short_key = call(&family, Method::PUT, &heart(&beach), Some("x"), home, None).await;
    assert_eq!(short_key.status, StatusCode::BAD_REQUEST);

    // A comment with markup in it: stored and given back as the text typed.
    let name = "<b>Oma</b>";
    let text = "<script>alert('hi')</script> Lovely!\nSee you soon";
    let written = grandma
        .send(
            Method::POST,
            &comments(&beach),
            Some(json!({"name": format!("  {name} "), "text": text})),
        )
        .await;
    assert_eq!(written.status, StatusCode::CREATED, "{:?}", written.body);
    let comment = written.body["comments"][0].clone();
    assert_eq!(
        (comment["name"].as_str(), comment["text"].as_str()),
        (Some(name), Some(text))
    );
    assert_eq!(comment["mine"], true);
    let comment_id = comment["id"].as_str().unwrap().to_owned();
    let seen_by_grandad = grandad.send(Method::GET, &responses(&beach), None).await;
    assert!(
        seen_by_grandad.body["comments"][0].get("mine").is_none(),
        "{:?}",
        seen_by_grandad.body
    );

    // Another browser cannot delete it; an unknown comment is unknown.
    let not_yours = grandad
        .send(Method::DELETE, &s(&format!("/comments/{comment_id}")), None)
        .await;
    assert_eq!(
        not_yours.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        not_yours.body
    );
    assert_eq!(not_yours.code(), "not_yours");
    let unknown = grandma
        .send(Method::DELETE, &s("/comments/0123456789abcdef"), None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Another album's photo, through this link: unknown, for every route.
    for (method, path, body) in [
        (Method::GET, responses(&office), None),
        (Method::PUT, heart(&office), None),
        (
            Method::POST,
            comments(&office),
            Some(json!({"name": "Oma", "text": "hello"})),
        ),
        (Method::GET, responses("not-a-photo"), None),
    ] {
        let answer = call(&family, method.clone(), &path, Some(GRANDMA), home, body).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {:?}",
            answer.body
        );
    }

    // Bodies that are wrong, too big or not JSON.
    for (body, code) in [
        (json!({"name": "", "text": "hello"}), "invalid_name"),
        (
            json!({"name": "x".repeat(61), "text": "hello"}),
            "invalid_name",
        ),
        (
            json!({"name": "Oma\u{202E}", "text": "hello"}),
            "invalid_name",
        ),
        (json!({"name": "Oma", "text": "   "}), "invalid_comment"),
        (
            json!({"name": "Oma", "text": "é".repeat(501)}),
            "invalid_comment",
        ),
        (
            json!({"name": "Oma", "text": "bell\u{0007}"}),
            "invalid_comment",
        ),
        (json!({"name": "Oma"}), "invalid_request"),
        (json!({"name": "Oma", "text": 5}), "invalid_request"),
    ] {
        let answer = call(
            &family,
            Method::POST,
            &comments(&garden),
            Some(GRANDMA),
            home,
            Some(body.clone()),
        )
        .await;
        assert!(answer.status.is_client_error(), "{body}: {:?}", answer.body);
        assert_eq!(answer.code(), code, "{body}: {:?}", answer.body);
    }
    let raw = |body: Vec<u8>| {
        family
            .http
            .post(format!("{}{}", server.url, comments(&garden)))
            .header("x-picup-visitor", GRANDMA)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(
        raw(b"{\"name\": \"Oma\", ".to_vec())
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    let huge = format!(
        "{{\"name\": \"Oma\", \"text\": \"{}\"}}",
        "a".repeat(100_000)
    );
    assert_eq!(
        raw(huge.into_bytes()).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    // The owner sees the counts on the album's photos and what is under each.
    let photos = owner.get(&format!("/v1/albums/{album}/photos")).await;
    let item = |id: &str| {
        photos.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (
            item(&beach)["hearts"].as_i64(),
            item(&beach)["comments"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert!(
        item(&garden).get("hearts").is_none(),
        "absent when none: {}",
        item(&garden)
    );
    let shared = family.get(&s("/photos")).await;
    let shared_beach = shared.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == beach.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        shared_beach["comments"], 1,
        "the family's tiles show them too"
    );
    let owned = owner
        .get(&format!("/v1/albums/{album}/photos/{beach}/responses"))
        .await;
    assert_eq!(owned.status, StatusCode::OK, "{:?}", owned.body);
    assert_eq!(owned.body["comments"][0]["text"], text);

    // The owner lists every comment of the album, a page at a time.
    let more = grandad
        .send(
            Method::POST,
            &comments(&garden),
            Some(json!({"name": "Opa", "text": "Roses!"})),
        )
        .await;
    assert_eq!(more.status, StatusCode::CREATED, "{:?}", more.body);
    let first = owner
        .get(&format!("/v1/albums/{album}/comments?limit=1"))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["items"][0]["text"], text, "oldest first");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = owner
        .get(&format!(
            "/v1/albums/{album}/comments?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(second.body["items"][0]["photo_id"], garden.as_str());
    assert!(second.body["next_cursor"].is_null(), "{:?}", second.body);
    let roses = second.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        owner.delete(&format!("/v1/comments/{roses}")).await.status,
        StatusCode::NO_CONTENT
    );
    let other_album = owner.get(&format!("/v1/albums/{elsewhere}/comments")).await;
    assert_eq!(other_album.body["items"], json!([]), "only that album's");

    // Another family cannot see or delete it; the owner can delete it.
    let stranger = server.account("someone@example.org", GB).await;
    let listed = stranger.get(&format!("/v1/albums/{album}/comments")).await;
    assert_eq!(listed.status, StatusCode::NOT_FOUND);
    let theirs = stranger
        .get(&format!("/v1/albums/{album}/photos/{beach}/responses"))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        stranger
            .delete(&format!("/v1/comments/{comment_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        owner
            .delete(&format!("/v1/comments/{comment_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        owner
            .delete(&format!("/v1/comments/{comment_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "once"
    );
    let gone = grandma.send(Method::GET, &responses(&beach), None).await;
    assert_eq!(
        gone.body["comments"],
        json!([]),
        "gone from the family page"
    );

    // A visitor deletes their own.
    let mine = grandad
        .send(
            Method::POST,
            &comments(&garden),
            Some(json!({"name": "Opa", "text": "Nice roses"})),
        )
        .await;
    let mine_id = mine.body["comments"][0]["id"].as_str().unwrap().to_owned();
    let deleted = grandad
        .send(Method::DELETE, &s(&format!("/comments/{mine_id}")), None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(deleted.body["comments"], json!([]));

    // The owner's computers learn of it from the change feed.
    let feed = owner.get("/v1/changes").await;
    let kinds: Vec<&str> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    for kind in ["hearts_changed", "comment_added", "comment_removed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let removed = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "comment_removed")
        .count();
    assert_eq!(removed, 3, "the owner's two deletions and Grandad's");

    // Floods: a network's comments, then the link's, for the day; the next day again.
    // (Three comments from this network so far: one left, then refused in words.)
    let write = |from: &'static str| {
        let path = comments(&garden);
        let family = &family;
        async move {
            call(
                family,
                Method::POST,
                &path,
                Some(GRANDMA),
                from,
                Some(json!({"name": "Oma", "text": "again"})),
            )
            .await
        }
    };
    assert_eq!(write(home).await.status, StatusCode::CREATED);
    let flood = write(home).await;
    assert_eq!(
        flood.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        flood.body
    );
    assert!(
        flood.body["message"]
            .as_str()
            .unwrap()
            .contains("Please write more tomorrow"),
        "{:?}",
        flood.body
    );
    assert_eq!(
        write("10.0.0.2").await.status,
        StatusCode::CREATED,
        "another network has its own"
    );
    assert_eq!(write("10.0.0.3").await.status, StatusCode::CREATED);
    let link_full = write("10.0.0.4").await;
    assert_eq!(
        link_full.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the link's six are spent"
    );
    assert!(
        link_full.body["message"]
            .as_str()
            .unwrap()
            .contains("in this album today"),
        "{:?}",
        link_full.body
    );
    // Hearts: the network's five (two given so far, one taken back and not refunded).
    let mut answers = Vec::new();
    for n in 0..5 {
        let key = format!("flooding-browser-key-{n:08}");
        answers.push(
            call(
                &family,
                Method::PUT,
                &heart(&garden),
                Some(&key),
                home,
                None,
            )
            .await
            .status,
        );
    }
    assert_eq!(
        answers.iter().filter(|s| **s == StatusCode::OK).count(),
        3,
        "{answers:?}"
    );
    assert_eq!(answers.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    server
        .backends
        .clock
        .advance(Duration::from_secs(24 * 60 * 60));
    assert_eq!(write(home).await.status, StatusCode::CREATED, "a new day");

    // Comments off: refused in words, and the page is told; what was said stays.
    let off = owner
        .send(
            Method::PATCH,
            &format!("/v1/shares/{link_id}"),
            Some(json!({"allow_comments": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(off.body["allow_comments"], false);
    let refused = grandma.send(Method::PUT, &heart(&beach), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "comments_not_allowed");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("does not let you")
    );
    assert_eq!(
        family.get(&s("/photos")).await.body["allow_comments"],
        false
    );
    let listed = owner.get(&format!("/v1/albums/{album}/shares")).await;
    assert_eq!(listed.body["items"][0]["allow_comments"], false);
    let on = owner
        .send(
            Method::PATCH,
            &format!("/v1/shares/{link_id}"),
            Some(json!({"allow_comments": true})),
        )
        .await;
    assert_eq!(on.body["allow_comments"], true);
    let still = grandad.send(Method::GET, &responses(&beach), None).await;
    assert_eq!(still.body["hearts"], 1, "{:?}", still.body);

    // A closed link: 410 for everything.
    assert_eq!(
        owner.delete(&format!("/v1/shares/{link_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let closed = grandma.send(Method::GET, &responses(&beach), None).await;
    assert_eq!(closed.status, StatusCode::GONE);
    let closed = grandma.send(Method::PUT, &heart(&beach), None).await;
    assert_eq!(closed.status, StatusCode::GONE);

    server.stop().await;
}
