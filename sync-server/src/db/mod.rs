//! The data-access layer: every SQL statement the server runs lives under here, one file
//! per kind of thing kept (`users` with their sessions, `albums`, `photos`, `uploads`,
//! `shares`, `responses` (hearts and comments), `subscriptions` and `family_digests`
//! (e-mail), `jobs`, `changes`, `trash`, and the
//! `consistency` sums `fsck` reads; `album_page`, the owner's album page in one read,
//! natively on SQLite through `native_reads`; `session_lookups`, bearer tokens looked up
//! together). It
//! hands the rest of the server plain domain values, never database encodings (flags as
//! integers, states as words), and knows no rules: the domain modules decide, and drive
//! the steps of a multi-step change through one [`Tx`].
//!
//! One set of queries serves SQLite (the single-machine default) and PostgreSQL (the
//! scale-out path) through sqlx's `Any` driver: `$1` placeholders, BIGINT millisecond
//! times and `ON CONFLICT`/`RETURNING`, which both speak. The dialects differ in how a
//! worker claims jobs (see [`Db::claim_jobs`]), and the album page has its own SQLite
//! statements for the native read (`album_page`), which answers the same. Times come in as
//! arguments, from the caller's [`crate::clock::Clock`].
//!
//! Kept here:
//! - quota is reserved by one conditional UPDATE, never read-then-write;
//! - a transaction on SQLite starts with `BEGIN IMMEDIATE`, so it never has to upgrade
//!   a read lock mid-way.

mod album_page;
mod albums;
mod before_reserving;
mod changes;
mod consistency;
mod family_digests;
mod jobs;
mod link_visits;
mod native_reads;
mod photos;
mod responses;
mod session_lookups;
mod shares;
mod subscriptions;
mod trash;
mod uploads;
mod users;
mod web_copies;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

pub use album_page::OwnedPage;
pub use albums::{Album, AlbumSummary};
pub use before_reserving::BeforeReserving;
pub use changes::{Change, ChangeKind};
pub use consistency::Usage;
pub use family_digests::{FamilyAdded, FamilyDigest, FamilyNews, FamilyQuote, FamilyResponses};
pub use jobs::{Job, JobKind};
pub use photos::{DerivedSizes, NewPhoto, Photo, ToDerive};
pub use responses::{Comment, NewComment, ResponseCounts};
pub use shares::{NewShare, ShareLink, SharedAlbum};
pub use subscriptions::{AlbumNews, NewSubscription, Subscription};
pub use trash::{DueItem, LinkRestore, TrashedLink};
pub use uploads::{NewUpload, Upload, UploadState};
pub use users::{Account, Session};
pub use web_copies::ToCopy;

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
    /// A stored word (a state, a job kind) this version does not know: a newer version
    /// wrote it, or the row was damaged. Never read as some default.
    #[error("the database holds {what} {word:?}, which this version does not know")]
    UnknownWord { what: &'static str, word: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Native(#[from] rusqlite::Error),
}

impl DbError {
    /// True when the failure is a uniqueness conflict with a concurrent writer.
    pub fn is_conflict(&self) -> bool {
        matches!(self, DbError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The numbered migrations (version, SQL), applied in order and recorded in
/// `schema_migrations`. Public so the upgrade test can build a database of each earlier
/// version from a prefix of this list.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/0001_accounts_albums_uploads.sql"),
    ),
    (2, include_str!("../../migrations/0002_share_links.sql")),
    (
        3,
        include_str!("../../migrations/0003_multipart_uploads.sql"),
    ),
    (
        4,
        include_str!("../../migrations/0004_disabled_accounts_and_session_expiry.sql"),
    ),
    (5, include_str!("../../migrations/0005_change_feed.sql")),
    (
        6,
        include_str!("../../migrations/0006_restore_names_and_times.sql"),
    ),
    (7, include_str!("../../migrations/0007_trash.sql")),
    (8, include_str!("../../migrations/0008_contributions.sql")),
    (9, include_str!("../../migrations/0009_web_copies.sql")),
    (10, include_str!("../../migrations/0010_link_passwords.sql")),
    (
        11,
        include_str!("../../migrations/0011_hearts_and_comments.sql"),
    ),
    (
        12,
        include_str!("../../migrations/0012_email_subscriptions.sql"),
    ),
    (13, include_str!("../../migrations/0013_family_digests.sql")),
    (14, include_str!("../../migrations/0014_display_names.sql")),
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
    /// Bearer tokens waiting to be looked up together (see [`session_lookups`]).
    session_lookups: std::sync::Arc<session_lookups::SessionLookups>,
    /// On a SQLite file, the hottest reads' own connections (see [`native_reads`]).
    native_reads: Option<std::sync::Arc<native_reads::NativeReads>>,
}

/// One transaction: the steps of a multi-step change, which the domain modules put
/// together. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx(Transaction<'static, Any>);

impl Tx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.0.commit().await?)
    }

    /// Undoes the steps so far at once (rather than when the connection is next used).
    pub async fn rollback(self) -> Result<()> {
        Ok(self.0.rollback().await?)
    }

    fn conn(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}

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
            // A connection to a local file cannot have gone away while it sat in the
            // pool, so sqlx's ping before handing it out (a round trip to the
            // connection's thread on every acquire, 6% of the server's CPU on
            // reservations) checks nothing. PostgreSQL keeps it: a restarted database
            // leaves dead connections behind.
            options.test_before_acquire(false).after_connect(|conn, _| {
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
            session_lookups: std::sync::Arc::new(session_lookups::SessionLookups::start(
                pool.clone(),
            )),
            native_reads: native_reads::NativeReads::for_url(url),
            pool,
            writer,
            backend,
        })
    }

    /// Starts a transaction for a change of several steps.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        }))
    }

    /// Applies the migrations not yet applied. Safe to run from several replicas at once
    /// on PostgreSQL (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        self.apply_migrations(MIGRATIONS).await
    }

    /// Applies those of `migrations` not yet applied, in order; returns their versions.
    /// The server always passes all of [`MIGRATIONS`] (through [`Db::migrate`]); the
    /// upgrade test passes a prefix to make the database an earlier version made.
    pub async fn apply_migrations(&self, migrations: &[(i64, &str)]) -> Result<Vec<i64>> {
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
        for (version, sql) in migrations {
            let mut tx = self.begin().await?;
            if self.backend == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(7261001)")
                    .execute(tx.conn())
                    .await?;
            }
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(tx.conn())
                    .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(tx.conn())
                .await?;
            // A note for the operator, not a decision: the system clock is right here.
            let applied_at = crate::clock::Clock::system().now_ms();
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(applied_at)
                .execute(tx.conn())
                .await?;
            tx.commit().await?;
            applied.push(*version);
        }
        Ok(applied)
    }

    /// Writes a consistent copy of a SQLite database to `path` (which must not exist)
    /// with `VACUUM INTO`: one read transaction, so writers carry on meanwhile and the
    /// copy holds every committed change up to its start and nothing after.
    pub async fn snapshot_into(&self, path: &std::path::Path) -> Result<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The highest migration applied, or 0 for an empty database.
    pub async fn schema_version(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
        )
        .fetch_one(&self.pool)
        .await?)
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
}

/// "$1, $2, …" for binding a list, numbered from `first`.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
