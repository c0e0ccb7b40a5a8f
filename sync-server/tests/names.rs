//! What a computer restoring the family cloud needs to give each photo back as it was:
//! the original's file name and modification time, and the album's folder name, kept as
//! sent and handed back with the album and its photos. Photos sent before names were
//! kept get one made from when they were taken. A name that could climb out of a folder
//! or hide its real ending is refused before anything is held.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// Reserves, sends and completes `original` with the given extra fields.
async fn upload_with(client: &Client, album: &str, original: &[u8], extra: Value) -> Answer {
    let mut body = json!({
        "album_id": album,
        "sha256": sha256_hex(original),
        "size": original.len(),
        "content_type": "image/jpeg",
        "taken_at": "2024-07-14T09:30:00Z",
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let ticket = client.post("/v1/uploads", body).await;
    if ticket.status != StatusCode::CREATED {
        return ticket;
    }
    for target in ticket.body["targets"].as_array().unwrap() {
        assert!(client.put(target, original.to_vec()).await.is_success());
    }
    let id = ticket.body["upload_id"].as_str().unwrap();
    client
        .post(&format!("/v1/uploads/{id}/complete"), json!({}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_times_are_kept_and_given_back_and_bad_names_are_refused() {
    let stack = Stack::start(Kind::SqliteEmbedded).await;
    let mum = stack.account("mum@example.org", "1GB", 0).await;

    let made = mum
        .post(
            "/v1/albums",
            json!({"title": "Summer", "folder_name": "Summer 2024"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["folder_name"], "Summer 2024");
    let album = made.body["id"].as_str().unwrap().to_owned();
    let listed = mum.get("/v1/albums").await;
    assert_eq!(listed.body["items"][0]["folder_name"], "Summer 2024");

    let named = upload_with(
        &mum,
        &album,
        &fake_photo(1, 4_000),
        json!({"file_name": "IMG_0042.JPG", "file_modified_at": "2024-07-14T09:30:05.250+02:00"}),
    )
    .await;
    assert_eq!(named.status, StatusCode::CREATED, "{:?}", named.body);
    let unnamed = upload_with(&mum, &album, &fake_photo(2, 4_000), json!({})).await;
    assert_eq!(unnamed.status, StatusCode::CREATED, "{:?}", unnamed.body);

    let photos = mum.all_photos(&album, 10).await;
    let by_id = |id: &Value| {
        photos
            .iter()
            .find(|p| p["id"] == *id)
            .unwrap_or_else(|| panic!("{id} in {photos:?}"))
            .clone()
    };
    let kept = by_id(&named.body["photo_id"]);
    assert_eq!(kept["file_name"], "IMG_0042.JPG");
    assert_eq!(kept["file_modified_at"], "2024-07-14T07:30:05.250Z");
    let made_up = by_id(&unnamed.body["photo_id"]);
    assert_eq!(made_up["file_name"], "2024-07-14 09.30.00.jpg");
    assert!(made_up.get("file_modified_at").is_none());

    for bad in [
        "../../.ssh/authorized_keys",
        "Holiday/IMG_1.JPG",
        "C:\\photos\\IMG_1.JPG",
        "..",
        "",
        "IMG\u{0}.JPG",
        "photo\u{202E}gpj.exe",
    ] {
        let refused = upload_with(
            &mum,
            &album,
            &fake_photo(3, 4_000),
            json!({"file_name": bad}),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(refused.code(), "invalid_file_name", "{bad:?}");
        let refused = mum
            .post("/v1/albums", json!({"title": "x", "folder_name": bad}))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "folder {bad:?}"
        );
    }
    let odd_time = upload_with(
        &mum,
        &album,
        &fake_photo(3, 4_000),
        json!({"file_modified_at": "last Tuesday"}),
    )
    .await;
    assert_eq!(odd_time.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        mum.me().await.reserved_bytes,
        0,
        "nothing is held for a refused item"
    );
}
