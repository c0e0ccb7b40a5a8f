//! Session lookups, coalesced. Every signed-in request asks whose its bearer token is;
//! under load most of those questions arrive while one is already being answered. They
//! queue here, and one task answers each queue with one statement for all the distinct
//! tokens in it, so a busy server runs a few hundred lookups a second instead of one per
//! request (on SQLite each statement is a hand-off to sqlx's connection thread and back).
//!
//! Nothing is remembered between statements: a lookup is answered by a statement that
//! began after the request arrived, so a session ended anywhere — signed out here, ended
//! by `picup-server user disable` in another process, or by another replica — is refused
//! by the very next request, and a flood of made-up tokens leaves nothing behind.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::{DbError, Result, placeholders};

/// A session's account and when it ends (ms), if the token hash is known and the account
/// is not disabled.
type Found = Option<(String, i64)>;
/// The statement's error is shared by everyone whose token was in it.
type Answer = std::result::Result<Found, Arc<sqlx::Error>>;

/// Requests taken into one round; they share the statements of that round.
const MOST_PER_ROUND: usize = 1024;
/// Distinct tokens bound into one statement (a flood of made-up tokens is answered in
/// several).
const MOST_PER_STATEMENT: usize = 64;

/// The queue of lookups waiting for the next statement.
pub(super) struct SessionLookups {
    waiting: mpsc::Sender<(String, oneshot::Sender<Answer>)>,
}

impl SessionLookups {
    /// Starts the task that answers lookups on `pool`; it ends when the last handle
    /// (every clone of the `Db`) is gone. Must be called inside a tokio runtime.
    pub(super) fn start(pool: AnyPool) -> SessionLookups {
        let (waiting, queue) = mpsc::channel(MOST_PER_ROUND);
        tokio::spawn(answer_lookups(pool, queue));
        SessionLookups { waiting }
    }

    pub(super) async fn look_up(&self, token_hash: &str) -> Result<Found> {
        let (reply, answer) = oneshot::channel();
        let gone = || DbError::Sql(sqlx::Error::PoolClosed);
        self.waiting
            .send((token_hash.to_owned(), reply))
            .await
            .map_err(|_| gone())?;
        match answer.await.map_err(|_| gone())? {
            Ok(found) => Ok(found),
            Err(e) => Err(DbError::Sql(sqlx::Error::Protocol(format!(
                "looking up a session: {e}"
            )))),
        }
    }
}

/// Takes whatever has queued since the last round (at least one), looks it all up, and
/// answers each; what arrives meanwhile waits for the next round.
async fn answer_lookups(
    pool: AnyPool,
    mut queue: mpsc::Receiver<(String, oneshot::Sender<Answer>)>,
) {
    let mut round = Vec::with_capacity(MOST_PER_ROUND);
    while queue.recv_many(&mut round, MOST_PER_ROUND).await > 0 {
        let mut hashes: Vec<&str> = round.iter().map(|(hash, _)| hash.as_str()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut found = HashMap::new();
        let mut failed = None;
        for chunk in hashes.chunks(MOST_PER_STATEMENT) {
            match sessions(&pool, chunk).await {
                Ok(rows) => found.extend(rows),
                Err(e) => {
                    failed = Some(Arc::new(e));
                    break;
                }
            }
        }
        for (hash, reply) in round.drain(..) {
            // A requester that gave up (its connection closed) no longer listens.
            let _ = reply.send(match &failed {
                Some(e) => Err(e.clone()),
                None => Ok(found.get(&hash).cloned()),
            });
        }
    }
}

/// One statement: the sessions among `hashes` whose accounts are not disabled. (Disabling
/// deletes the sessions too; this also shuts out one opened by a sign-in that was checking
/// the password at that very moment.)
async fn sessions(
    pool: &AnyPool,
    hashes: &[&str],
) -> std::result::Result<Vec<(String, (String, i64))>, sqlx::Error> {
    let sql = format!(
        "SELECT s.token_hash, s.user_id, s.expires_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash IN ({}) AND u.disabled_at IS NULL",
        placeholders(1, hashes.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for hash in hashes {
        query = query.bind(hash.to_string());
    }
    let rows: Vec<AnyRow> = query.fetch_all(pool).await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?))))
        .collect()
}
