//! When the family cloud is in trouble, the window says so in plain words with what to
//! do next, never a status code (issue 21, item 4). The family cloud sits behind a proxy
//! that answers like a reverse proxy whose server has stopped (503 with a body that is
//! not the server's JSON), and the server is stopped: signing in then, and "Make a link" later, show the plain
//! sentence; the status goes to the log only.

use std::net::SocketAddr;

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::{PASSWORD, free_port};
use picup_tests::AppWindow;
use picup_tests::cloud::{FaultyProxy, sync_server};
use picup_tests::cloud_window::{open_first_album, wait_until_all_in_cloud};

const EMAIL: &str = "anna@example.org";
/// What the parent reads when the family cloud does not answer (`picup_core::cloud::
/// error::UNREACHABLE`).
const NOT_ANSWERING: &str = "The family cloud is not answering just now. Check that this \
     computer is connected to the internet, then try again in a minute.";

/// Fails if `words` carry anything technical: a status code, "HTTP", the proxy's body.
fn ensure_plain(words: &str, step: &str) -> Result<()> {
    for technical in [
        "503",
        "HTTP",
        "Service Unavailable",
        "ServiceUnavailable",
        "(",
    ] {
        ensure!(
            !words.contains(technical),
            "{step}: {technical:?} reached the page: {words:?}"
        );
    }
    ensure!(words == NOT_ANSWERING, "{step}: the page said {words:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_in_trouble_is_told_in_plain_words() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let album = photos.path().join("Picnic");
    Photos {
        width: 640,
        height: 480,
        ..Photos::new(2, 21)
    }
    .write(&album)?;

    let keyring = PrivateKeyring::start()?;
    let proxy_port = free_port();
    let (server, proxy) = tokio::task::spawn_blocking(move || -> Result<_> {
        let server = sync_server(None, &[])?;
        let api: SocketAddr = server
            .url()
            .trim_start_matches("http://")
            .parse()
            .context("the server's address")?;
        let proxy = FaultyProxy::start(proxy_port, api)?;
        server.add_account(EMAIL, "1GB")?;
        Ok((server, proxy))
    })
    .await??;
    let cloud = format!("http://127.0.0.1:{proxy_port}");

    let window =
        AppWindow::start_with_env(&[("DBUS_SESSION_BUS_ADDRESS", &keyring.bus_address)]).await?;
    window.resize(1280, 800).await?;
    window.import(&[&album]).await?;

    // Signing in while the cloud's server is down behind its proxy.
    proxy.set_failing(true);
    window
        .script("window.picup.showSettings();", Vec::new())
        .await?;
    window.type_into("#cloud-server", &cloud).await?;
    window.type_into("#cloud-email", EMAIL).await?;
    window.type_into("#cloud-password", PASSWORD).await?;
    window.click("[data-testid=cloud-connect]").await?;
    let said = window
        .wait_for(
            "the sign-in form to say what is wrong",
            "const p = document.querySelector('#cloud-settings [role=alert]'); \
             return p && !p.hidden && p.textContent;",
        )
        .await?;
    ensure_plain(said.as_str().unwrap_or_default(), "signing in")?;
    window
        .screenshot_and_audit("cloud-trouble-sign-in", "settings, the cloud not answering")
        .await?;

    // It answers again: signing in works and the photos go up.
    proxy.set_failing(false);
    window.type_into("#cloud-password", PASSWORD).await?;
    window.click("[data-testid=cloud-connect]").await?;
    wait_until_all_in_cloud(&window).await?;

    // The server stops while the parent makes a link: its proxy answers for it. (The
    // server stopped, connections the app keeps open end too, so the link is asked for
    // on a new one.)
    open_first_album(&window).await?;
    window.click("[data-testid=share-album]").await?;
    proxy.set_failing(true);
    tokio::task::block_in_place(|| drop(server));
    window.click("[data-testid=make-link]").await?;
    let said = window
        .wait_for(
            "the Share dialog to say what is wrong",
            "const p = document.querySelector('dialog[open] .dialog-problem'); \
             return p && !p.hidden && p.textContent;",
        )
        .await?;
    ensure_plain(said.as_str().unwrap_or_default(), "making a link")?;
    window
        .ensure_dialog_on_screen("the Share dialog saying the cloud is not answering")
        .await?;
    window
        .ensure_in_view(
            "the Share dialog's words about the cloud",
            &["dialog[open] .dialog-problem"],
        )
        .await?;
    window
        .screenshot_and_audit(
            "cloud-trouble-share",
            "share dialog, the cloud not answering",
        )
        .await?;
    ensure!(
        proxy.refused.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the proxy refused"
    );

    // The detail is in the log, for a saved report.
    let log = std::fs::read_to_string(window.library().join("logs").join("pic-up.log"))?;
    ensure!(log.contains("503"), "the log keeps the status: {log}");
    window.close().await?;
    Ok(())
}
