//! The server's HTTP API as the desktop app speaks it, and the made-up photos the tests
//! upload through it.

use std::net::IpAddr;
use std::time::Duration;

use picup_api as api;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic, distinct bytes for item `n` of a test. They start as a JPEG does, as
/// the server keeps only what its first bytes show to be a photo or a video.
pub fn fake_photo(n: u32, size: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let mut state = n.wrapping_mul(2_654_435_761).wrapping_add(12345);
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

/// The API as the desktop app uses it.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: base.to_owned(),
            token: None,
        }
    }

    pub fn on(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let answer = self
            .post(
                "/v1/sessions",
                json!({"email": email, "password": password, "device_name": "test laptop"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        self.token = Some(answer.body["token"].as_str().unwrap().to_owned());
    }

    pub async fn me(&self) -> api::Account {
        let answer = self.get("/v1/me").await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        serde_json::from_value(answer.body).unwrap()
    }

    pub async fn album(&self, title: &str) -> String {
        let answer = self.post("/v1/albums", json!({"title": title})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// Asks for room for `original` (+ a thumbnail and preview of the given sizes).
    pub async fn reserve(
        &self,
        album: &str,
        original: &[u8],
        variants: &[(&str, usize)],
    ) -> Answer {
        self.reserve_named(album, original, variants, None).await
    }

    /// [`Client::reserve`], with the name the original is to be saved under.
    pub async fn reserve_named(
        &self,
        album: &str,
        original: &[u8],
        variants: &[(&str, usize)],
        file_name: Option<&str>,
    ) -> Answer {
        self.reserve_as(album, original, variants, file_name, "image/jpeg")
            .await
    }

    /// [`Client::reserve_named`], for an original of the given content type.
    pub async fn reserve_as(
        &self,
        album: &str,
        original: &[u8],
        variants: &[(&str, usize)],
        file_name: Option<&str>,
        content_type: &str,
    ) -> Answer {
        let variants: Vec<Value> = variants
            .iter()
            .map(|(name, size)| json!({"name": name, "size": size}))
            .collect();
        let mut request = json!({
            "album_id": album,
            "sha256": sha256_hex(original),
            "size": original.len(),
            "content_type": content_type,
            "taken_at": "2024-07-14T09:30:00Z",
            "width": 4000, "height": 3000,
            "variants": variants,
        });
        if let Some(name) = file_name {
            request["file_name"] = json!(name);
        }
        self.post("/v1/uploads", request).await
    }

    /// PUTs `bytes` to a presigned target; the status and the ETag the store answered.
    pub async fn put_for_etag(&self, target: &Value, bytes: Vec<u8>) -> (StatusCode, String) {
        let mut request = self.http.put(target["url"].as_str().unwrap());
        for (name, value) in target["headers"].as_object().unwrap() {
            if name != "content-length" {
                request = request.header(name, value.as_str().unwrap());
            }
        }
        let response = request.body(bytes).send().await.expect("S3 answers");
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), etag)
    }

    /// PUTs `bytes` to a presigned target with exactly its signed headers.
    pub async fn put(&self, target: &Value, bytes: Vec<u8>) -> StatusCode {
        let mut request = self.http.put(target["url"].as_str().unwrap());
        for (name, value) in target["headers"].as_object().unwrap() {
            if name != "content-length" {
                request = request.header(name, value.as_str().unwrap());
            }
        }
        request
            .body(bytes)
            .send()
            .await
            .expect("S3 answers")
            .status()
    }

    /// The whole upload: reserve, PUT every object, complete. Returns the photo id.
    pub async fn upload(&self, album: &str, original: &[u8]) -> String {
        self.upload_named(album, original, None).await
    }

    /// [`Client::upload`], with the name the original is to be saved under.
    pub async fn upload_named(
        &self,
        album: &str,
        original: &[u8],
        file_name: Option<&str>,
    ) -> String {
        self.upload_as(album, original, file_name, "image/jpeg")
            .await
    }

    /// [`Client::upload_named`], for an original of the given content type.
    pub async fn upload_as(
        &self,
        album: &str,
        original: &[u8],
        file_name: Option<&str>,
        content_type: &str,
    ) -> String {
        let thumbnail = fake_photo(sha256_hex(original).len() as u32, 300);
        let preview = fake_photo(7, 900);
        let ticket = self
            .reserve_as(
                album,
                original,
                &[("thumbnail", thumbnail.len()), ("preview", preview.len())],
                file_name,
                content_type,
            )
            .await;
        if ticket.status == StatusCode::OK {
            return ticket.body["photo_id"].as_str().unwrap().to_owned();
        }
        assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
        for target in ticket.body["targets"].as_array().unwrap() {
            let bytes = match target["name"].as_str().unwrap() {
                "original" => original.to_vec(),
                "thumbnail" => thumbnail.clone(),
                _ => preview.clone(),
            };
            let status = self.put(target, bytes).await;
            assert!(
                status.is_success(),
                "PUT {} answered {status}",
                target["name"]
            );
        }
        let id = ticket.body["upload_id"].as_str().unwrap();
        let done = self
            .post(&format!("/v1/uploads/{id}/complete"), json!({}))
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
        done.body["photo_id"].as_str().unwrap().to_owned()
    }

    /// Reserve, PUT each object, complete, with real smaller images: what the desktop
    /// app does.
    pub async fn upload_with_images(
        &self,
        album: &str,
        original: &[u8],
        content_type: &str,
        thumbnail: &[u8],
        preview: &[u8],
        taken_at: &str,
    ) {
        let ticket = self
            .post(
                "/v1/uploads",
                json!({
                    "album_id": album, "sha256": sha256_hex(original), "size": original.len(),
                    "content_type": content_type, "taken_at": taken_at,
                    "variants": [{"name": "thumbnail", "size": thumbnail.len()},
                                 {"name": "preview", "size": preview.len()}],
                }),
            )
            .await;
        assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
        for target in ticket.body["targets"].as_array().unwrap() {
            let bytes = match target["name"].as_str().unwrap() {
                "original" => original,
                "thumbnail" => thumbnail,
                _ => preview,
            };
            assert!(self.put(target, bytes.to_vec()).await.is_success());
        }
        let id = ticket.body["upload_id"].as_str().unwrap();
        let done = self
            .post(&format!("/v1/uploads/{id}/complete"), json!({}))
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    }

    /// Every photo of an album, following cursors with pages of `limit`.
    pub async fn all_photos(&self, album: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/albums/{album}/photos?limit={limit}&cursor={c}"),
                None => format!("/v1/albums/{album}/photos?limit={limit}"),
            };
            let page = self.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// The server's `/metrics` text.
pub async fn metrics_text(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A plain client whose requests come from `address` (one of 127.0.0.0/8): another
/// computer, as far as the per-address limits can tell.
pub fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}
