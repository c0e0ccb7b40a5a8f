//! Bearer tokens under load, on SQLite and on PostgreSQL. Lookups made at the same moment
//! are answered together (`db/session_lookups.rs`); that must never cost a family its
//! sign-out: a session ended by signing out or by the operator is refused by the very
//! next request while others keep asking, each token gets its own account's answer
//! however many ask at once, a session past its end is refused when the clock passes it,
//! and a flood of made-up tokens is refused without hurting anyone signed in.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use picup_server::accounts;
use reqwest::StatusCode;
use support::*;

const MUM: &str = "mum@example.org";
const DAD: &str = "dad@example.org";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_is_refused_by_the_next_request_on_sqlite() {
    ended_sessions_story(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_is_refused_by_the_next_request_on_postgres() {
    let postgres = Postgres::start();
    ended_sessions_story(InProcess::start(Some(postgres.url())).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_asked_at_once_each_get_their_own_answer_on_sqlite() {
    many_at_once_story(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_asked_at_once_each_get_their_own_answer_on_postgres() {
    let postgres = Postgres::start();
    many_at_once_story(InProcess::start(Some(postgres.url())).await).await;
}

/// Dad asks `/v1/me` over and over until told to stop, checking each answer is his.
fn keep_asking(dad: Client, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut asked = 0;
        while !stop.load(Ordering::Relaxed) {
            let answer = dad.get("/v1/me").await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            assert_eq!(answer.body["email"], DAD);
            asked += 1;
        }
        asked
    })
}

async fn assert_refused(client: &Client, why: &str) {
    let answer = client.get("/v1/me").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated"),
        "{why}"
    );
}

async fn ended_sessions_story(server: InProcess) {
    let dad = server.account(DAD, 1_000).await;
    let laptop = server.account(MUM, 1_000).await;
    let mut phone = Client::new(&server.url);
    phone.sign_in(MUM, PASSWORD).await;
    let (db, clock) = (&server.backends.db, &server.backends.clock);

    // Others keep the lookups busy, so Mum's are answered beside theirs.
    let stop = Arc::new(AtomicBool::new(false));
    let askers: Vec<_> = (0..8)
        .map(|_| keep_asking(dad.clone(), stop.clone()))
        .collect();
    for _ in 0..20 {
        assert_eq!(phone.me().await.email, MUM);
        assert_eq!(laptop.me().await.email, MUM);
    }

    let signed_out = phone.delete("/v1/sessions/current").await;
    assert_eq!(signed_out.status, StatusCode::NO_CONTENT);
    assert_refused(&phone, "the request right after signing out").await;
    assert_eq!(laptop.me().await.email, MUM, "the laptop's session goes on");

    let ended = accounts::disable(db, clock, MUM).await.unwrap();
    assert_eq!(ended, 1);
    assert_refused(&laptop, "the request right after the account is disabled").await;

    accounts::enable(db, MUM).await.unwrap();
    let mut laptop = Client::new(&server.url);
    laptop.sign_in(MUM, PASSWORD).await;
    assert_eq!(laptop.me().await.email, MUM);
    accounts::reset_password(db, MUM, "a brand new password")
        .await
        .unwrap();
    assert_refused(&laptop, "the request right after a password reset").await;

    stop.store(true, Ordering::Relaxed);
    for asker in askers {
        assert!(asker.await.unwrap() > 0, "Dad was answered all along");
    }

    // A session past its end: refused once the server's clock passes it, not before.
    let mut tablet = Client::new(&server.url);
    tablet.sign_in(DAD, PASSWORD).await;
    clock.advance(Duration::from_secs(server.config.session_ttl_secs - 60));
    assert_eq!(tablet.me().await.email, DAD);
    clock.advance(Duration::from_secs(61));
    assert_refused(&tablet, "a session whose time has run out").await;
    server.stop().await;
}

async fn many_at_once_story(server: InProcess) {
    let mut family = Vec::new();
    for n in 0..6 {
        let email = format!("member{n}@example.org");
        family.push((server.account(&email, 1_000).await, email));
    }
    // Every member asks many times at once, among as many made-up tokens.
    let mut asking = Vec::new();
    for round in 0..20 {
        for (client, email) in &family {
            let (client, email) = (client.clone(), email.clone());
            asking.push(tokio::spawn(async move {
                let answer = client.get("/v1/me").await;
                assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
                assert_eq!(
                    answer.body["email"],
                    email.as_str(),
                    "someone else's answer"
                );
            }));
            let mut stranger = Client::new(&server.url);
            stranger.token = Some(format!("made-up-token-{round}-{}", asking.len()));
            asking.push(tokio::spawn(async move {
                assert_refused(&stranger, "a made-up token").await;
            }));
        }
    }
    for asked in asking {
        asked.await.unwrap();
    }
    server.stop().await;
}
