//! The upload engine: one coordinator thread that owns the queue in the index, and a few
//! sender threads that only talk to the network.
//!
//! The coordinator mirrors albums (create, rename, delete), hands due items to the
//! senders, and records every step they report, so the queue on disk always says how far
//! each item got: a restart (or a crash) resumes unfinished uploads from the last part
//! that arrived. It also keeps the circuit breaker (stop sending while the server or the
//! store is down, probe again later), the retry budget with exponential backoff and
//! jitter, and the pause while the family's space is full.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use picup_api as api;
use picup_api::{MediaType, ObjectName, UNKNOWN_PHOTO_MIME, UNKNOWN_VIDEO_MIME};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::client::{CloudClient, CloudError, Reserved};
use crate::index::{DueItem, Index, SyncCounts};
use crate::library::{Derived, Library};

/// How the engine paces itself. The defaults suit a home connection.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Items sent at once. Each item sends its original, thumbnail and preview in
    /// parallel, so up to three times this many PUTs are open.
    pub concurrency: usize,
    /// Failed attempts before an item waits for the parent to ask again.
    pub max_attempts: i64,
    /// First pause after a failed attempt; doubles each time (with jitter), to 10 min.
    pub retry_base: Duration,
    /// First pause after the server or store looks down; doubles to `breaker_max`.
    pub breaker_base: Duration,
    pub breaker_max: Duration,
    /// How often to look whether space was freed while the cloud is full.
    pub quota_probe: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            concurrency: 4,
            max_attempts: 8,
            retry_base: Duration::from_secs(2),
            breaker_base: Duration::from_secs(2),
            breaker_max: Duration::from_secs(60),
            quota_probe: Duration::from_secs(30),
        }
    }
}

/// What the page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncStatus {
    /// `sending`, `idle` (all in the cloud), `full`, `offline`, `signed_out` or `stopped`.
    pub state: &'static str,
    /// One sentence in plain words.
    pub message: String,
    pub counts: SyncCounts,
    pub bytes_per_second: f64,
    pub seconds_left: Option<f64>,
    pub used_bytes: Option<i64>,
    pub quota_bytes: Option<i64>,
}

/// A running engine. Dropping it stops it.
pub struct SyncHandle {
    to_coordinator: Sender<Message>,
    status: Arc<Mutex<SyncStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncHandle {
    /// Look at the queue now (after an import, a rename, "Try again").
    pub fn wake(&self) {
        let _ = self.to_coordinator.send(Message::Wake);
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops after the items being sent are finished or interrupted; what is half-sent
    /// resumes next time.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let _ = self.to_coordinator.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

type ItemKey = (i64, i64);

enum Message {
    Wake,
    Stop,
    /// A sender learnt the item's SHA-256.
    Hashed(i64, String),
    /// A sender opened (or dropped, with None) an upload for the item.
    Upload(ItemKey, Option<String>),
    /// A sender finished one part of an upload in parts.
    Part(ItemKey, i32, String),
    Finished(ItemKey, Outcome),
}

#[derive(Debug)]
enum Outcome {
    Stored(String),
    Failed(CloudError),
    /// The file on this computer could not be read.
    Unreadable(String),
}

/// Starts the engine on `library`, sending with `client` (signed in).
/// `on_status` is called whenever the status changes, at most four times a second.
pub fn start(
    library: Library,
    client: CloudClient,
    options: SyncOptions,
    on_status: Box<dyn Fn(&SyncStatus) + Send>,
) -> Result<SyncHandle, crate::index::IndexError> {
    let index = library.index()?;
    let (to_coordinator, inbox) = mpsc::channel();
    let status = Arc::new(Mutex::new(SyncStatus::default()));
    let mut coordinator = Coordinator {
        index,
        library: Arc::new(library),
        client,
        options,
        inbox,
        to_self: to_coordinator.clone(),
        status: status.clone(),
        on_status,
        busy: HashSet::new(),
        breaker: Breaker::default(),
        full_since: None,
        signed_out: false,
        next_quota_probe: Instant::now(),
        quota: None,
        quota_read_at: None,
        stored_since_quota: 0,
        speed: Speed::default(),
        last_published: None,
        senders: Vec::new(),
        to_senders: None,
    };
    let thread = std::thread::Builder::new()
        .name("picup-sync".into())
        .spawn(move || coordinator.run())
        .expect("a thread can be started");
    Ok(SyncHandle {
        to_coordinator,
        status,
        thread: Some(thread),
    })
}

/// Stops sending after repeated failures and probes again after a growing pause.
#[derive(Debug, Default)]
struct Breaker {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    pause: Duration,
    probing: bool,
}

impl Breaker {
    const TRIPS_AFTER: u32 = 3;

    /// How many items may be sent now: all, one (a probe), or none.
    fn allowance(&mut self, now: Instant, full: usize) -> usize {
        match self.open_until {
            None => full,
            Some(until) if now >= until && !self.probing => {
                self.probing = true;
                1
            }
            Some(_) => 0,
        }
    }

    fn success(&mut self) {
        *self = Breaker::default();
    }

    /// Returns true when this failure says something about the item rather than the
    /// server: others were getting through when it failed.
    fn failure(&mut self, now: Instant, options: &SyncOptions) -> bool {
        let others_were_fine = self.consecutive_failures == 0 && self.open_until.is_none();
        self.consecutive_failures += 1;
        if self.probing || self.consecutive_failures >= Self::TRIPS_AFTER {
            self.pause = if self.pause.is_zero() {
                options.breaker_base
            } else {
                (self.pause * 2).min(options.breaker_max)
            };
            self.open_until = Some(now + jittered(self.pause));
            self.probing = false;
        }
        others_were_fine
    }
}

/// Bytes per second, smoothed over a few seconds.
#[derive(Debug, Default)]
struct Speed {
    last: Option<(Instant, u64)>,
    rate: f64,
}

impl Speed {
    fn sample(&mut self, now: Instant, total: u64) -> f64 {
        match self.last {
            Some((at, bytes)) if now.duration_since(at) >= Duration::from_millis(500) => {
                let instant = (total - bytes) as f64 / now.duration_since(at).as_secs_f64();
                self.rate = if self.rate == 0.0 {
                    instant
                } else {
                    0.7 * self.rate + 0.3 * instant
                };
                self.last = Some((now, total));
            }
            Some(_) => {}
            None => self.last = Some((now, total)),
        }
        self.rate
    }
}

/// Up to a quarter more or less, so many clients do not come back at the same instant.
fn jittered(pause: Duration) -> Duration {
    let mut byte = [0u8; 2];
    let _ = getrandom::fill(&mut byte);
    let factor = 0.75 + (u16::from_le_bytes(byte) as f64 / u16::MAX as f64) * 0.5;
    pause.mul_f64(factor)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

struct Coordinator {
    index: Index,
    library: Arc<Library>,
    client: CloudClient,
    options: SyncOptions,
    inbox: Receiver<Message>,
    to_self: Sender<Message>,
    status: Arc<Mutex<SyncStatus>>,
    on_status: Box<dyn Fn(&SyncStatus) + Send>,
    busy: HashSet<ItemKey>,
    breaker: Breaker,
    /// Set while the family's space is full.
    full_since: Option<Instant>,
    signed_out: bool,
    next_quota_probe: Instant,
    quota: Option<(i64, i64)>,
    /// When `quota` was last read from the server.
    quota_read_at: Option<Instant>,
    /// Items stored since `quota` was read.
    stored_since_quota: usize,
    speed: Speed,
    last_published: Option<(Instant, SyncStatus)>,
    senders: Vec<JoinHandle<()>>,
    to_senders: Option<Sender<DueItem>>,
}

impl Coordinator {
    fn run(&mut self) {
        let (to_senders, jobs) = mpsc::channel::<DueItem>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..self.options.concurrency.max(1) {
            let jobs = jobs.clone();
            let client = self.client.clone();
            let library = self.library.clone();
            let report = self.to_self.clone();
            self.senders.push(
                std::thread::Builder::new()
                    .name(format!("picup-send-{n}"))
                    .spawn(move || sender(jobs, client, library, report))
                    .expect("a thread can be started"),
            );
        }
        self.to_senders = Some(to_senders);
        self.refresh_quota();
        let mut wait = Duration::ZERO;
        loop {
            match self.inbox.recv_timeout(wait) {
                Ok(Message::Stop) => break,
                Ok(message) => {
                    if self.apply(message) {
                        break;
                    }
                    // Take everything already waiting before looking at the queue.
                    let mut stop = false;
                    while let Ok(message) = self.inbox.try_recv() {
                        if matches!(message, Message::Stop) || self.apply(message) {
                            stop = true;
                            break;
                        }
                    }
                    if stop {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            wait = match self.step() {
                Ok(wait) => wait,
                Err(e) => {
                    crate::diagnostics::problem(&format!("sync: {e}"));
                    Duration::from_secs(1)
                }
            };
            self.publish(false);
        }
        // Closing the job channel ends the senders once their current item is done.
        self.to_senders = None;
        for sender in self.senders.drain(..) {
            let _ = sender.join();
        }
        while let Ok(message) = self.inbox.try_recv() {
            self.apply(message);
        }
        let mut status = self.compute_status();
        status.state = "stopped";
        status.message = "Copying to the family cloud is paused.".into();
        self.set_status(status);
    }

    /// Records what a sender reported. Returns true to stop.
    fn apply(&mut self, message: Message) -> bool {
        let result = match message {
            Message::Wake => {
                if self.full_since.is_some() {
                    self.next_quota_probe = Instant::now();
                }
                Ok(())
            }
            Message::Stop => return true,
            Message::Hashed(photo_id, sha) => self.index.set_sync_sha256(photo_id, &sha),
            Message::Upload((album, photo), upload) => {
                self.index.set_sync_upload(album, photo, upload.as_deref())
            }
            Message::Part((album, photo), number, etag) => {
                self.index.record_sync_part(album, photo, number, &etag)
            }
            Message::Finished(key, outcome) => {
                self.busy.remove(&key);
                self.finish(key, outcome)
            }
        };
        if let Err(e) = result {
            crate::diagnostics::problem(&format!("sync: could not record progress: {e}"));
        }
        false
    }

    fn finish(
        &mut self,
        (album, photo): ItemKey,
        outcome: Outcome,
    ) -> Result<(), crate::index::IndexError> {
        let now = Instant::now();
        let attempts = self.attempts_of(album, photo);
        match outcome {
            Outcome::Stored(remote) => {
                self.breaker.success();
                if self.full_since.take().is_some() {
                    // Space was freed: everything waiting may go now.
                    self.index.hurry_waiting_sync_items()?;
                    self.refresh_quota();
                }
                self.stored_since_quota += 1;
                self.index.sync_item_done(album, photo, &remote)
            }
            Outcome::Unreadable(reason) => self.retry_or_fail(album, photo, attempts + 1, &reason),
            Outcome::Failed(error) => {
                // Every failure goes to the log (redacted there), so a report shows why
                // copying stalled.
                crate::diagnostics::problem(&format!(
                    "sync: item {photo} of album {album}, attempt {}: {error}",
                    attempts + 1
                ));
                self.record_failure(album, photo, attempts, now, error)
            }
        }
    }

    fn record_failure(
        &mut self,
        album: i64,
        photo: i64,
        attempts: i64,
        now: Instant,
        error: CloudError,
    ) -> Result<(), crate::IndexError> {
        match error {
            CloudError::QuotaFull => {
                self.breaker.success();
                if self.full_since.is_none() {
                    self.full_since = Some(now);
                }
                self.next_quota_probe = now + self.options.quota_probe;
                self.refresh_quota();
                self.index.sync_item_later(
                    album,
                    photo,
                    0,
                    "Waiting for space in the family cloud.",
                    false,
                )
            }
            CloudError::SignedOut | CloudError::WrongPassword => {
                self.signed_out = true;
                self.index
                    .sync_item_later(album, photo, 0, &error.to_string(), false)
            }
            CloudError::UploadGone => {
                self.index.set_sync_upload(album, photo, None)?;
                self.retry_or_fail(album, photo, attempts + 1, "The upload had to start again.")
            }
            CloudError::UploadAddressesExpired => {
                // The upload stays open: the next try asks for fresh addresses and sends
                // only the parts not yet recorded.
                self.retry_or_fail(album, photo, attempts + 1, &error.to_string())
            }
            CloudError::NotFound(_) => {
                // The album was deleted on the server: make it again and resend.
                self.index.forget_remote_album(album)
            }
            CloudError::Unreachable(ref reason) => {
                let counted = self.breaker.failure(now, &self.options);
                let attempts = attempts + counted as i64;
                if counted {
                    self.retry_or_fail(album, photo, attempts, reason)
                } else {
                    // The server or store is down for everyone: no attempt spent.
                    self.index.sync_item_later(album, photo, 0, reason, false)
                }
            }
            CloudError::Refused(reason) => self.retry_or_fail(album, photo, attempts + 1, &reason),
            // Only signing in refuses this way; were it to reach here, it is a refusal.
            CloudError::NotPrivate => {
                self.retry_or_fail(album, photo, attempts + 1, &error.to_string())
            }
        }
    }

    fn attempts_of(&self, album: i64, photo: i64) -> i64 {
        self.index.sync_item_attempts(album, photo).unwrap_or(0)
    }

    fn retry_or_fail(
        &mut self,
        album: i64,
        photo: i64,
        attempts: i64,
        reason: &str,
    ) -> Result<(), crate::index::IndexError> {
        if attempts >= self.options.max_attempts {
            return self.index.sync_item_failed(album, photo, reason);
        }
        let exponent = (attempts.max(1) - 1).min(16) as u32;
        let pause = self
            .options
            .retry_base
            .saturating_mul(1 << exponent)
            .min(Duration::from_secs(600));
        let at = now_ms() + jittered(pause).as_millis() as i64;
        self.index.sync_item_later(album, photo, at, reason, true)
    }

    /// One look at the queue: mirror albums, hand out due items. Returns how long to
    /// wait before the next look if nothing happens.
    fn step(&mut self) -> Result<Duration, crate::index::IndexError> {
        let idle_wait = Duration::from_secs(2);
        if self.signed_out {
            return Ok(Duration::from_secs(3600));
        }
        let now = Instant::now();
        let free = self.options.concurrency.saturating_sub(self.busy.len());
        let mut allowed = self.breaker.allowance(now, free);
        if let Some(until) = self.breaker.open_until
            && allowed == 0
        {
            return Ok(until
                .saturating_duration_since(now)
                .max(Duration::from_millis(50)));
        }
        if self.full_since.is_some() {
            if now < self.next_quota_probe || !self.busy.is_empty() {
                return Ok(self
                    .next_quota_probe
                    .saturating_duration_since(now)
                    .clamp(Duration::from_millis(50), idle_wait));
            }
            // One item tries whether there is room again.
            self.next_quota_probe = now + self.options.quota_probe;
            allowed = allowed.min(1);
        }
        if allowed == 0 {
            return Ok(idle_wait);
        }
        if let Err(error) = self.mirror_albums() {
            self.note_album_failure(error);
            return Ok(Duration::from_millis(200));
        }
        let busy: Vec<ItemKey> = self.busy.iter().copied().collect();
        let due = self.index.due_sync_items(allowed, &busy)?;
        for mut item in due {
            if item.remote_album_id.is_none() {
                match self.ensure_remote_album(item.album_id) {
                    Ok(remote) => item.remote_album_id = Some(remote),
                    Err(error) => {
                        self.note_album_failure(error);
                        return Ok(Duration::from_millis(200));
                    }
                }
            }
            self.busy.insert((item.album_id, item.photo_id));
            if let Some(to_senders) = &self.to_senders {
                let _ = to_senders.send(item);
            }
        }
        // The space used follows the uploads: read again every few seconds while items
        // arrive, and once more when the queue is empty.
        let stale = self
            .quota_read_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(5));
        if self.stored_since_quota > 0 && (stale || self.busy.is_empty()) {
            self.refresh_quota();
        }
        let next_due = self.index.next_sync_due_at()?;
        Ok(match next_due {
            Some(at) => Duration::from_millis((at - now_ms()).clamp(50, 2000) as u64),
            None => idle_wait,
        })
    }

    fn note_album_failure(&mut self, error: CloudError) {
        match error {
            CloudError::SignedOut | CloudError::WrongPassword => self.signed_out = true,
            CloudError::Unreachable(_) => {
                self.breaker.failure(Instant::now(), &self.options);
            }
            other => crate::diagnostics::problem(&format!("sync: album change refused: {other}")),
        }
    }

    /// Sends album deletions and renames made in the app.
    fn mirror_albums(&mut self) -> Result<(), CloudError> {
        let deletions = self.index.remote_album_deletions().unwrap_or_default();
        for remote in deletions {
            match self.client.delete_album(&remote) {
                Ok(()) | Err(CloudError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
            let _ = self.index.remote_album_deleted(&remote);
        }
        let renames = self.index.remote_renames().unwrap_or_default();
        for rename in renames {
            match self.client.rename_album(&rename.remote_id, &rename.title) {
                Ok(()) => {
                    let _ = self.index.set_remote_album(
                        rename.album_id,
                        &rename.remote_id,
                        &rename.title,
                    );
                }
                Err(CloudError::NotFound(_)) => {
                    let _ = self.index.forget_remote_album(rename.album_id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn ensure_remote_album(&mut self, album_id: i64) -> Result<String, CloudError> {
        if let Ok(Some(remote)) = self.index.remote_album(album_id) {
            return Ok(remote);
        }
        let title = self
            .index
            .album(album_id)
            .ok()
            .flatten()
            .map(|a| a.title)
            .unwrap_or_else(|| "Photos".into());
        let created = self.client.create_album(&title)?;
        let _ = self.index.set_remote_album(album_id, &created.id, &title);
        Ok(created.id)
    }

    fn refresh_quota(&mut self) {
        self.quota_read_at = Some(Instant::now());
        self.stored_since_quota = 0;
        match self.client.me() {
            Ok(me) => self.quota = Some((me.used_bytes, me.quota_bytes)),
            Err(CloudError::SignedOut) => self.signed_out = true,
            Err(_) => {}
        }
    }

    fn compute_status(&mut self) -> SyncStatus {
        let counts = self.index.sync_counts().unwrap_or_default();
        let now = Instant::now();
        let rate = self
            .speed
            .sample(now, self.client.sent_bytes.load(Ordering::Relaxed));
        let (state, message) = if self.signed_out {
            (
                "signed_out",
                "Your sign-in to the family cloud has ended. Please sign in again in Settings."
                    .to_owned(),
            )
        } else if self.full_since.is_some() {
            (
                "full",
                "The family cloud is full. New photos stay safe on this computer and will \
                 be copied when there is space again."
                    .to_owned(),
            )
        } else if let Some(until) = self.breaker.open_until {
            let seconds = until.saturating_duration_since(now).as_secs().max(1);
            (
                "offline",
                format!(
                    "Cannot reach the family cloud right now. Your photos are safe on this \
                     computer; trying again in {seconds} s."
                ),
            )
        } else if counts.waiting > 0 {
            (
                "sending",
                format!(
                    "Copying to the family cloud: {} of {} done.",
                    counts.done, counts.total
                ),
            )
        } else if counts.failed > 0 {
            (
                "idle",
                format!(
                    "{} of {} are in the family cloud; {} could not be copied.",
                    counts.done, counts.total, counts.failed
                ),
            )
        } else {
            ("idle", "Everything is in the family cloud.".to_owned())
        };
        let seconds_left =
            (state == "sending" && rate > 1024.0).then(|| counts.waiting_bytes as f64 / rate);
        SyncStatus {
            state,
            message,
            counts,
            bytes_per_second: if state == "sending" { rate } else { 0.0 },
            seconds_left,
            used_bytes: self.quota.map(|q| q.0),
            quota_bytes: self.quota.map(|q| q.1),
        }
    }

    fn publish(&mut self, force: bool) {
        let now = Instant::now();
        if !force
            && self
                .last_published
                .as_ref()
                .is_some_and(|(at, _)| now.duration_since(*at) < Duration::from_millis(250))
        {
            return;
        }
        let status = self.compute_status();
        let changed = self
            .last_published
            .as_ref()
            .is_none_or(|(_, s)| *s != status);
        if changed {
            self.set_status(status.clone());
        }
        self.last_published = Some((now, status));
    }

    fn set_status(&self, status: SyncStatus) {
        (self.on_status)(&status);
        if let Ok(mut shared) = self.status.lock() {
            *shared = status;
        }
    }
}

/// A sender thread: takes items until the channel closes.
fn sender(
    jobs: Arc<Mutex<Receiver<DueItem>>>,
    client: CloudClient,
    library: Arc<Library>,
    report: Sender<Message>,
) {
    loop {
        let item = {
            let Ok(jobs) = jobs.lock() else { return };
            match jobs.recv() {
                Ok(item) => item,
                Err(_) => return,
            }
        };
        let key = (item.album_id, item.photo_id);
        let outcome = send_item(&client, &library, item, &report);
        let _ = report.send(Message::Finished(key, outcome));
    }
}

/// The MIME type the desktop declares for an original, from its name; the server
/// records the type the bytes show.
pub fn content_type(path: &Path, is_video: bool) -> &'static str {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match MediaType::from_extension(extension) {
        Some(kind) => kind.mime(),
        None if is_video => UNKNOWN_VIDEO_MIME,
        None => UNKNOWN_PHOTO_MIME,
    }
}

/// SHA-256 of a file, read in large blocks.
fn sha256_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((hex(&hasher.finalize()), total))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends one item: reserve (or resume), PUT everything in parallel, complete.
fn send_item(
    client: &CloudClient,
    library: &Library,
    item: DueItem,
    report: &Sender<Message>,
) -> Outcome {
    let key = (item.album_id, item.photo_id);
    let path = PathBuf::from(&item.path);
    let unreadable = |e: std::io::Error| {
        Outcome::Unreadable(format!(
            "{} could not be read on this computer ({e}).",
            path.display()
        ))
    };
    let size = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(e) => return unreadable(e),
    };
    if size as i64 != item.byte_size {
        return Outcome::Unreadable(format!(
            "{} changed since it was added; it will be copied once Pic-up has looked at it again.",
            path.display()
        ));
    }
    let sha256 = match &item.sha256 {
        Some(sha) => sha.clone(),
        None => match sha256_of(&path) {
            Ok((sha, _)) => {
                let _ = report.send(Message::Hashed(item.photo_id, sha.clone()));
                sha
            }
            Err(e) => return unreadable(e),
        },
    };
    let derived: Vec<(ObjectName, PathBuf, u64)> = [
        (
            ObjectName::Thumbnail,
            library.derived_path(&item.hash, Derived::Thumbnail),
        ),
        (
            ObjectName::Preview,
            library.derived_path(&item.hash, Derived::Preview),
        ),
    ]
    .into_iter()
    .filter_map(|(name, path)| {
        let size = std::fs::metadata(&path).ok()?.len();
        (size > 0).then_some((name, path, size))
    })
    .collect();

    let mut part_etags = item.part_etags.clone();
    let resumed = match &item.upload_id {
        Some(upload_id) => match client.upload_targets(upload_id) {
            Ok(ticket) => Some(ticket),
            Err(CloudError::UploadGone | CloudError::NotFound(_)) => {
                let _ = report.send(Message::Upload(key, None));
                part_etags.clear();
                None
            }
            Err(e) => return Outcome::Failed(e),
        },
        None => None,
    };
    let ticket = match resumed {
        Some(ticket) => ticket,
        None => {
            let request = api::NewUpload {
                album_id: item.remote_album_id.clone().unwrap_or_default(),
                sha256,
                size: size as i64,
                content_type: content_type(&path, item.is_video).into(),
                taken_at: item.taken_at.clone(),
                width: Some(item.width).filter(|w| *w > 0),
                height: Some(item.height).filter(|h| *h > 0),
                variants: derived
                    .iter()
                    .map(|(name, _, size)| api::VariantSize {
                        name: *name,
                        size: *size as i64,
                    })
                    .collect(),
            };
            match client.reserve(&request) {
                Ok(Reserved::AlreadyStored(stored)) => return Outcome::Stored(stored.photo_id),
                Ok(Reserved::Ticket(ticket)) => {
                    let _ = report.send(Message::Upload(key, Some(ticket.upload_id.clone())));
                    ticket
                }
                Err(e) => return Outcome::Failed(e),
            }
        }
    };

    // Everything not yet sent, in parallel (three at a time: a big video's parts and
    // the small images together keep one connection's latency from idling the line).
    let pending: Vec<&api::UploadTarget> = ticket
        .targets
        .iter()
        .filter(|t| t.part.is_none_or(|p| !part_etags.contains_key(&p.number)))
        .collect();
    let results: Mutex<Vec<SendResult>> = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3.min(pending.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = pending.get(i) else { break };
                    let result = send_target(client, target, &path, &derived);
                    let failed = result.is_err();
                    if let Ok(Some((number, etag))) = &result {
                        let _ = report.send(Message::Part(key, *number, etag.clone()));
                    }
                    results.lock().expect("not poisoned").push(result);
                    if failed {
                        // Leave the rest for the retry: the line or the store is unwell.
                        next.store(usize::MAX / 2, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    for result in results.into_inner().expect("not poisoned") {
        match result {
            Ok(Some((number, etag))) => {
                part_etags.insert(number, etag);
            }
            Ok(None) => {}
            Err(e) => return Outcome::Failed(e),
        }
    }
    let parts: Vec<api::CompletedPart> = part_etags_in_order(&part_etags);
    match client.complete(&ticket.upload_id, parts) {
        Ok(done) => Outcome::Stored(done.photo_id),
        Err(e) => Outcome::Failed(e),
    }
}

fn part_etags_in_order(etags: &BTreeMap<i32, String>) -> Vec<api::CompletedPart> {
    etags
        .iter()
        .map(|(number, etag)| api::CompletedPart {
            number: *number,
            etag: etag.clone(),
        })
        .collect()
}

/// A part's number and ETag, or nothing for a whole object.
type SendResult = Result<Option<(i32, String)>, CloudError>;

/// PUTs one target; a part answers with its number and ETag.
fn send_target(
    client: &CloudClient,
    target: &api::UploadTarget,
    original: &Path,
    derived: &[(ObjectName, PathBuf, u64)],
) -> SendResult {
    if let Some(part) = target.part {
        let etag = client.put_file(target, original, part.offset as u64, part.length as u64)?;
        if etag.is_empty() {
            return Err(CloudError::Refused(
                "The family cloud's storage did not confirm a part.".into(),
            ));
        }
        return Ok(Some((part.number, etag)));
    }
    let (file, length) = if target.name == ObjectName::Original {
        let length = std::fs::metadata(original)
            .map_err(|e| {
                CloudError::Refused(format!("{} could not be read: {e}", original.display()))
            })?
            .len();
        (original.to_path_buf(), length)
    } else {
        let Some((_, path, size)) = derived.iter().find(|(name, _, _)| *name == target.name) else {
            return Err(CloudError::Refused(format!(
                "The family cloud asked for a {} this item does not have.",
                target.name
            )));
        };
        (path.clone(), *size)
    };
    client.put_file(target, &file, 0, length)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SyncOptions {
        SyncOptions {
            breaker_base: Duration::from_secs(2),
            breaker_max: Duration::from_secs(8),
            ..SyncOptions::default()
        }
    }

    #[test]
    fn the_breaker_opens_after_three_failures_probes_once_and_closes_on_success() {
        let options = options();
        let mut breaker = Breaker::default();
        let now = Instant::now();
        assert_eq!(breaker.allowance(now, 4), 4);
        // The first failure, while others were fine, is the item's own.
        assert!(breaker.failure(now, &options));
        assert!(!breaker.failure(now, &options));
        assert_eq!(breaker.allowance(now, 4), 4, "two failures do not open it");
        assert!(!breaker.failure(now, &options));
        assert_eq!(breaker.allowance(now, 4), 0, "three in a row open it");
        let later = now + Duration::from_secs(3);
        assert_eq!(breaker.allowance(later, 4), 1, "one probe after the pause");
        assert_eq!(breaker.allowance(later, 4), 0, "and only one");
        // The probe fails: the pause doubles (within jitter: 4 s ± 25 %).
        breaker.failure(later, &options);
        let pause = breaker.open_until.unwrap() - later;
        assert!(
            pause >= Duration::from_secs(3) && pause <= Duration::from_secs(5),
            "{pause:?}"
        );
        // Never beyond the maximum.
        for _ in 0..10 {
            let t = breaker.open_until.unwrap();
            breaker.allowance(t, 4);
            breaker.failure(t, &options);
        }
        assert!(breaker.pause <= Duration::from_secs(8));
        breaker.success();
        assert_eq!(breaker.allowance(Instant::now(), 4), 4);
    }

    #[test]
    fn content_types_come_from_the_name_and_stay_image_or_video() {
        assert_eq!(content_type(Path::new("a/IMG_1.JPG"), false), "image/jpeg");
        assert_eq!(content_type(Path::new("b.heic"), false), "image/heic");
        assert_eq!(content_type(Path::new("c.MOV"), true), "video/quicktime");
        assert_eq!(content_type(Path::new("d.xyz"), true), "video/x-unknown");
        assert_eq!(content_type(Path::new("noext"), false), "image/x-unknown");
    }

    #[test]
    fn speed_is_smoothed_over_half_second_samples() {
        let mut speed = Speed::default();
        let start = Instant::now();
        assert_eq!(speed.sample(start, 0), 0.0);
        let rate = speed.sample(start + Duration::from_secs(1), 1_000_000);
        assert!((rate - 1_000_000.0).abs() < 1.0);
        let rate = speed.sample(start + Duration::from_secs(2), 1_000_000);
        assert!((rate - 700_000.0).abs() < 1.0, "{rate}");
    }
}
