//! The clean-up outbox: jobs written in the same transaction as the change that needs
//! them, claimed by workers with a lease.

use super::{Backend, Db, DbError, Result, Tx, placeholders};

/// What a job cleans up. Stored as these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Delete a deleted photo's objects, then forget it and give its bytes back.
    PurgePhoto,
    /// Delete what arrived for a released upload.
    DeleteUploadObjects,
    /// The same, once more after the upload's last URL has run out.
    DeleteLateUploadObjects,
    /// Make the thumbnail and preview of a photo sent without them (one the family added
    /// through a link), from its original.
    DerivePhoto,
    /// Make a video's copy that every browser plays, when its original might not play
    /// everywhere (HEVC, a QuickTime file). Slow: claimed apart, one at a time.
    MakeWebCopy,
    /// E-mail a new subscriber the link that confirms the subscription.
    SendConfirmation,
    /// E-mail a subscriber what is new in the album; the subject is the subscription and
    /// the digest's number (`ID:N`), so one digest is one job.
    SendDigest,
    /// E-mail an owner what the family did (photos added, hearts, comments); the subject
    /// is the account and the digest's number (`USER:N`).
    SendFamilyDigest,
}

impl JobKind {
    pub const ALL: [JobKind; 8] = [
        JobKind::PurgePhoto,
        JobKind::DeleteUploadObjects,
        JobKind::DeleteLateUploadObjects,
        JobKind::DerivePhoto,
        JobKind::MakeWebCopy,
        JobKind::SendConfirmation,
        JobKind::SendDigest,
        JobKind::SendFamilyDigest,
    ];

    /// The kinds a worker's round claims in batches: each is quick.
    pub const QUICK: [JobKind; 4] = [
        JobKind::PurgePhoto,
        JobKind::DeleteUploadObjects,
        JobKind::DeleteLateUploadObjects,
        JobKind::DerivePhoto,
    ];

    /// The kinds that send e-mail: claimed only by a worker that can (`smtp_url` set).
    pub const MAIL: [JobKind; 3] = [
        JobKind::SendConfirmation,
        JobKind::SendDigest,
        JobKind::SendFamilyDigest,
    ];

    /// The word the database keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::PurgePhoto => "purge_photo",
            JobKind::DeleteUploadObjects => "delete_upload_objects",
            JobKind::DeleteLateUploadObjects => "delete_late_upload_objects",
            JobKind::DerivePhoto => "derive_photo",
            JobKind::MakeWebCopy => "make_web_copy",
            JobKind::SendConfirmation => "send_confirmation",
            JobKind::SendDigest => "send_digest",
            JobKind::SendFamilyDigest => "send_family_digest",
        }
    }

    pub fn parse(word: &str) -> Result<JobKind> {
        JobKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == word)
            .ok_or_else(|| DbError::UnknownWord {
                what: "a job kind",
                word: word.to_owned(),
            })
    }
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    /// The photo or upload it is about.
    pub subject: String,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    subject: String,
    attempts: i64,
}

impl Db {
    /// Claims up to `limit` due jobs of the given `kinds`, for this worker
    /// until `lease_until`, counting the attempt. (A kind a newer version wrote waits for
    /// a newer worker, counted in the queue depth meanwhile.) Two workers never get the
    /// same job: PostgreSQL skips rows another transaction has locked (`FOR UPDATE SKIP
    /// LOCKED`); SQLite runs the whole UPDATE under its single write lock, so the claim
    /// is atomic there too. A job whose worker died is claimable again once its lease
    /// has passed.
    pub async fn claim_jobs(
        &self,
        kinds: &[JobKind],
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET leased_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM jobs \
               WHERE dead_at IS NULL AND run_after <= $2 \
                 AND (leased_until IS NULL OR leased_until < $2) AND kind IN ({}) \
               ORDER BY run_after LIMIT $3 {lock}) \
             RETURNING id, kind, subject, attempts",
            placeholders(4, kinds.len())
        );
        // Only a fixed clause and numbered placeholders are formatted in.
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(limit);
        for kind in kinds {
            query = query.bind(kind.as_str());
        }
        let rows: Vec<JobRow> = query.fetch_all(&self.writer).await?;
        rows.into_iter()
            .map(|row| {
                Ok(Job {
                    kind: JobKind::parse(&row.kind)?,
                    id: row.id,
                    subject: row.subject,
                    attempts: row.attempts,
                })
            })
            .collect()
    }

    /// Records a failed attempt: retry at `retry_at`, or (None) park the job as dead
    /// from `now`.
    pub async fn fail_job(
        &self,
        job_id: &str,
        lease: i64,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET leased_until = NULL, last_error = $1, \
               run_after = COALESCE($2, run_after), dead_at = CASE WHEN $2 IS NULL THEN $3 END \
             WHERE id = $4 AND leased_until = $5",
        )
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(job_id)
        .bind(lease)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// (jobs waiting, jobs parked as dead), for the metrics.
    pub async fn job_counts(&self) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) \
             FROM jobs",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Dead jobs go back to the queue, due at once, with a fresh attempt count
    /// (`picup-server jobs retry-dead`).
    pub async fn revive_dead_jobs(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET dead_at = NULL, attempts = 0, run_after = 0 WHERE dead_at IS NOT NULL",
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}

impl Tx {
    /// Queues a job due at `run_after`; one per kind and subject.
    pub async fn queue_job(&mut self, kind: JobKind, subject: &str, run_after: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO jobs (id, kind, subject, run_after, created_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(format!("{}:{subject}", kind.as_str()))
        .bind(kind.as_str())
        .bind(subject)
        .bind(run_after)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Queues a job of `kind` for each of `subjects`, due at `run_after`; one per kind
    /// and subject.
    pub async fn queue_jobs(
        &mut self,
        kind: JobKind,
        subjects: &[String],
        run_after: i64,
    ) -> Result<()> {
        for chunk in subjects.chunks(300) {
            // Each row: its id and subject numbered from $3; the kind and time shared.
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, $1, ${}, $2, $2)", 3 + 2 * i, 4 + 2 * i))
                .collect();
            let sql = format!(
                "INSERT INTO jobs (id, kind, subject, run_after, created_at) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                rows.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind.as_str())
                .bind(run_after);
            for subject in chunk {
                query = query
                    .bind(format!("{}:{subject}", kind.as_str()))
                    .bind(subject);
            }
            query.execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Deletes a finished job if this worker still holds its lease.
    pub async fn delete_leased_job(&mut self, job_id: &str, lease: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND leased_until = $2")
            .bind(job_id)
            .bind(lease)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_as_their_words_and_unknown_words_are_errors() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(JobKind::parse("purge_everything").is_err());
    }
}
