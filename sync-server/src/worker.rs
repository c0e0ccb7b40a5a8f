//! The clean-up worker: runs in its own process (`picup-server worker`), or inside
//! `serve --embedded`, and any number may run at once against one database.
//!
//! Each round it
//! - releases reservations whose time ran out (space back, objects queued for deletion),
//! - removes sessions that have ended (an ended session is refused anyway; its row goes),
//! - purges what has been in the Trash for the retention (`trash::purge_due`): its
//!   photos that no album holds any more get their jobs, due at once,
//! - claims due jobs with a lease and deletes their objects in batched DeleteObjects
//!   calls, then records each job's effect (a purged photo's bytes leave the quota);
//!   `derive_photo` jobs make a photo's thumbnail and preview instead (`derive`),
//! - with e-mail configured, plans the digests due (`subscriptions::plan_digests`) and
//!   sends e-mails (`send_confirmation`, `send_digest` jobs; the owners' digests of what
//!   the family did, `send_family_digest`), recording a digest as sent in the
//!   transaction that finishes its job,
//! - beside the rounds, one video at a time, makes the copies browsers play
//!   (`make_web_copy` jobs, `web_copy`), so a long copy never holds up deletions,
//! - retries failed jobs with exponential backoff and jitter, parking them as dead after
//!   the maximum number of attempts,
//! - now and then compares the bucket with the database and removes objects nothing
//!   accounts for (a server killed between a PUT and its completion, say).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Db, DbError, Job, JobKind, UploadState};
use crate::ids;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::subscriptions::{self, family, letters};
use crate::web_copy::{self, WebCopied};
use crate::{derive, trash, uploads};
use picup_api::ObjectName;

use crate::store::{ObjectStore, StoreError, object_key};

/// Jobs claimed at once, at most; each has up to three objects, so one DeleteObjects call
/// (1,000 keys at most) covers a whole batch.
pub const MAX_BATCH: i64 = 300;
/// Ended sessions removed per round, at most, so one round stays short.
const SESSION_BATCH: i64 = 1000;
/// E-mails sent per round, at most.
const MAIL_BATCH: i64 = 10;
/// Attempts at an e-mail the SMTP server did not take before it is parked as dead:
/// about three days at the longest backoff, so an SMTP server down for a weekend loses
/// nothing. (One refused for good is parked at once.)
const MAIL_MAX_ATTEMPTS: i64 = 300;
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub poll: Duration,
    pub max_attempts: i64,
    pub retry_base: Duration,
    pub lease: Duration,
    pub orphan_grace: Duration,
    pub orphan_sweep_every: Duration,
    /// Jobs claimed per round (1 to [`MAX_BATCH`]); also the albums, and the photos'
    /// places, purged from the Trash per round.
    pub batch: i64,
    /// How long a removed album or photo stays in the Trash.
    pub trash_retention: Duration,
    /// What `derive_photo` jobs agree to decode (the desktop's import limits).
    pub media_limits: picup_media::Limits,
    /// The longest one video's web copy may take (its job's lease is a minute longer).
    pub web_copy_max: Duration,
    /// At most one digest per subscription in this time.
    pub digest_interval: Duration,
}

impl WorkerSettings {
    pub fn from_config(config: &Config) -> WorkerSettings {
        WorkerSettings {
            poll: Duration::from_millis(config.worker_poll_ms),
            max_attempts: config.job_max_attempts.max(1),
            retry_base: Duration::from_millis(config.job_retry_base_ms),
            lease: Duration::from_secs(config.job_lease_secs.max(1)),
            orphan_grace: Duration::from_secs(config.orphan_grace_secs),
            orphan_sweep_every: Duration::from_secs(config.orphan_sweep_secs.max(1)),
            batch: config.job_batch.clamp(1, MAX_BATCH),
            trash_retention: config.trash_retention(),
            media_limits: picup_media::Limits::default(),
            web_copy_max: Duration::from_secs(config.web_copy_max_secs.max(1)),
            digest_interval: Duration::from_secs(config.digest_interval_hours.max(1) * 3600),
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reservations_expired: u64,
    pub sessions_purged: u64,
    /// Albums and photos' places purged from the Trash.
    pub trash_purged: u64,
    pub jobs_done: u64,
    pub jobs_failed: u64,
}

impl Round {
    fn did_something(&self) -> bool {
        self.reservations_expired
            + self.sessions_purged
            + self.trash_purged
            + self.jobs_done
            + self.jobs_failed
            > 0
    }

    fn add(&mut self, other: Round) {
        self.reservations_expired += other.reservations_expired;
        self.sessions_purged += other.sessions_purged;
        self.trash_purged += other.trash_purged;
        self.jobs_done += other.jobs_done;
        self.jobs_failed += other.jobs_failed;
    }
}

#[derive(Clone)]
pub struct Worker {
    db: Db,
    store: ObjectStore,
    settings: WorkerSettings,
    metrics: Arc<Metrics>,
    clock: Clock,
    /// Sends the e-mails; without it, e-mail jobs wait for a worker that has one.
    mailer: Option<Mailer>,
}

impl Worker {
    pub fn new(
        db: Db,
        store: ObjectStore,
        settings: WorkerSettings,
        metrics: Arc<Metrics>,
    ) -> Worker {
        Worker {
            db,
            store,
            settings,
            metrics,
            clock: Clock::system(),
            mailer: None,
        }
    }

    /// The same worker sending e-mail through `mailer` (the backends' one, if any).
    pub fn with_mailer(self, mailer: Option<Mailer>) -> Worker {
        Worker { mailer, ..self }
    }

    /// The same worker deciding what is due by `clock` (the server's, in one process).
    pub fn with_clock(self, clock: Clock) -> Worker {
        Worker { clock, ..self }
    }

    /// Works until `stop` turns true; a round in progress is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let copies = tokio::spawn(self.clone().run_web_copies(stop.clone()));
        self.run_rounds(&mut stop).await;
        let _ = copies.await;
    }

    async fn run_rounds(&self, stop: &mut watch::Receiver<bool>) {
        let mut last_sweep = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                return;
            }
            let busy = match self.round().await {
                Ok(round) => round.did_something(),
                Err(e) => {
                    tracing::warn!(error = %e, "worker round failed; trying again shortly");
                    false
                }
            };
            if last_sweep.elapsed() >= self.settings.orphan_sweep_every {
                last_sweep = tokio::time::Instant::now();
                if let Err(e) = self.sweep_orphans().await {
                    tracing::warn!(error = %e, "orphan sweep failed");
                }
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Makes videos' web copies one at a time until `stop` turns true; a copy in
    /// progress is stopped with the worker (its job is claimed again after its lease).
    async fn run_web_copies(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let busy = tokio::select! {
                round = self.web_copy_round() => match round {
                    Ok(round) => round.did_something(),
                    Err(e) => {
                        tracing::warn!(error = %e, "making a web copy failed; trying again shortly");
                        false
                    }
                },
                _ = stop.changed() => return,
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Rounds, and web copies, until nothing is due (for tests and `picup-server worker
    /// --once`).
    pub async fn run_until_idle(&self) -> Result<Round, DbError> {
        let mut total = Round::default();
        loop {
            let mut round = self.round().await?;
            round.add(self.web_copy_round().await?);
            if !round.did_something() {
                return Ok(total);
            }
            total.add(round);
        }
    }

    /// Claims one due `make_web_copy` job, leased for as long as ffmpeg may take, and
    /// runs it.
    pub async fn web_copy_round(&self) -> Result<Round, DbError> {
        let now = self.clock.now_ms();
        let lease = now
            + (self.settings.web_copy_max + Duration::from_secs(60)).as_millis() as i64
            + ids::random_below(1000) as i64;
        let mut round = Round::default();
        for job in self
            .db
            .claim_jobs(&[JobKind::MakeWebCopy], now, lease, 1)
            .await?
        {
            let made = web_copy::make_web_copy(
                &self.db,
                &self.store,
                &job.subject,
                self.settings.media_limits,
                self.settings.web_copy_max,
            )
            .await;
            if let Ok(WebCopied::Made) = made {
                self.metrics.web_copies_made.inc();
            }
            let made = made.map(|_| None).map_err(|e| e.to_string());
            self.settle(&job, lease, made, &mut round).await?;
        }
        Ok(round)
    }

    /// One round: expired reservations, a batch of ended sessions, a batch of the Trash
    /// whose time is up, then one batch of due jobs.
    pub async fn round(&self) -> Result<Round, DbError> {
        self.round_at(self.clock.now_ms()).await
    }

    /// One round as if the time were `now` (milliseconds since 1970), so a test can see
    /// what is due later without waiting for it.
    pub async fn round_at(&self, now: i64) -> Result<Round, DbError> {
        let mut round = Round::default();
        for upload_id in self.db.expired_uploads(now, MAX_BATCH).await? {
            // Its URLs ran out with it (they never outlast the reservation).
            if uploads::release(&self.db, &upload_id, UploadState::Expired, now, now).await? {
                round.reservations_expired += 1;
                self.metrics.reservations_expired.inc();
            }
        }
        round.sessions_purged = self.db.purge_expired_sessions(now, SESSION_BATCH).await?;
        self.metrics.sessions_purged.inc_by(round.sessions_purged);
        round.trash_purged = trash::purge_due(
            &self.db,
            now,
            self.settings.trash_retention,
            self.settings.batch,
        )
        .await?;
        self.metrics.trash_purged.inc_by(round.trash_purged);
        // A lease value unique to this claim: finishing a job checks it, so a worker
        // whose lease ran out (and whose job someone else took) changes nothing.
        let lease = now + self.settings.lease.as_millis() as i64 + ids::random_below(1000) as i64;
        let claimed = self
            .db
            .claim_jobs(&JobKind::QUICK, now, lease, self.settings.batch)
            .await?;
        // Making pictures is work per job; deleting objects is one call for many.
        let (derives, jobs): (Vec<Job>, Vec<Job>) = claimed
            .into_iter()
            .partition(|job| job.kind == JobKind::DerivePhoto);
        for job in &derives {
            let made = derive::derive_photo(
                &self.db,
                &self.store,
                &job.subject,
                self.settings.media_limits,
            )
            .await
            .map_err(|e| e.to_string());
            self.settle(job, lease, made.map(|_| None), &mut round)
                .await?;
        }
        if let Some(mailer) = &self.mailer {
            self.mail_round(mailer, now, &mut round).await?;
        }
        if jobs.is_empty() {
            return Ok(round);
        }
        let mut keys = Vec::new();
        for job in &jobs {
            keys.extend(self.keys_of(job).await?);
        }
        let deleted = match self.abort_unfinished_parts(&jobs).await {
            Ok(()) => self.store.delete_many(&keys).await,
            Err(e) => Err(e),
        };
        let deleted = deleted.map(|()| None).map_err(|e| e.to_string());
        for job in &jobs {
            self.settle(job, lease, deleted.clone(), &mut round).await?;
        }
        Ok(round)
    }

    /// Plans the digests due, then claims due e-mail jobs and sends them one by one.
    async fn mail_round(
        &self,
        mailer: &Mailer,
        now: i64,
        round: &mut Round,
    ) -> Result<(), DbError> {
        let interval = self.settings.digest_interval;
        let batch = self.settings.batch;
        if let Err(e) = subscriptions::plan_digests(&self.db, now, interval, batch).await {
            tracing::warn!(error = %e, "planning e-mail digests failed");
        }
        if let Err(e) = family::plan(&self.db, now, interval, batch).await {
            tracing::warn!(error = %e, "planning the owners' family digests failed");
        }
        // Each SMTP conversation may take up to its timeout: the lease covers them all, so
        // no other worker takes (and sends) an e-mail of this batch meanwhile.
        let lease = now
            + (self.settings.lease + crate::mail::SMTP_TIMEOUT * MAIL_BATCH as u32).as_millis()
                as i64
            + ids::random_below(1000) as i64;
        let claimed = self
            .db
            .claim_jobs(&JobKind::MAIL, now, lease, MAIL_BATCH)
            .await?;
        for job in &claimed {
            let sent = match job.kind {
                JobKind::SendDigest => {
                    letters::send_digest(&self.db, &self.store, mailer, &self.clock, &job.subject)
                        .await
                }
                JobKind::SendFamilyDigest => {
                    family::send(&self.db, &self.store, mailer, &job.subject).await
                }
                _ => letters::send_confirmation(&self.db, mailer, &self.clock, &job.subject)
                    .await
                    .map(|()| None),
            };
            match sent {
                Err(e) if e.is_permanent() => {
                    tracing::error!(job = %job.id, error = %e, "the SMTP server refused an e-mail for good; parked as dead");
                    round.jobs_failed += 1;
                    self.metrics.jobs_failed.inc();
                    let now = self.clock.now_ms();
                    self.db
                        .fail_job(&job.id, lease, &e.to_string(), None, now)
                        .await?;
                }
                sent => {
                    if let Err(e) = &sent {
                        tracing::warn!(job = %job.id, error = %e, "an e-mail was not sent; it will be tried again");
                    }
                    self.settle(job, lease, sent.map_err(|e| e.to_string()), round)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Records how a claimed job went: done (its effect recorded and the job removed), or
    /// failed (tried again later with backoff, or parked as dead after the last attempt).
    async fn settle(
        &self,
        job: &Job,
        lease: i64,
        outcome: Result<Option<letters::DigestSent>, String>,
        round: &mut Round,
    ) -> Result<(), DbError> {
        match outcome {
            Ok(sent) => {
                if self.finish(job, lease, sent.as_ref()).await? {
                    round.jobs_done += 1;
                    self.metrics.jobs_done.inc();
                }
            }
            Err(error) => {
                round.jobs_failed += 1;
                self.metrics.jobs_failed.inc();
                let max_attempts = if JobKind::MAIL.contains(&job.kind) {
                    self.settings.max_attempts.max(MAIL_MAX_ATTEMPTS)
                } else {
                    self.settings.max_attempts
                };
                let retry_at = (job.attempts < max_attempts)
                    .then(|| self.clock.ms_after(self.backoff(job.attempts)));
                if retry_at.is_none() {
                    tracing::error!(job = %job.id, attempts = job.attempts, %error, "job parked as dead");
                }
                let now = self.clock.now_ms();
                self.db
                    .fail_job(&job.id, lease, &error, retry_at, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Records a job's effect once its objects are gone, and removes it, only while this
    /// worker still holds its lease: a purged photo is forgotten and its bytes leave the
    /// quota, a digest sent is recorded (so it is never sent twice), in one transaction.
    async fn finish(
        &self,
        job: &Job,
        lease: i64,
        sent: Option<&letters::DigestSent>,
    ) -> Result<bool, DbError> {
        let mut tx = self.db.begin().await?;
        if !tx.delete_leased_job(&job.id, lease).await? {
            return Ok(false);
        }
        if let Some(sent) = sent {
            let now = self.clock.now_ms();
            sent.record(&mut tx, now).await?;
        }
        if job.kind == JobKind::PurgePhoto
            && let Some((user_id, bytes)) = tx.forget_deleted_photo(&job.subject).await?
        {
            tx.move_quota(&user_id, 0, -bytes).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Exponential backoff from the base, capped, with up to one base of jitter so that
    /// many failed jobs do not all come back at the same instant.
    fn backoff(&self, attempts: i64) -> Duration {
        let base = self.settings.retry_base.max(Duration::from_millis(1));
        let exponent = attempts.clamp(1, 20) as u32 - 1;
        let delay = base
            .saturating_mul(1u32 << exponent.min(20))
            .min(MAX_BACKOFF);
        delay + Duration::from_millis(ids::random_below(base.as_millis() as u64))
    }

    /// Throws away the parts S3 keeps for released uploads that went in parts (they are
    /// not objects yet, so deleting keys would not free them).
    async fn abort_unfinished_parts(&self, jobs: &[Job]) -> Result<(), StoreError> {
        let upload_ids: Vec<String> = jobs
            .iter()
            .filter(|job| job.kind == JobKind::DeleteUploadObjects)
            .map(|job| job.subject.clone())
            .collect();
        let multipart = match self.db.multipart_ids(&upload_ids).await {
            Ok(found) => found,
            Err(e) => {
                return Err(StoreError::Failed {
                    operation: "abort_multipart_upload",
                    message: format!("could not read the uploads: {e}"),
                });
            }
        };
        for (upload_id, multipart_id) in multipart {
            self.store
                .abort_multipart(&object_key(&upload_id, ObjectName::Original), &multipart_id)
                .await?;
        }
        Ok(())
    }

    async fn keys_of(&self, job: &Job) -> Result<Vec<String>, DbError> {
        let prefix = match job.kind {
            JobKind::PurgePhoto => self.db.photo_prefix(&job.subject).await?,
            JobKind::DeleteUploadObjects | JobKind::DeleteLateUploadObjects => {
                Some(job.subject.clone())
            }
            // Make objects; delete none (and are never in this batch).
            JobKind::DerivePhoto
            | JobKind::MakeWebCopy
            | JobKind::SendConfirmation
            | JobKind::SendDigest
            | JobKind::SendFamilyDigest => None,
        };
        Ok(prefix
            .map(|prefix| {
                ObjectName::ALL
                    .into_iter()
                    .map(|name| object_key(&prefix, name))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Deletes objects older than the grace period that no photo and no pending upload
    /// accounts for. Returns how many went.
    pub async fn sweep_orphans(&self) -> Result<usize, SweepError> {
        let objects = self.store.list_all().await?;
        let cutoff = self.clock.now_system() - self.settings.orphan_grace;
        let mut by_prefix: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for object in objects {
            let old_enough = object.last_modified.is_none_or(|t| t <= cutoff);
            if old_enough {
                let prefix = object.key.split('/').next().unwrap_or_default().to_owned();
                by_prefix.entry(prefix).or_default().push(object.key);
            }
        }
        let mut orphans = Vec::new();
        for (prefix, keys) in by_prefix {
            if !self.db.prefix_is_accounted_for(&prefix).await? {
                orphans.extend(keys);
            }
        }
        for chunk in orphans.chunks(1000) {
            self.store.delete_many(chunk).await?;
        }
        if !orphans.is_empty() {
            tracing::info!(
                count = orphans.len(),
                "removed objects nothing accounted for"
            );
            self.metrics.orphans_removed.inc_by(orphans.len() as u64);
        }
        Ok(orphans.len())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
