//! The operator's account commands, run as the real `picup-server` binary beside a
//! running server, on SQLite and on PostgreSQL: a disabled account is refused exactly like
//! a wrong password, its sessions end and its album links close until it is enabled; a
//! reset password ends every session; sessions are listed (never their tokens) and
//! ended; `worker --once` removes the sessions that have ended, and only those; `user
//! add --name` and `user rename` set the name the family page says, within its bounds.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::*;

const MUM: &str = "mum@example.org";
const DAD: &str = "dad@example.org";
const NEW_PASSWORD: &str = "a brand new password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_disable_reset_and_sign_out_accounts_on_sqlite() {
    accounts_story(Install::start(None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_disable_reset_and_sign_out_accounts_on_postgres() {
    accounts_story(Install::start(Some(Postgres::start()))).await;
}

/// A data directory (the embedded S3 endpoint and the CDN key; SQLite too, unless
/// PostgreSQL is given) and one `serve` with no worker in it, so only `worker --once`
/// removes sessions.
struct Install {
    server: Server,
    _postgres: Option<Postgres>,
}

impl Install {
    fn start(postgres: Option<Postgres>) -> Install {
        let mut server = Server::embedded(PICUP_SERVER)
            .unwrap()
            .worker_apart()
            // Wrong passwords are part of the story; the limiter is tested elsewhere.
            .with_env("PICUP_SIGN_IN_FAILURES_ALLOWED", "1000");
        if let Some(postgres) = &postgres {
            server = server.with_env("PICUP_DATABASE_URL", postgres.url());
        }
        server.start().unwrap();
        Install {
            server,
            _postgres: postgres,
        }
    }

    fn url(&self) -> &str {
        self.server.url()
    }

    fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        self.server.cli(args, stdin).unwrap()
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli(args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

async fn sign_in(base: &str, email: &str, password: &str, device: &str) -> Answer {
    Client::new(base)
        .post(
            "/v1/sessions",
            json!({"email": email, "password": password, "device_name": device}),
        )
        .await
}

async fn signed_in(base: &str, email: &str, password: &str, device: &str) -> Client {
    let answer = sign_in(base, email, password, device).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let mut client = Client::new(base);
    client.token = Some(answer.body["token"].as_str().unwrap().to_owned());
    client
}

async fn assert_signed_out(client: &Client, why: &str) {
    let answer = client.get("/v1/me").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated"),
        "{why}"
    );
}

/// A page's status and text, as the family's browser gets it.
async fn family_sees(url: &str) -> (StatusCode, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The device names `user sessions` lists, each with " (ended)" if it has.
fn listed_sessions(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(1)
        .map(|line| {
            let device = line.split("  ").next().unwrap().trim();
            if line.ends_with("(ended)") {
                format!("{device} (ended)")
            } else {
                device.to_owned()
            }
        })
        .collect()
}

/// The state `user list` shows for an account (its last column).
fn listed_state<'a>(listing: &'a str, email: &str) -> &'a str {
    listing
        .lines()
        .find(|line| line.starts_with(email))
        .and_then(|line| line.split_whitespace().last())
        .unwrap_or_else(|| panic!("{email} is not listed: {listing}"))
}

async fn accounts_story(install: Install) {
    let url = install.url().to_owned();
    install.ok(&["user", "add", MUM, "--password-stdin"], Some(PASSWORD));
    install.ok(
        &["user", "add", DAD, "--password-stdin", "--name", " Dad "],
        Some(PASSWORD),
    );
    let dad = signed_in(&url, DAD, PASSWORD, "Dad's laptop").await;

    // ----- the name the family page says -----
    assert_eq!(dad.me().await.display_name.as_deref(), Some("Dad"));
    let out = install.ok(&["user", "rename", MUM, "Mum"], None);
    assert!(out.contains("\"Mum\""), "{out}");
    let too_long = install.cli(&["user", "rename", MUM, &"m".repeat(61)], None);
    assert!(
        !too_long.status.success(),
        "a name of 61 letters is refused"
    );
    let bad = install.cli(
        &[
            "user",
            "add",
            "x@example.org",
            "--password-stdin",
            "--name",
            "a\u{7}",
        ],
        Some(PASSWORD),
    );
    assert!(!bad.status.success(), "a control character is refused");
    assert!(
        !install
            .ok(&["user", "list"], None)
            .contains("x@example.org"),
        "and no account is made"
    );
    install.ok(&["user", "rename", DAD, ""], None);
    assert_eq!(dad.me().await.display_name, None, "\"\" clears it");

    // ----- disable -----
    let laptop = signed_in(&url, MUM, PASSWORD, "Mum's laptop").await;
    let phone = signed_in(&url, MUM, PASSWORD, "Mum's phone").await;
    let album = laptop.album("Seaside").await;
    let shares = format!("/v1/albums/{album}/shares");
    let link = laptop.post(&shares, json!({})).await;
    assert_eq!(link.status, StatusCode::CREATED, "{:?}", link.body);
    let link = link.body["url"].as_str().unwrap().to_owned();
    let turned_off = laptop.post(&shares, json!({})).await;
    let turned_off_id = turned_off.body["id"].as_str().unwrap();
    assert_eq!(
        laptop
            .delete(&format!("/v1/shares/{turned_off_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let turned_off = turned_off.body["url"].as_str().unwrap().to_owned();
    assert_eq!(family_sees(&link).await.0, StatusCode::OK);
    let revoked_page = family_sees(&turned_off).await;
    assert_eq!(revoked_page.0, StatusCode::GONE);
    let wrong_password = sign_in(&url, MUM, "not the password", "x").await;
    assert_eq!(
        (wrong_password.status, wrong_password.code()),
        (StatusCode::UNAUTHORIZED, "wrong_credentials")
    );

    let out = install.ok(&["user", "disable", "Mum@Example.org"], None);
    assert!(out.contains("2 sessions ended"), "{out}");
    assert_signed_out(&laptop, "disabling ends the laptop's session").await;
    assert_signed_out(&phone, "and the phone's").await;
    let refused = sign_in(&url, MUM, PASSWORD, "x").await;
    assert_eq!(
        (refused.status, &refused.body),
        (wrong_password.status, &wrong_password.body),
        "the right password of a disabled account gets the wrong password's answer"
    );
    let unknown = sign_in(&url, "nobody@example.org", PASSWORD, "x").await;
    assert_eq!(
        refused.body, unknown.body,
        "no hint that the account exists"
    );
    assert_eq!(
        family_sees(&link).await,
        revoked_page,
        "the album link closes like a revoked one"
    );
    assert_eq!(
        family_sees(&format!("{link}/photos")).await,
        family_sees(&format!("{turned_off}/photos")).await
    );
    let listed = install.ok(&["user", "list"], None);
    assert_eq!(listed_state(&listed, MUM), "disabled", "{listed}");
    assert_eq!(listed_state(&listed, DAD), "active", "{listed}");
    assert!(listed_sessions(&install.ok(&["user", "sessions", MUM], None)).is_empty());
    assert_eq!(
        dad.get("/v1/me").await.status,
        StatusCode::OK,
        "Dad is untouched"
    );

    // ----- enable -----
    let out = install.ok(&["user", "enable", MUM], None);
    assert!(out.contains("may sign in again"), "{out}");
    assert_signed_out(&laptop, "ended sessions stay ended").await;
    let laptop = signed_in(&url, MUM, PASSWORD, "Mum's laptop").await;
    assert_eq!(laptop.me().await.email, MUM);
    assert_eq!(
        family_sees(&link).await.0,
        StatusCode::OK,
        "the link opens again"
    );
    let listed = install.ok(&["user", "list"], None);
    assert_eq!(listed_state(&listed, MUM), "active", "{listed}");

    // ----- reset-password -----
    let weak = install.cli(
        &["user", "reset-password", MUM, "--password-stdin"],
        Some("short"),
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));
    assert_eq!(
        laptop.get("/v1/me").await.status,
        StatusCode::OK,
        "a refused reset changes nothing"
    );
    let out = install.ok(
        &["user", "reset-password", MUM, "--password-stdin"],
        Some(NEW_PASSWORD),
    );
    assert!(out.contains("1 sessions ended"), "{out}");
    assert!(
        !out.contains(NEW_PASSWORD),
        "a password read from stdin is not echoed"
    );
    assert_signed_out(
        &laptop,
        "a reset ends the sessions opened with the old password",
    )
    .await;
    let old = sign_in(&url, MUM, PASSWORD, "x").await;
    assert_eq!(
        (old.status, &old.body),
        (wrong_password.status, &wrong_password.body)
    );
    let laptop = signed_in(&url, MUM, NEW_PASSWORD, "Mum's laptop").await;

    let out = install.ok(&["user", "reset-password", DAD], None);
    let made_up = out
        .lines()
        .find_map(|line| line.strip_prefix("password (shown only now): "))
        .expect("a made-up password is printed once");
    assert_signed_out(&dad, "Dad's old session ended").await;
    let dad = signed_in(&url, DAD, made_up, "Dad's laptop").await;
    let nobody = install.cli(
        &[
            "user",
            "reset-password",
            "nobody@example.org",
            "--password-stdin",
        ],
        Some(NEW_PASSWORD),
    );
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no account"));

    // ----- sessions -----
    let phone = signed_in(&url, MUM, NEW_PASSWORD, "Mum's phone").await;
    let listing = install.ok(&["user", "sessions", MUM], None);
    assert_eq!(
        listed_sessions(&listing),
        ["Mum's laptop", "Mum's phone"],
        "{listing}"
    );
    for client in [&laptop, &phone] {
        assert!(!listing.contains(client.token.as_deref().unwrap()));
    }
    let out = install.ok(&["user", "sessions", MUM, "--revoke"], None);
    assert!(out.contains("2 sessions of mum@example.org ended"), "{out}");
    assert_signed_out(&laptop, "--revoke ends the laptop's session").await;
    assert_signed_out(&phone, "and the phone's").await;
    assert!(listed_sessions(&install.ok(&["user", "sessions", MUM], None)).is_empty());
    assert_eq!(
        dad.get("/v1/me").await.status,
        StatusCode::OK,
        "Dad is untouched"
    );

    // ----- ended sessions are removed by the worker -----
    // A server whose sign-ins end the moment they are made: no waiting for a clock.
    let instant = install
        .server
        .serve_with_env("serve-instant", &[("PICUP_SESSION_TTL_SECS", "0")])
        .unwrap();
    let tablet = signed_in(&instant.url, MUM, NEW_PASSWORD, "Old tablet").await;
    assert_signed_out(&tablet, "a session that has ended").await;
    let laptop = signed_in(&url, MUM, NEW_PASSWORD, "Mum's laptop").await;
    assert_eq!(
        listed_sessions(&install.ok(&["user", "sessions", MUM], None)),
        ["Old tablet (ended)", "Mum's laptop"]
    );
    let out = install.ok(&["worker", "--once"], None);
    assert!(out.contains("1 ended sessions removed"), "{out}");
    assert_eq!(
        listed_sessions(&install.ok(&["user", "sessions", MUM], None)),
        ["Mum's laptop"]
    );
    assert_eq!(laptop.me().await.email, MUM, "live sessions stay");
    assert_eq!(dad.get("/v1/me").await.status, StatusCode::OK);
    let out = install.ok(&["worker", "--once"], None);
    assert!(out.contains("0 ended sessions removed"), "{out}");
}
