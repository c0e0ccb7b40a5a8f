//! SQLite's hottest reads without sqlx. sqlx's SQLite driver runs each connection on a
//! thread of its own and hands every statement to it and every row back over channels;
//! under `cargo xtask bench server` those wake-ups, not SQLite, took most of the CPU. The
//! album page (an ownership check, a page of photos, their hearts and comments) is
//! therefore read here in one go, on a few rusqlite connections of the same database
//! file, on tokio's blocking threads: one hand-off a page instead of one a statement.
//!
//! Only reads come here: the connections are `query_only`, WAL lets them run beside the
//! one writer, and each statement sees what was committed before it began, as on the
//! sqlx pool. PostgreSQL, and an in-memory SQLite, keep the sqlx path.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use super::{DbError, Result};

/// Connections kept (and blocking threads used) at most: more than the cores of a small
/// server buys nothing but contention.
const CONNECTIONS: usize = 4;

pub(super) struct NativeReads {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
    slots: Semaphore,
}

impl NativeReads {
    /// For a `sqlite://PATH?…` URL naming a file; None for anything else.
    pub(super) fn for_url(url: &str) -> Option<Arc<NativeReads>> {
        let rest = url.strip_prefix("sqlite://")?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") || rest.contains("mode=memory") {
            return None;
        }
        Some(Arc::new(NativeReads {
            path: PathBuf::from(path),
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(CONNECTIONS),
        }))
    }

    /// Runs `read` on a connection, on a blocking thread.
    pub(super) async fn read<T, F>(self: &Arc<Self>, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let _slot = self.slots.acquire().await.expect("never closed");
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let connection = match this.idle.lock().expect("idle connections").pop() {
                Some(connection) => connection,
                None => this.open()?,
            };
            let answer = read(&connection);
            this.idle.lock().expect("idle connections").push(connection);
            answer.map_err(DbError::from)
        })
        .await
        .expect("a read does not panic")
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        // Read-write so it can share the WAL index, but refusing any change.
        let connection = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.execute_batch("PRAGMA query_only = 1; PRAGMA busy_timeout = 15000;")?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sqlite_file_gets_native_reads() {
        let path = |url: &str| NativeReads::for_url(url).map(|n| n.path.clone());
        assert_eq!(
            path("sqlite:///srv/picup/picup.db?mode=rwc"),
            Some(PathBuf::from("/srv/picup/picup.db"))
        );
        assert_eq!(
            path("sqlite://snapshot.db"),
            Some(PathBuf::from("snapshot.db"))
        );
        assert_eq!(path("sqlite::memory:"), None);
        assert_eq!(path("sqlite://:memory:"), None);
        assert_eq!(path("sqlite://file.db?mode=memory"), None);
        assert_eq!(path("postgres://picup@localhost/picup"), None);
    }
}
