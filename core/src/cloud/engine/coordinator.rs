//! The coordinator thread: the only one that touches the queue in the index. It mirrors
//! album changes, hands due items to the senders, records each step they report, and
//! asks `policy` what to do after each success or failure and how long to wait.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::policy::{self, Breaker, Gate, Jitter, Pacing, QuotaPause, Retry, Speed, StatusInputs};
use super::sender::sender;
use super::{ItemKey, Message, Outcome, SyncOptions, SyncState, SyncStatus};
use crate::cloud::client::{CloudClient, CloudError};
use crate::index::{CloudTrashAction, DueItem, Index, IndexError};
use crate::library::Library;
use picup_api as api;

pub(super) struct Coordinator {
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
    full: QuotaPause,
    signed_out: bool,
    quota: Option<(i64, i64)>,
    /// When `quota` was last read from the server.
    quota_read_at: Option<Instant>,
    /// Items stored since `quota` was read.
    stored_since_quota: usize,
    speed: Speed,
    /// Real time, not the engine's clock: this only limits how often the page is told.
    last_published: Option<(Instant, SyncStatus)>,
    senders: Vec<JoinHandle<()>>,
    to_senders: Option<Sender<DueItem>>,
}

impl Coordinator {
    pub(super) fn new(
        index: Index,
        library: Library,
        client: CloudClient,
        options: SyncOptions,
        (to_self, inbox): (Sender<Message>, Receiver<Message>),
        status: Arc<Mutex<SyncStatus>>,
        on_status: Box<dyn Fn(&SyncStatus) + Send>,
    ) -> Coordinator {
        Coordinator {
            index,
            library: Arc::new(library),
            client,
            options,
            inbox,
            to_self,
            status,
            on_status,
            busy: HashSet::new(),
            breaker: Breaker::default(),
            full: QuotaPause::default(),
            signed_out: false,
            quota: None,
            quota_read_at: None,
            stored_since_quota: 0,
            speed: Speed::default(),
            last_published: None,
            senders: Vec::new(),
            to_senders: None,
        }
    }

    pub(super) fn run(&mut self) {
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
        status.state = SyncState::Stopped;
        status.message = "Copying to the family cloud is paused.".into();
        self.set_status(status);
    }

    /// Records what a sender reported. Returns true to stop.
    fn apply(&mut self, message: Message) -> bool {
        let result = match message {
            Message::Wake => {
                self.full.wake(self.options.clock.now());
                Ok(())
            }
            Message::ClockMoved => Ok(()),
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

    fn finish(&mut self, (album, photo): ItemKey, outcome: Outcome) -> Result<(), IndexError> {
        let now = self.options.clock.now();
        let attempts = self.attempts_of(album, photo);
        match outcome {
            Outcome::Stored(remote) => {
                self.breaker.success();
                if self.full.freed() {
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
    ) -> Result<(), IndexError> {
        match error {
            CloudError::QuotaFull => {
                self.breaker.success();
                self.full.full(now, &self.options);
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
                    .sync_item_later(album, photo, 0, &error.plain_message(), false)
            }
            CloudError::UploadGone => {
                self.index.set_sync_upload(album, photo, None)?;
                self.retry_or_fail(album, photo, attempts + 1, &error.plain_message())
            }
            CloudError::UploadAddressesExpired => {
                // The upload stays open: the next try asks for fresh addresses and sends
                // only the parts not yet recorded.
                self.retry_or_fail(album, photo, attempts + 1, &error.plain_message())
            }
            CloudError::NotFound(_) => self.remote_album_gone(album),
            CloudError::Unreachable(_) => {
                let counted = self.breaker.failure(now, &self.options, jitter());
                let attempts = attempts + counted as i64;
                let reason = error.plain_message();
                if counted {
                    self.retry_or_fail(album, photo, attempts, &reason)
                } else {
                    // The server or store is down for everyone: no attempt spent.
                    self.index.sync_item_later(album, photo, 0, &reason, false)
                }
            }
            // What the parent reads is the plain sentence; the detail was logged above.
            // (Only signing in refuses with `NotPrivate`; were it to reach here, it is a
            // refusal too.)
            CloudError::Refused(_) | CloudError::Trouble(_) | CloudError::NotPrivate => {
                self.retry_or_fail(album, photo, attempts + 1, &error.plain_message())
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
    ) -> Result<(), IndexError> {
        match policy::retry_after(attempts, &self.options, jitter()) {
            Retry::GiveUp => self.index.sync_item_failed(album, photo, reason),
            Retry::After(pause) => {
                let at = self.options.clock.unix_ms() + pause.as_millis() as i64;
                self.index.sync_item_later(album, photo, at, reason, true)
            }
        }
    }

    /// One look at the queue: mirror albums, hand out due items. Returns how long to
    /// wait before the next look if nothing happens.
    fn step(&mut self) -> Result<Duration, IndexError> {
        let now = self.options.clock.now();
        let pacing = Pacing {
            signed_out: self.signed_out,
            breaker: &mut self.breaker,
            quota: &mut self.full,
            busy: self.busy.len(),
        };
        let allowed = match policy::gate(now, pacing, &self.options) {
            Gate::Send(allowed) => allowed,
            Gate::Wait(wait) => return Ok(wait),
        };
        if let Err(error) = self.mirror_albums() {
            self.note_album_failure(error);
            return Ok(Duration::from_millis(200));
        }
        let busy: Vec<ItemKey> = self.busy.iter().copied().collect();
        let due = self
            .index
            .due_sync_items(self.options.clock.unix_ms(), allowed, &busy)?;
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
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(5));
        if self.stored_since_quota > 0 && (stale || self.busy.is_empty()) {
            self.refresh_quota();
        }
        let next_due = self.index.next_sync_due_at()?;
        Ok(policy::wait_for_due(next_due, self.options.clock.unix_ms()))
    }

    fn note_album_failure(&mut self, error: CloudError) {
        match error {
            CloudError::SignedOut | CloudError::WrongPassword => self.signed_out = true,
            CloudError::Unreachable(_) => {
                self.breaker
                    .failure(self.options.clock.now(), &self.options, jitter());
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
        self.mirror_trash()?;
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
                    let _ = self.remote_album_gone(rename.album_id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends what the parent did in the Trash here, in the order it was done, so the
    /// cloud's Trash follows. Something the cloud no longer has is not an error: an item
    /// to restore that it let go is sent again instead (it keeps content it still stores,
    /// so only what is truly gone travels).
    fn mirror_trash(&mut self) -> Result<(), CloudError> {
        let requests = self.index.cloud_trash_requests().unwrap_or_default();
        for request in requests {
            let album = request.remote_album_id.clone();
            let photo = request.remote_photo_id.clone();
            let items = api::TrashItems {
                albums: photo.is_none().then(|| album.clone()).into_iter().collect(),
                photos: photo
                    .iter()
                    .map(|photo| api::AlbumPhoto {
                        album_id: album.clone(),
                        photo_id: photo.clone(),
                    })
                    .collect(),
            };
            let sent = match request.action {
                CloudTrashAction::RemovePhoto => match &photo {
                    Some(photo) => self.client.remove_album_photo(&album, photo),
                    None => Ok(()),
                },
                CloudTrashAction::RestoreAlbum | CloudTrashAction::RestorePhoto => {
                    self.client.restore_from_trash(&items).map(|_| ())
                }
                CloudTrashAction::PurgeAlbum | CloudTrashAction::PurgePhoto => {
                    self.client.empty_trash(&items).map(|_| ())
                }
            };
            match sent {
                Ok(()) => {}
                Err(CloudError::NotFound(_) | CloudError::Refused(_) | CloudError::Trouble(_)) => {
                    self.cloud_lost(request.action, &album, photo.as_deref())
                }
                Err(e) => return Err(e),
            }
            let _ = self.index.cloud_trash_request_done(request.id);
        }
        Ok(())
    }

    /// The cloud had no longer what a Trash request named. A restored album or item it
    /// let go is sent again; for the rest, there is nothing left to do.
    fn cloud_lost(&mut self, action: CloudTrashAction, album: &str, photo: Option<&str>) {
        let resend = match action {
            CloudTrashAction::RestoreAlbum => self
                .index
                .local_albums_by_remote()
                .ok()
                .and_then(|map| map.get(album).copied())
                .map(|album_id| self.index.forget_remote_album(album_id)),
            CloudTrashAction::RestorePhoto => {
                photo.map(|photo| self.index.resend_remote_photo(album, photo))
            }
            _ => None,
        };
        if let Some(Err(error)) = resend {
            crate::diagnostics::problem(&format!("sync: sending again after a restore: {error}"));
        }
    }

    /// The server no longer has an album this computer copies to. If another computer
    /// on the account removed it, the change feed says so, and applying it takes the
    /// album out here too (its files stay). Only an album the server lost otherwise is
    /// made again and its items resent: a removal is never undone by the other computer.
    fn remote_album_gone(&mut self, album_id: i64) -> Result<(), IndexError> {
        let root = self.library.root().to_path_buf();
        if let Err(error) = crate::cloud::feed::apply(&self.library, &self.client, &root) {
            crate::diagnostics::problem(&format!("sync: the cloud's changes: {error}"));
        }
        if self.index.remote_album(album_id)?.is_some() {
            self.index.forget_remote_album(album_id)?;
        }
        Ok(())
    }

    fn ensure_remote_album(&mut self, album_id: i64) -> Result<String, CloudError> {
        if let Ok(Some(remote)) = self.index.remote_album(album_id) {
            return Ok(remote);
        }
        let album = self.index.album(album_id).ok().flatten();
        let title = album
            .as_ref()
            .map(|a| a.title.clone())
            .unwrap_or_else(|| "Photos".into());
        let folder = album.and_then(|a| a.folder_path);
        let created = self.client.create_album(&title, folder.as_deref())?;
        let _ = self.index.set_remote_album(album_id, &created.id, &title);
        Ok(created.id)
    }

    fn refresh_quota(&mut self) {
        self.quota_read_at = Some(self.options.clock.now());
        self.stored_since_quota = 0;
        match self.client.me() {
            Ok(me) => self.quota = Some((me.used_bytes, me.quota_bytes)),
            Err(CloudError::SignedOut) => self.signed_out = true,
            Err(_) => {}
        }
    }

    fn compute_status(&mut self) -> SyncStatus {
        let now = self.options.clock.now();
        let sent = self.client.sent_bytes.load(Ordering::Relaxed);
        policy::status(
            now,
            StatusInputs {
                signed_out: self.signed_out,
                full: self.full.is_full(),
                breaker_open_until: self.breaker.open_until(),
                counts: self.index.sync_counts().unwrap_or_default(),
                bytes_per_second: self.speed.sample(now, sent),
                quota: self.quota,
            },
        )
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

/// A fresh jitter for one pause.
fn jitter() -> Jitter {
    let mut bits = [0u8; 2];
    let _ = getrandom::fill(&mut bits);
    Jitter::from_bits(u16::from_le_bytes(bits))
}
