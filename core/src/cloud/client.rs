//! The sync server's HTTP API, as plain blocking calls, and the object store's presigned
//! PUTs. Every failure is sorted into what the engine must do about it ([`CloudError`]).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use picup_api as api;
use reqwest::StatusCode;
use reqwest::blocking::{Body, Client, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bodies up to this size are sent from one buffer; larger ones are streamed.
pub const IN_MEMORY_BODY: u64 = 16 * 1024 * 1024;

use super::error::sort_failure;
pub use super::error::{CloudError, CloudResult};

/// A signed-in (or not yet signed-in) connection to one server.
#[derive(Clone)]
pub struct CloudClient {
    base: String,
    token: Option<String>,
    http: Client,
    /// Bytes sent to the store, for the speed shown on the page.
    pub sent_bytes: Arc<AtomicU64>,
}

impl std::fmt::Debug for CloudClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn unreachable(error: reqwest::Error) -> CloudError {
    let what = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "no connection"
    } else {
        "stopped answering"
    };
    // A presigned address carries its signature: it stays out of the log.
    let error = error.without_url();
    let mut detail = format!("{what}: {error}");
    let mut cause = std::error::Error::source(&error);
    while let Some(reason) = cause {
        detail.push_str(&format!(": {reason}"));
        cause = reason.source();
    }
    CloudError::Unreachable(detail)
}

/// The same, for a request to the object store.
fn storage_unreachable(error: reqwest::Error) -> CloudError {
    match unreachable(error) {
        CloudError::Unreachable(detail) => CloudError::Unreachable(format!("storage, {detail}")),
        other => other,
    }
}

/// Turns a non-success answer into an error, keeping the server's sentence.
fn failure(response: Response) -> CloudError {
    let status = response.status();
    sort_failure(status, response.json().ok())
}

/// A reader that counts what passes through it.
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl CloudClient {
    /// A client for the server at `base` (like `http://127.0.0.1:8080`).
    pub fn new(base: &str, token: Option<String>) -> CloudResult<CloudClient> {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Long enough for a 16 MiB part on a slow line; a stalled one is retried.
            .timeout(Duration::from_secs(300))
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| CloudError::Trouble(format!("networking could not start: {e}")))?;
        Ok(CloudClient {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
            sent_bytes: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn with_token(mut self, token: String) -> CloudClient {
        self.token = Some(token);
        self
    }

    pub(super) fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub(super) fn send<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> CloudResult<(StatusCode, T)> {
        let response = request.send().map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(failure(response));
        }
        let body = response.json().map_err(|e| {
            CloudError::Unreachable(format!(
                "an answer that could not be read: {}",
                e.without_url()
            ))
        })?;
        Ok((status, body))
    }

    pub(super) fn send_empty(&self, request: RequestBuilder) -> CloudResult<()> {
        let response = request.send().map_err(unreachable)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(failure(response))
        }
    }

    pub(crate) fn json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> CloudResult<(StatusCode, T)> {
        self.send(self.request(method, path).json(body))
    }

    /// Is the server up? (`/healthz`, no sign-in needed.)
    pub fn healthy(&self) -> bool {
        self.request(reqwest::Method::GET, "/healthz")
            .timeout(Duration::from_secs(5))
            .send()
            .is_ok_and(|r| r.status().is_success())
    }

    pub fn sign_in(&self, email: &str, password: &str, device: &str) -> CloudResult<String> {
        let (_, session): (_, api::SessionToken) = self.json(
            reqwest::Method::POST,
            "/v1/sessions",
            &api::SignIn {
                email: email.into(),
                password: password.into(),
                device_name: device.into(),
            },
        )?;
        Ok(session.token)
    }

    pub fn sign_out(&self) -> CloudResult<()> {
        self.send_empty(self.request(reqwest::Method::DELETE, "/v1/sessions/current"))
    }

    pub fn me(&self) -> CloudResult<api::Account> {
        Ok(self.send(self.request(reqwest::Method::GET, "/v1/me"))?.1)
    }

    /// Every album in the family cloud, oldest first, all pages.
    pub fn albums(&self) -> CloudResult<Vec<api::Album>> {
        let mut albums = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(cursor) => format!("/v1/albums?limit=500&cursor={cursor}"),
                None => "/v1/albums?limit=500".to_owned(),
            };
            let page: api::AlbumPage = self.send(self.request(reqwest::Method::GET, &path))?.1;
            albums.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(albums),
            }
        }
    }

    /// `folder` is the album's folder on this computer, whose name another computer
    /// keeping a copy gives its folder.
    pub fn create_album(&self, title: &str, folder: Option<&str>) -> CloudResult<api::Album> {
        let body = api::NewAlbum {
            title: title.into(),
            folder_name: folder.and_then(folder_name),
        };
        Ok(self.json(reqwest::Method::POST, "/v1/albums", &body)?.1)
    }

    pub fn rename_album(&self, remote_id: &str, title: &str) -> CloudResult<()> {
        let body = api::AlbumChanges {
            title: Some(title.into()),
        };
        let _: (_, api::Album) = self.json(
            reqwest::Method::PATCH,
            &format!("/v1/albums/{remote_id}"),
            &body,
        )?;
        Ok(())
    }

    pub fn delete_album(&self, remote_id: &str) -> CloudResult<()> {
        self.send_empty(self.request(reqwest::Method::DELETE, &format!("/v1/albums/{remote_id}")))
    }

    /// Moves one item of a cloud album to the cloud's Trash.
    pub fn remove_album_photo(&self, remote_album: &str, remote_photo: &str) -> CloudResult<()> {
        self.send_empty(self.request(
            reqwest::Method::DELETE,
            &format!("/v1/albums/{remote_album}/photos/{remote_photo}"),
        ))
    }

    /// What the cloud's Trash holds.
    pub fn trash(&self) -> CloudResult<api::Trash> {
        Ok(self
            .send(self.request(reqwest::Method::GET, "/v1/trash"))?
            .1)
    }

    /// Brings items back from the cloud's Trash (all or none: 404 if any is not there).
    pub fn restore_from_trash(&self, items: &api::TrashItems) -> CloudResult<api::TrashDone> {
        Ok(self
            .json(reqwest::Method::POST, "/v1/trash/restore", items)?
            .1)
    }

    /// Lets items of the cloud's Trash go for good (all or none: 404 if any is not there).
    pub fn empty_trash(&self, items: &api::TrashItems) -> CloudResult<api::TrashDone> {
        Ok(self.json(reqwest::Method::DELETE, "/v1/trash", items)?.1)
    }

    pub fn album_photos(
        &self,
        remote_id: &str,
        cursor: Option<&str>,
    ) -> CloudResult<api::PhotoPage> {
        let mut path = format!("/v1/albums/{remote_id}/photos");
        if let Some(cursor) = cursor {
            // Cursors are URL-safe base64 made by the server.
            path.push_str(&format!("?cursor={cursor}"));
        }
        Ok(self.send(self.request(reqwest::Method::GET, &path))?.1)
    }

    /// The account's changes after `since` (None: from the first), one page.
    pub fn changes(&self, since: Option<&str>) -> CloudResult<api::ChangePage> {
        let path = match since {
            // Cursors are decimal numbers made by the server.
            Some(cursor) => format!("/v1/changes?limit=500&since={cursor}"),
            None => "/v1/changes?limit=500".to_owned(),
        };
        Ok(self.send(self.request(reqwest::Method::GET, &path))?.1)
    }

    /// Asks a signed address for the bytes a video player asked for (its `Range` header
    /// passed on as it came), with no time limit on the answer's body: a film streams
    /// for as long as it is watched.
    pub fn stream_signed(&self, url: &str, range: Option<&str>) -> CloudResult<Response> {
        let mut request = self.http.get(url).timeout(Duration::from_secs(24 * 3600));
        if let Some(range) = range {
            request = request.header(reqwest::header::RANGE, range);
        }
        request.send().map_err(unreachable)
    }

    /// Asks a signed address (from the photo listing) for an object's bytes from `from`
    /// on. The answer is returned whatever its status; the caller reads it. The time
    /// allowed grows with `size`, so a large video on a slow line is not cut off.
    pub fn fetch_signed(&self, url: &str, from: u64, size: u64) -> CloudResult<Response> {
        let mut request = self
            .http
            .get(url)
            .timeout(Duration::from_secs(300 + size / (64 * 1024)));
        if from > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        request.send().map_err(storage_unreachable)
    }

    /// Every photo of a cloud album, all pages.
    pub fn all_album_photos(&self, remote_id: &str) -> CloudResult<Vec<api::Photo>> {
        let mut photos = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.album_photos(remote_id, cursor.as_deref())?;
            photos.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(photos),
            }
        }
    }

    /// Asks for room for one item: either it is already stored, or where to send it.
    pub fn reserve(&self, upload: &api::NewUpload) -> CloudResult<Reserved> {
        let response = self
            .request(reqwest::Method::POST, "/v1/uploads")
            .json(upload)
            .send()
            .map_err(unreachable)?;
        let unreadable = |e: reqwest::Error| {
            CloudError::Unreachable(format!(
                "an answer that could not be read: {}",
                e.without_url()
            ))
        };
        match response.status() {
            StatusCode::OK => Ok(Reserved::AlreadyStored(
                response.json::<api::AlreadyStored>().map_err(unreadable)?,
            )),
            StatusCode::CREATED => Ok(Reserved::Ticket(
                response.json::<api::UploadTicket>().map_err(unreadable)?,
            )),
            _ => Err(failure(response)),
        }
    }

    /// Fresh URLs for an upload left unfinished.
    pub fn upload_targets(&self, upload_id: &str) -> CloudResult<api::UploadTicket> {
        Ok(self
            .send(self.request(
                reqwest::Method::POST,
                &format!("/v1/uploads/{upload_id}/targets"),
            ))?
            .1)
    }

    pub fn complete(
        &self,
        upload_id: &str,
        parts: Vec<api::CompletedPart>,
    ) -> CloudResult<api::UploadCompleted> {
        Ok(self
            .json(
                reqwest::Method::POST,
                &format!("/v1/uploads/{upload_id}/complete"),
                &api::CompleteUpload { parts },
            )?
            .1)
    }

    /// Sends `length` bytes of the file from `offset` to a presigned URL; returns the
    /// store's ETag. Up to [`IN_MEMORY_BODY`] bytes are read into one buffer (reqwest's
    /// blocking client would hand a streamed body over in 8 KiB chunks, which costs
    /// more than the bytes); larger ones are streamed, never read whole.
    pub fn put_file(
        &self,
        target: &api::UploadTarget,
        file: &Path,
        offset: u64,
        length: u64,
    ) -> CloudResult<String> {
        let unreadable = |e: std::io::Error| unreadable_here(file, &e);
        let mut reader = std::fs::File::open(file).map_err(unreadable)?;
        reader.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
        let (body, counted_now) = if length <= IN_MEMORY_BODY {
            let mut bytes = Vec::with_capacity(length as usize);
            reader
                .take(length)
                .read_to_end(&mut bytes)
                .map_err(unreadable)?;
            if bytes.len() as u64 != length {
                return Err(CloudError::Refused(format!(
                    "\u{201c}{}\u{201d} changed while it was being copied. Pic-up will copy it \
                     again once it has looked at it.",
                    shown_name(file)
                )));
            }
            (Body::from(bytes), false)
        } else {
            let streamed = Counting {
                inner: std::io::BufReader::with_capacity(256 * 1024, reader.take(length)),
                counter: self.sent_bytes.clone(),
            };
            (Body::sized(streamed, length), true)
        };
        let method =
            reqwest::Method::from_bytes(target.method.as_bytes()).unwrap_or(reqwest::Method::PUT);
        let mut request = self.http.request(method, &target.url).body(body);
        for (name, value) in &target.headers {
            // The body sets its own length; the URL names the host.
            if name != "content-length" && name != "host" {
                request = request.header(name, value);
            }
        }
        let response = request.send().map_err(storage_unreachable)?;
        let status = response.status();
        if status.is_success() {
            if !counted_now {
                self.sent_bytes.fetch_add(length, Ordering::Relaxed);
            }
            return Ok(response
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned());
        }
        let text = response.text().unwrap_or_default();
        let code = text
            .split("<Code>")
            .nth(1)
            .and_then(|rest| rest.split("</Code>").next())
            .unwrap_or("");
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Err(CloudError::Unreachable(format!(
                "storage answered {status} {code}"
            )))
        } else if status == StatusCode::FORBIDDEN && code == "AccessDenied" {
            // The URL ran out (or the upload was closed): ask for fresh ones. The server
            // says which it was when asked (`targets` answers 410 for a closed upload).
            Err(CloudError::UploadAddressesExpired)
        } else {
            Err(CloudError::Trouble(format!(
                "storage refused the file: {status} {code}"
            )))
        }
    }

    /// The hearts and comments the family gave one photo of an album (the latest
    /// comments, newest last).
    pub fn photo_responses(
        &self,
        remote_album: &str,
        remote_photo: &str,
    ) -> CloudResult<api::PhotoResponses> {
        let path = format!("/v1/albums/{remote_album}/photos/{remote_photo}/responses");
        Ok(self.send(self.request(reqwest::Method::GET, &path))?.1)
    }

    /// Every comment under an album's photos, oldest first, all pages.
    pub fn album_comments(&self, remote_album: &str) -> CloudResult<Vec<api::Comment>> {
        let mut comments = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/albums/{remote_album}/comments?limit=200");
            if let Some(cursor) = &cursor {
                // Cursors are URL-safe base64 made by the server.
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page: api::CommentPage = self.send(self.request(reqwest::Method::GET, &path))?.1;
            comments.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(comments),
            }
        }
    }

    /// Deletes a comment from one of the account's albums (already gone is fine).
    pub fn delete_comment(&self, comment_id: &str) -> CloudResult<()> {
        match self.send_empty(self.request(
            reqwest::Method::DELETE,
            &format!("/v1/comments/{comment_id}"),
        )) {
            Err(CloudError::NotFound(_)) => Ok(()),
            other => other,
        }
    }
}

/// What `reserve` answered.
#[derive(Debug)]
pub enum Reserved {
    AlreadyStored(api::AlreadyStored),
    Ticket(api::UploadTicket),
}

/// A file's name as a parent knows it (not its whole path).
pub(crate) fn shown_name(file: &Path) -> String {
    file.file_name()
        .unwrap_or(file.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// A file of this computer that could not be read, in words for people; the system's
/// words go to the log.
pub(crate) fn unreadable_here(file: &Path, error: &std::io::Error) -> CloudError {
    crate::diagnostics::problem(&format!("{} could not be read: {error}", file.display()));
    CloudError::Refused(format!(
        "\u{201c}{}\u{201d} could not be read on this computer. If it is on a disk that is \
         not plugged in, plug it in; Pic-up will try again.",
        shown_name(file)
    ))
}

/// The last part of a folder's path, as the server keeps it (None for a root).
fn folder_name(folder: &str) -> Option<String> {
    std::path::Path::new(folder)
        .file_name()
        .and_then(|name| name.to_str())
        .map(str::to_owned)
}
