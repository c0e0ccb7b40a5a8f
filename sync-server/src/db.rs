//! The data-access module: every SQL statement the server runs lives here.
//!
//! One set of queries serves SQLite (the single-machine default) and PostgreSQL (the
//! scale-out path) through sqlx's `Any` driver: `$1` placeholders, BIGINT millisecond
//! times and `ON CONFLICT`/`RETURNING`, which both speak. The one place the dialects
//! differ is how a worker claims jobs (see [`Db::claim_jobs`]).
//!
//! Rules kept here:
//! - quota is reserved by one conditional UPDATE, never read-then-write;
//! - every multi-step change is one transaction, and on SQLite it starts with
//!   `BEGIN IMMEDIATE`, so a transaction never has to upgrade a read lock mid-way;
//! - a deletion writes its clean-up job in the same transaction (the outbox).

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};

/// Milliseconds since 1970, the unit of every time column.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL must start with sqlite:// or postgres://, not {0:?}")]
    UnknownScheme(String),
    #[error("an account with that email already exists")]
    EmailTaken,
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

impl DbError {
    /// True when the failure is a uniqueness conflict with a concurrent writer.
    pub fn is_conflict(&self) -> bool {
        matches!(self, DbError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

type Result<T, E = DbError> = std::result::Result<T, E>;

/// The numbered migrations, applied in order and recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../migrations/0001_accounts_albums_uploads.sql"),
    ),
    (2, include_str!("../migrations/0002_share_links.sql")),
    (3, include_str!("../migrations/0003_multipart_uploads.sql")),
    (
        4,
        include_str!("../migrations/0004_disabled_accounts_and_session_expiry.sql"),
    ),
];

#[derive(Clone)]
pub struct Db {
    /// Reads.
    pool: AnyPool,
    /// Writes. On SQLite a pool of one connection: SQLite runs one writer at a time
    /// anyway, and queueing writers here (fairly, without sleeping) beats letting them
    /// collide on the file lock, whose busy handler waits by sleeping in steps of up to
    /// 100 ms. On PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub quota_bytes: i64,
    pub used_bytes: i64,
    pub reserved_bytes: i64,
    /// When the account was turned off (`picup-server user disable`), if it is.
    pub disabled_at: Option<i64>,
}

/// A sign-in as the operator sees it; the token's hash stays in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub device_name: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlbumRow {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub photo_count: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRow {
    pub id: String,
    pub object_prefix: String,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub stored_bytes: i64,
    pub content_type: String,
    pub taken_at: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub user_id: String,
    pub album_id: String,
    pub sha256: String,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub reserved_bytes: i64,
    pub content_type: String,
    pub taken_at: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub state: String,
    pub photo_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// The store's id when the original goes in parts.
    pub multipart_id: Option<String>,
    pub part_size: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub attempts: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRow {
    pub id: String,
    pub album_id: String,
    pub allow_download: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A share link found by its token, with what the family page needs of its album.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SharedAlbum {
    pub id: String,
    pub album_id: String,
    pub allow_download: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub title: String,
    pub album_deleted_at: Option<i64>,
}

/// What the store should hold, for the consistency check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsageRow {
    pub id: String,
    pub email: String,
    pub used_bytes: i64,
    pub reserved_bytes: i64,
    pub counted_photo_bytes: i64,
    pub counted_reservations: i64,
}

/// How an upload's completion was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// A new photo now holds the upload's objects.
    Recorded { photo_id: String },
    /// Completed before (by this or an earlier call).
    AlreadyCompleted { photo_id: String },
    /// The same content arrived meanwhile by another upload; this one's objects go.
    Duplicate { photo_id: String },
    /// The album was deleted meanwhile; the upload was released.
    AlbumGone,
    /// The upload was aborted or expired before it completed.
    NotPending,
}

/// Everything an upload records about its item when it is reserved.
#[derive(Debug, Clone)]
pub struct NewUpload<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub album_id: &'a str,
    pub sha256: &'a str,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub reserved_bytes: i64,
    pub content_type: &'a str,
    pub taken_at: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub expires_at: i64,
}

pub const JOB_PURGE_PHOTO: &str = "purge_photo";
pub const JOB_DELETE_UPLOAD_OBJECTS: &str = "delete_upload_objects";
/// The same, once more after the upload's last URL has run out.
pub const JOB_DELETE_LATE_UPLOAD_OBJECTS: &str = "delete_late_upload_objects";

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnknownScheme(url.chars().take(20).collect()));
        };
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the one writer; the busy timeout makes
                    // concurrent writers queue instead of failing.
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; \
                         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    )
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.clone().connect(url).await?;
        let writer = match backend {
            Backend::Sqlite => options.max_connections(1).connect(url).await?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Applies the migrations not yet applied. Safe to run from several replicas at once
    /// on PostgreSQL (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations \
             (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.writer)
        .await
        .or_else(|e| match &e {
            // Two replicas racing to create the table: the other one won.
            sqlx::Error::Database(d) if d.is_unique_violation() => Ok(Default::default()),
            _ => Err(e),
        })?;
        let mut applied = Vec::new();
        for (version, sql) in MIGRATIONS {
            let mut tx = self.begin().await?;
            if self.backend == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(7261001)")
                    .execute(&mut *tx)
                    .await?;
            }
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            applied.push(*version);
        }
        Ok(applied)
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    // ----- accounts -----

    pub async fn insert_user(&self, id: &str, email: &str, hash: &str, quota: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, quota_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(email)
        .bind(hash)
        .bind(quota)
        .bind(now_ms())
        .execute(&self.writer)
        .await
        .map_err(|e| match DbError::from(e) {
            e if e.is_conflict() => DbError::EmailTaken,
            e => e,
        })?;
        Ok(())
    }

    /// The account with this email, if it may sign in: a disabled account is left out, so
    /// signing in to it fails exactly like a wrong password.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT id, email, password_hash, quota_bytes, used_bytes, reserved_bytes, \
               disabled_at \
             FROM users WHERE email = $1 AND disabled_at IS NULL",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT id, email, password_hash, quota_bytes, used_bytes, reserved_bytes, \
               disabled_at \
             FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT id, email, password_hash, quota_bytes, used_bytes, reserved_bytes, \
               disabled_at \
             FROM users ORDER BY email",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Returns false when no account has that email.
    pub async fn set_quota(&self, email: &str, quota: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET quota_bytes = $1 WHERE email = $2")
            .bind(quota)
            .bind(email)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a session for an account whose password was just checked against
    /// `checked_hash`; false (and nothing stored) when that is no longer its password or
    /// the account was disabled meanwhile, so a sign-in racing a password reset or a
    /// disable cannot outlive it.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        checked_hash: &str,
        device_name: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, device_name, created_at, expires_at) \
             SELECT $1, id, $3, $4, $5 FROM users \
             WHERE id = $2 AND password_hash = $6 AND disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(device_name)
        .bind(now_ms())
        .bind(expires_at)
        .bind(checked_hash)
        .execute(&self.writer)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The session's user and expiry time, if the token hash is known and its account is
    /// not disabled. (Disabling deletes the sessions too; this also shuts out one opened by
    /// a sign-in that was checking the password at that very moment.)
    pub async fn session(&self, token_hash: &str) -> Result<Option<(String, i64)>> {
        let row: Option<AnyRow> = sqlx::query(
            "SELECT s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
            None => None,
        })
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The id of the account with this email, disabled or not.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Turns the account off and ends its sessions, in one transaction; returns how many
    /// sessions ended. Disabling it again keeps the first time.
    pub async fn disable_user(&self, user_id: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2")
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = delete_sessions_of(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(ended)
    }

    pub async fn enable_user(&self, user_id: &str) -> Result<()> {
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Sets a new password hash and ends every session, in one transaction; returns how
    /// many sessions ended.
    pub async fn set_password(&self, user_id: &str, hash: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = delete_sessions_of(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// The account's stored sessions, oldest first, ended ones the worker has not yet
    /// removed included.
    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT device_name, created_at, expires_at FROM sessions \
             WHERE user_id = $1 ORDER BY created_at, token_hash",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends every session of the account; returns how many there were.
    pub async fn end_sessions(&self, user_id: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        let ended = delete_sessions_of(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Removes up to `limit` sessions that ended at or before `now`; returns how many.
    pub async fn purge_expired_sessions(&self, now: i64, limit: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE token_hash IN \
               (SELECT token_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(now)
        .bind(limit)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    // ----- albums -----

    pub async fn insert_album(&self, id: &str, user_id: &str, title: &str) -> Result<AlbumRow> {
        let created_at = now_ms();
        sqlx::query("INSERT INTO albums (id, user_id, title, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(user_id)
            .bind(title)
            .bind(created_at)
            .execute(&self.writer)
            .await?;
        Ok(AlbumRow {
            id: id.into(),
            title: title.into(),
            created_at,
            photo_count: 0,
        })
    }

    /// A live album of this user's, or None (also for other users' albums).
    pub async fn album(&self, user_id: &str, album_id: &str) -> Result<Option<AlbumRow>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.title, a.created_at, \
               (SELECT COUNT(*) FROM album_photos ap WHERE ap.album_id = a.id) AS photo_count \
             FROM albums a WHERE a.id = $1 AND a.user_id = $2 AND a.deleted_at IS NULL",
        )
        .bind(album_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// True if the user has a live album with this id (cheaper than [`Db::album`]).
    pub async fn owns_album(&self, user_id: &str, album_id: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM albums WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
        )
        .bind(album_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Live albums oldest first, after the keyset position `after` (created_at, id).
    pub async fn albums_page(
        &self,
        user_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<AlbumRow>> {
        let (after_time, after_id) = after.unwrap_or((i64::MIN, String::new()));
        Ok(sqlx::query_as(
            "SELECT a.id, a.title, a.created_at, \
               (SELECT COUNT(*) FROM album_photos ap WHERE ap.album_id = a.id) AS photo_count \
             FROM albums a \
             WHERE a.user_id = $1 AND a.deleted_at IS NULL \
               AND (a.created_at > $2 OR (a.created_at = $2 AND a.id > $3)) \
             ORDER BY a.created_at, a.id LIMIT $4",
        )
        .bind(user_id)
        .bind(after_time)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn rename_album(&self, user_id: &str, album_id: &str, title: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE albums SET title = $1 WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL",
        )
        .bind(title)
        .bind(album_id)
        .bind(user_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Soft-deletes an album; its photos that no other live album shows are deleted too,
    /// each with a purge job, all in one transaction. Returns false if there was no such
    /// live album.
    pub async fn delete_album(&self, user_id: &str, album_id: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE albums SET deleted_at = $1 \
             WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(album_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE photos SET deleted_at = $1 \
             WHERE deleted_at IS NULL \
               AND id IN (SELECT photo_id FROM album_photos WHERE album_id = $2) \
               AND NOT EXISTS ( \
                 SELECT 1 FROM album_photos other JOIN albums a ON a.id = other.album_id \
                 WHERE other.photo_id = photos.id AND other.album_id <> $2 \
                   AND a.deleted_at IS NULL)",
        )
        .bind(now)
        .bind(album_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO jobs (id, kind, subject, run_after, created_at) \
             SELECT 'purge_photo:' || p.id, 'purge_photo', p.id, $1, $1 \
             FROM photos p JOIN album_photos ap ON ap.photo_id = p.id \
             WHERE ap.album_id = $2 AND p.deleted_at IS NOT NULL \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(now)
        .bind(album_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM album_photos WHERE album_id = $1")
            .bind(album_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    // ----- photos -----

    /// One page of a live album's photos in taken order, after keyset (taken_at, id).
    pub async fn album_photos_page(
        &self,
        album_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<PhotoRow>> {
        let (after_time, after_id) = after.unwrap_or((i64::MIN, String::new()));
        const PAGE: &str = "SELECT p.id, p.object_prefix, p.size, p.thumbnail_size, \
               p.preview_size, p.stored_bytes, p.content_type, p.taken_at, p.width, p.height \
             FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
             WHERE ap.album_id = $1 AND p.deleted_at IS NULL \
               AND (ap.taken_at > $2 OR (ap.taken_at = $2 AND ap.photo_id > $3)) \
             ORDER BY ap.taken_at, ap.photo_id LIMIT $4";
        // sqlx's SQLite driver hands each row from its worker thread to the caller through
        // a channel, and on a busy server those hand-offs, not SQLite, dominated the page
        // (measured with perf under `cargo xtask bench server`). On SQLite the page is
        // therefore built as one JSON value inside SQLite: one row, one hand-off.
        const SQLITE_AS_ONE_ROW: &str = "SELECT json_group_array(json_array(id, object_prefix, \
               size, thumbnail_size, preview_size, stored_bytes, content_type, taken_at, width, \
               height)) FROM (SELECT p.id, p.object_prefix, p.size, p.thumbnail_size, \
               p.preview_size, p.stored_bytes, p.content_type, p.taken_at, p.width, p.height, \
               ap.photo_id AS sort_id, ap.taken_at AS sort_time \
             FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
             WHERE ap.album_id = $1 AND p.deleted_at IS NULL \
               AND (ap.taken_at > $2 OR (ap.taken_at = $2 AND ap.photo_id > $3)) \
             ORDER BY ap.taken_at, ap.photo_id LIMIT $4)";
        if self.backend == Backend::Postgres {
            return Ok(sqlx::query_as(PAGE)
                .bind(album_id)
                .bind(after_time)
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?);
        }
        let page: String = sqlx::query_scalar(SQLITE_AS_ONE_ROW)
            .bind(album_id)
            .bind(after_time)
            .bind(after_id)
            .bind(limit)
            .fetch_one(&self.pool)
            .await?;
        type Columns = (
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Columns> = serde_json::from_str(&page)
            .map_err(|e| DbError::Sql(sqlx::Error::Decode(Box::new(e))))?;
        let mut photos: Vec<PhotoRow> = rows
            .into_iter()
            .map(|c| PhotoRow {
                id: c.0,
                object_prefix: c.1,
                size: c.2,
                thumbnail_size: c.3,
                preview_size: c.4,
                stored_bytes: c.5,
                content_type: c.6,
                taken_at: c.7,
                width: c.8,
                height: c.9,
            })
            .collect();
        // An aggregate's input order is how SQLite works, not a documented promise.
        photos.sort_by(|a, b| (a.taken_at, &a.id).cmp(&(b.taken_at, &b.id)));
        Ok(photos)
    }

    /// This user's live photo with that content, if any.
    pub async fn live_photo_with_content(
        &self,
        user_id: &str,
        sha256: &str,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM photos WHERE user_id = $1 AND sha256 = $2 AND deleted_at IS NULL",
        )
        .bind(user_id)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Shows an already stored photo in one more album (nothing if it is there already).
    pub async fn add_to_album(&self, album_id: &str, photo_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO album_photos (album_id, photo_id, taken_at) \
             SELECT $1, id, taken_at FROM photos WHERE id = $2 \
             ON CONFLICT (album_id, photo_id) DO NOTHING",
        )
        .bind(album_id)
        .bind(photo_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Soft-deletes one photo and queues the removal of its objects.
    pub async fn delete_photo(&self, user_id: &str, photo_id: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE photos SET deleted_at = $1 WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(photo_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM album_photos WHERE photo_id = $1")
            .bind(photo_id)
            .execute(&mut *tx)
            .await?;
        insert_job(&mut tx, JOB_PURGE_PHOTO, photo_id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    // ----- share links -----

    pub async fn insert_share(
        &self,
        id: &str,
        token_hash: &str,
        album_id: &str,
        user_id: &str,
        allow_download: bool,
        expires_at: Option<i64>,
    ) -> Result<ShareRow> {
        let created_at = now_ms();
        sqlx::query(
            "INSERT INTO share_links (id, token_hash, album_id, user_id, allow_download, \
               created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(album_id)
        .bind(user_id)
        .bind(i64::from(allow_download))
        .bind(created_at)
        .bind(expires_at)
        .execute(&self.writer)
        .await?;
        Ok(ShareRow {
            id: id.into(),
            album_id: album_id.into(),
            allow_download: i64::from(allow_download),
            created_at,
            expires_at,
            revoked_at: None,
        })
    }

    /// The album's links that have not been turned off, oldest first.
    pub async fn album_shares(&self, user_id: &str, album_id: &str) -> Result<Vec<ShareRow>> {
        Ok(sqlx::query_as(
            "SELECT id, album_id, allow_download, created_at, expires_at, revoked_at \
             FROM share_links WHERE album_id = $1 AND user_id = $2 AND revoked_at IS NULL \
             ORDER BY created_at, id",
        )
        .bind(album_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Turns a link off at once. False if the user has no such live link.
    pub async fn revoke_share(&self, user_id: &str, share_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(share_id)
        .bind(user_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The link with this token hash and its album. A disabled owner's links read as
    /// revoked (from when the account was disabled), and open again if it is enabled.
    pub async fn shared_album(&self, token_hash: &str) -> Result<Option<SharedAlbum>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.album_id, s.allow_download, s.expires_at, \
               COALESCE(s.revoked_at, u.disabled_at) AS revoked_at, a.title, \
               a.deleted_at AS album_deleted_at \
             FROM share_links s JOIN albums a ON a.id = s.album_id \
               JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    // ----- uploads -----

    /// Holds `bytes` of the user's quota and records the upload, in one transaction. The
    /// hold is a single conditional UPDATE, so concurrent requests on any number of
    /// replicas can never together exceed the quota. Returns false when it does not fit.
    pub async fn reserve_upload(&self, upload: &NewUpload<'_>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let held = sqlx::query(
            "UPDATE users SET reserved_bytes = reserved_bytes + $1 \
             WHERE id = $2 AND used_bytes + reserved_bytes + $1 <= quota_bytes",
        )
        .bind(upload.reserved_bytes)
        .bind(upload.user_id)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO uploads (id, user_id, album_id, sha256, size, thumbnail_size, \
               preview_size, reserved_bytes, content_type, taken_at, width, height, state, \
               created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $14)",
        )
        .bind(upload.id)
        .bind(upload.user_id)
        .bind(upload.album_id)
        .bind(upload.sha256)
        .bind(upload.size)
        .bind(upload.thumbnail_size)
        .bind(upload.preview_size)
        .bind(upload.reserved_bytes)
        .bind(upload.content_type)
        .bind(upload.taken_at)
        .bind(upload.width)
        .bind(upload.height)
        .bind(now_ms())
        .bind(upload.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The user's upload; None for unknown ids and for other users' uploads alike.
    pub async fn upload(&self, user_id: &str, upload_id: &str) -> Result<Option<UploadRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM uploads WHERE id = $1 AND user_id = $2")
                .bind(upload_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records a verified upload as a photo, moving its bytes from reserved to used, in
    /// one transaction. Safe to call twice and against concurrent aborts and expiries:
    /// only the call that moves the upload out of `pending` changes any counter.
    pub async fn complete_upload(
        &self,
        upload: &UploadRow,
        new_photo_id: &str,
    ) -> Result<Completion> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "UPDATE uploads SET state = 'completed', photo_id = $1 \
             WHERE id = $2 AND state = 'pending'",
        )
        .bind(new_photo_id)
        .bind(&upload.id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            let current: Option<AnyRow> =
                sqlx::query("SELECT state, photo_id FROM uploads WHERE id = $1")
                    .bind(&upload.id)
                    .fetch_optional(&self.pool)
                    .await?;
            return Ok(match current {
                Some(row) => {
                    let state: String = row.try_get(0)?;
                    let photo_id: Option<String> = row.try_get(1)?;
                    match (state.as_str(), photo_id) {
                        ("completed", Some(photo_id)) => Completion::AlreadyCompleted { photo_id },
                        ("deduplicated", Some(photo_id)) => {
                            Completion::AlreadyCompleted { photo_id }
                        }
                        _ => Completion::NotPending,
                    }
                }
                None => Completion::NotPending,
            });
        }
        let album_live: Option<String> =
            sqlx::query_scalar("SELECT id FROM albums WHERE id = $1 AND deleted_at IS NULL")
                .bind(&upload.album_id)
                .fetch_optional(&mut *tx)
                .await?;
        if album_live.is_none() {
            sqlx::query("UPDATE uploads SET state = 'aborted', photo_id = NULL WHERE id = $1")
                .bind(&upload.id)
                .execute(&mut *tx)
                .await?;
            release_reservation(&mut tx, &upload.user_id, upload.reserved_bytes).await?;
            insert_job(&mut tx, JOB_DELETE_UPLOAD_OBJECTS, &upload.id, now).await?;
            tx.commit().await?;
            return Ok(Completion::AlbumGone);
        }
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM photos WHERE user_id = $1 AND sha256 = $2 AND deleted_at IS NULL",
        )
        .bind(&upload.user_id)
        .bind(&upload.sha256)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(photo_id) = existing {
            sqlx::query("UPDATE uploads SET state = 'deduplicated', photo_id = $1 WHERE id = $2")
                .bind(&photo_id)
                .bind(&upload.id)
                .execute(&mut *tx)
                .await?;
            release_reservation(&mut tx, &upload.user_id, upload.reserved_bytes).await?;
            link_photo(&mut tx, &upload.album_id, &photo_id).await?;
            insert_job(&mut tx, JOB_DELETE_UPLOAD_OBJECTS, &upload.id, now).await?;
            tx.commit().await?;
            return Ok(Completion::Duplicate { photo_id });
        }
        let stored_bytes = upload.reserved_bytes;
        sqlx::query(
            "INSERT INTO photos (id, user_id, sha256, object_prefix, size, thumbnail_size, \
               preview_size, stored_bytes, content_type, taken_at, width, height, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(new_photo_id)
        .bind(&upload.user_id)
        .bind(&upload.sha256)
        .bind(&upload.id)
        .bind(upload.size)
        .bind(upload.thumbnail_size)
        .bind(upload.preview_size)
        .bind(stored_bytes)
        .bind(&upload.content_type)
        .bind(upload.taken_at.unwrap_or(upload.created_at))
        .bind(upload.width)
        .bind(upload.height)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        link_photo(&mut tx, &upload.album_id, new_photo_id).await?;
        sqlx::query(
            "UPDATE users SET reserved_bytes = reserved_bytes - $1, used_bytes = used_bytes + $2 \
             WHERE id = $3",
        )
        .bind(upload.reserved_bytes)
        .bind(stored_bytes)
        .bind(&upload.user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Completion::Recorded {
            photo_id: new_photo_id.into(),
        })
    }

    /// Moves a pending upload to `new_state` (aborted or expired), gives its space back and
    /// queues the removal of whatever objects arrived. Returns false when it was no longer
    /// pending, in which case nothing changed.
    /// Gives a pending upload's space back and has its objects deleted, at once and,
    /// when URLs that could still store bytes were handed out, again at
    /// `urls_valid_until`.
    pub async fn release_upload(
        &self,
        upload_id: &str,
        new_state: &str,
        urls_valid_until: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let released: Option<AnyRow> = sqlx::query(
            "UPDATE uploads SET state = $1 WHERE id = $2 AND state = 'pending' \
             RETURNING user_id, reserved_bytes",
        )
        .bind(new_state)
        .bind(upload_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = released else {
            return Ok(false);
        };
        let user_id: String = row.try_get(0)?;
        release_reservation(&mut tx, &user_id, row.try_get(1)?).await?;
        let now = now_ms();
        insert_job(&mut tx, JOB_DELETE_UPLOAD_OBJECTS, upload_id, now).await?;
        if urls_valid_until > now {
            // A second job, due once no URL can store anything (a second after, for
            // clocks that differ a little).
            let due = urls_valid_until + 1000;
            insert_job(&mut tx, JOB_DELETE_LATE_UPLOAD_OBJECTS, upload_id, due).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records that the original goes to the store in parts.
    pub async fn set_upload_multipart(
        &self,
        upload_id: &str,
        multipart_id: &str,
        part_size: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE uploads SET multipart_id = $1, part_size = $2 WHERE id = $3")
            .bind(multipart_id)
            .bind(part_size)
            .bind(upload_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Holds a pending upload's space for longer (a client resuming after a restart).
    /// False if it is no longer pending.
    pub async fn renew_upload(&self, upload_id: &str, expires_at: i64) -> Result<bool> {
        let renewed =
            sqlx::query("UPDATE uploads SET expires_at = $1 WHERE id = $2 AND state = 'pending'")
                .bind(expires_at)
                .bind(upload_id)
                .execute(&self.writer)
                .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// The store's multipart id of each listed upload that went in parts.
    pub async fn multipart_ids(&self, upload_ids: &[String]) -> Result<Vec<(String, String)>> {
        if upload_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = (1..=upload_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, multipart_id FROM uploads \
             WHERE multipart_id IS NOT NULL AND id IN ({placeholders})"
        );
        // Only numbered placeholders are formatted in; the ids are bound.
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in upload_ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Pending uploads whose time ran out.
    pub async fn expired_uploads(&self, now: i64, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM uploads WHERE state = 'pending' AND expires_at < $1 \
             ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    // ----- jobs -----

    /// Claims up to `limit` due jobs for this worker until `lease_until`, counting the
    /// attempt. Two workers never get the same job: PostgreSQL skips rows another
    /// transaction has locked (`FOR UPDATE SKIP LOCKED`); SQLite runs the whole UPDATE under
    /// its single write lock, so the claim is atomic there too. A job whose worker died is
    /// claimable again once its lease has passed.
    pub async fn claim_jobs(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<JobRow>> {
        const POSTGRES: &str = "UPDATE jobs SET leased_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM jobs \
               WHERE dead_at IS NULL AND run_after <= $2 \
                 AND (leased_until IS NULL OR leased_until < $2) \
               ORDER BY run_after LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, subject, attempts";
        const SQLITE: &str = "UPDATE jobs SET leased_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM jobs \
               WHERE dead_at IS NULL AND run_after <= $2 \
                 AND (leased_until IS NULL OR leased_until < $2) \
               ORDER BY run_after LIMIT $3) \
             RETURNING id, kind, subject, attempts";
        let sql = match self.backend {
            Backend::Postgres => POSTGRES,
            Backend::Sqlite => SQLITE,
        };
        Ok(sqlx::query_as(sql)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.writer)
            .await?)
    }

    /// Finishes a purge: forgets the photo and gives its bytes back to the quota, and
    /// deletes the job, all only if this worker still holds the lease.
    pub async fn finish_purge(&self, job: &JobRow, lease: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        if !delete_leased_job(&mut tx, &job.id, lease).await? {
            return Ok(false);
        }
        let purged: Option<AnyRow> = sqlx::query(
            "DELETE FROM photos WHERE id = $1 AND deleted_at IS NOT NULL \
             RETURNING user_id, stored_bytes",
        )
        .bind(&job.subject)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = purged {
            let user_id: String = row.try_get(0)?;
            let bytes: i64 = row.try_get(1)?;
            sqlx::query("UPDATE users SET used_bytes = used_bytes - $1 WHERE id = $2")
                .bind(bytes)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a finished job if this worker still holds its lease.
    pub async fn finish_job(&self, job_id: &str, lease: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = delete_leased_job(&mut tx, job_id, lease).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Records a failed attempt: retry at `retry_at`, or park the job as dead.
    pub async fn fail_job(
        &self,
        job_id: &str,
        lease: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET leased_until = NULL, last_error = $1, \
               run_after = COALESCE($2, run_after), dead_at = CASE WHEN $2 IS NULL THEN $3 END \
             WHERE id = $4 AND leased_until = $5",
        )
        .bind(error)
        .bind(retry_at)
        .bind(now_ms())
        .bind(job_id)
        .bind(lease)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn photo_prefix(&self, photo_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT object_prefix FROM photos WHERE id = $1")
                .bind(photo_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// (jobs waiting, jobs parked as dead), for the metrics.
    pub async fn job_counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) \
             FROM jobs",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Dead jobs go back to the queue with a fresh attempt count (`picup-server jobs retry`).
    pub async fn revive_dead_jobs(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET dead_at = NULL, attempts = 0, run_after = $1 WHERE dead_at IS NOT NULL",
        )
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    // ----- consistency -----

    /// Which owner an object prefix belongs to: a photo (live or awaiting purge) or a
    /// pending upload. None means nothing in the database accounts for it.
    pub async fn prefix_is_accounted_for(&self, prefix: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM photos WHERE object_prefix = $1 \
             UNION ALL SELECT 1 FROM uploads WHERE id = $1 AND state = 'pending'",
        )
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    pub async fn pending_upload_ids(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM uploads WHERE state = 'pending'")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Every photo row (live or awaiting purge), for checking the bucket.
    pub async fn all_photos(&self) -> Result<Vec<PhotoRow>> {
        Ok(sqlx::query_as(
            "SELECT id, object_prefix, size, thumbnail_size, preview_size, stored_bytes, \
               content_type, taken_at, width, height FROM photos",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Each account's counters beside what its rows add up to.
    pub async fn usage(&self) -> Result<Vec<UsageRow>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.email, u.used_bytes, u.reserved_bytes, \
               CAST(COALESCE((SELECT SUM(p.stored_bytes) FROM photos p WHERE p.user_id = u.id), 0) \
                 AS BIGINT) AS counted_photo_bytes, \
               CAST(COALESCE((SELECT SUM(x.reserved_bytes) FROM uploads x \
                 WHERE x.user_id = u.id AND x.state = 'pending'), 0) AS BIGINT) \
                 AS counted_reservations \
             FROM users u ORDER BY u.email",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sets each account's counters to what its rows add up to (`fsck --repair`). Meant
    /// for a quiet moment: an upload completing at the same instant could be miscounted.
    pub async fn recount_usage(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE users SET \
               used_bytes = CAST(COALESCE((SELECT SUM(p.stored_bytes) FROM photos p \
                 WHERE p.user_id = users.id), 0) AS BIGINT), \
               reserved_bytes = CAST(COALESCE((SELECT SUM(x.reserved_bytes) FROM uploads x \
                 WHERE x.user_id = users.id AND x.state = 'pending'), 0) AS BIGINT)",
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}

async fn insert_job(
    tx: &mut Transaction<'static, Any>,
    kind: &str,
    subject: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, subject, run_after, created_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(format!("{kind}:{subject}"))
    .bind(kind)
    .bind(subject)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn delete_sessions_of(tx: &mut Transaction<'static, Any>, user_id: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

async fn release_reservation(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    bytes: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET reserved_bytes = reserved_bytes - $1 WHERE id = $2")
        .bind(bytes)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn link_photo(
    tx: &mut Transaction<'static, Any>,
    album_id: &str,
    photo_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO album_photos (album_id, photo_id, taken_at) \
         SELECT $1, id, taken_at FROM photos WHERE id = $2 \
         ON CONFLICT (album_id, photo_id) DO NOTHING",
    )
    .bind(album_id)
    .bind(photo_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn delete_leased_job(
    tx: &mut Transaction<'static, Any>,
    job_id: &str,
    lease: i64,
) -> Result<bool> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND leased_until = $2")
        .bind(job_id)
        .bind(lease)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
