//! Sign-in against an attacker: a flood of wrong passwords checks no more than the
//! limit allows, signing in to one's own account does not reset the count of guesses at
//! another, and a sign-in racing a password reset opens no session.

mod support;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use support::*;

async fn sign_in_status(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> (StatusCode, Option<String>) {
    let response = http
        .post(format!("{base}/v1/sessions"))
        .json(&json!({"email": email, "password": password, "device_name": "probe"}))
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_wrong_sign_ins_checks_no_more_passwords_than_the_limit() {
    let server = InProcess::start(None).await;
    server.account("mum@example.org", 1_000_000).await;
    let flood = client_from("127.0.0.1");
    let answers = join_all((0..200).map(|n| {
        let (flood, base) = (flood.clone(), server.url.clone());
        async move {
            sign_in_status(
                &flood,
                &base,
                "mum@example.org",
                &format!("guess number {n}"),
            )
            .await
        }
    }))
    .await;
    let checked = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|(status, retry)| {
            matches!(
                *status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) && retry.is_some()
        })
        .count();
    assert!(
        checked <= 10,
        "{checked} passwords were checked for one address (the limit is 10)"
    );
    assert_eq!(
        checked + refused,
        200,
        "every other attempt is refused with Retry-After"
    );
    // Mum, from another address, is not locked out by someone else's flood.
    let (status, _) = sign_in_status(
        &client_from("127.0.0.2"),
        &server.url,
        "mum@example.org",
        PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_to_ones_own_account_does_not_reset_guesses_at_another() {
    let server = InProcess::start(None).await;
    server.account("mum@example.org", 1_000_000).await;
    server.account("dad@example.org", 1_000_000).await;
    let probe = client_from("127.0.0.1");
    let mut refused_after = None;
    'guessing: for round in 0..3 {
        for guess in 0..9 {
            let (status, _) =
                sign_in_status(&probe, &server.url, "dad@example.org", "not dad's password").await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                refused_after = Some(round * 9 + guess);
                break 'guessing;
            }
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        // The attacker signs in to their own account to wipe the count.
        let (status, _) = sign_in_status(&probe, &server.url, "mum@example.org", PASSWORD).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused_after = Some(round * 9 + 9);
            break;
        }
        assert_eq!(status, StatusCode::CREATED);
    }
    let refused_after = refused_after.expect("27 guesses and never a 429");
    assert!(
        refused_after <= 10,
        "refused only after {refused_after} guesses"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_checked_against_a_password_reset_meanwhile_opens_no_session() {
    for database in [None, Some(Postgres::start())] {
        let server = InProcess::start(database.as_ref().map(Postgres::url)).await;
        server.account("mum@example.org", 1_000).await;
        let db = &server.backends.db;
        let mum = db.user_by_email("mum@example.org").await.unwrap().unwrap();
        // The password was checked against this hash; then the operator resets it.
        let checked = mum.password_hash.clone();
        picup_server::accounts::reset_password(db, "mum@example.org", "a brand new password")
            .await
            .unwrap();
        let new_hash = db
            .user_by_email("mum@example.org")
            .await
            .unwrap()
            .unwrap()
            .password_hash;
        assert_ne!(new_hash, checked);
        let late = db
            .insert_session("late-token-hash", &mum.id, &checked, "laptop", 0, i64::MAX)
            .await
            .unwrap();
        assert!(!late, "a session outlived the password reset");
        assert!(db.session("late-token-hash").await.unwrap().is_none());
        let current = db
            .insert_session(
                "fresh-token-hash",
                &mum.id,
                &new_hash,
                "laptop",
                0,
                i64::MAX,
            )
            .await
            .unwrap();
        assert!(
            current,
            "a sign-in with the current password opens a session"
        );
        server.stop().await;
    }
}
