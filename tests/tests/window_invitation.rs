//! An invitation, as a parent gets one (issue 21, item 2): the operator runs
//! `picup-server user invite`, the link it prints opens Pic-up (here: the desktop started
//! with the link as its argument, as `xdg-open` starts it), Settings shows the family
//! cloud's address plainly with the address and email filled in, and the parent signs in
//! by typing only the password. A second Pic-up started with a link hands it to the open
//! window. Links that are not a usable invitation (`javascript:`, `file:`, an overlong
//! one, one missing its email, one whose address is `javascript:`) fill nothing and say so;
//! an email carrying markup is shown as text. Without a family cloud, the Share dialog
//! offers "Open Settings".

use std::path::Path;

use anyhow::{Context, Result, ensure};
use picup_testkit::PASSWORD;
use picup_testkit::fixtures::Photos;
use picup_testkit::keyring::PrivateKeyring;
use picup_tests::cloud::sync_server;
use picup_tests::cloud_window::{EMAIL, open_first_album};
use picup_tests::{AppWindow, Launch};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_fills_the_sign_in_and_a_hostile_link_fills_nothing() -> Result<()> {
    let keyring = PrivateKeyring::start()?;
    let server = tokio::task::spawn_blocking(|| sync_server(None, &[])).await??;
    server.add_account(EMAIL, "2GB")?;

    // The operator's invitation, for the address the family reaches the server by.
    let out = server
        .command(&["user", "invite", EMAIL])
        .env("PICUP_PUBLIC_URL", server.url())
        .env("PICUP_S3_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .output()
        .context("picup-server user invite")?;
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "user invite failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = printed
        .lines()
        .find(|line| line.starts_with("picup://join?"))
        .with_context(|| format!("no invitation link in {printed}"))?
        .to_owned();
    ensure!(
        printed.contains('▀'),
        "no QR code beside the link: {printed}"
    );

    // The parent opens the link: Pic-up starts with it.
    let photos = tempfile::tempdir()?;
    Photos::new(2, 31).write(&photos.path().join("Garden"))?;
    let env = [("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.as_str())];
    let window = AppWindow::launch(Launch {
        env: &env,
        args: &[&link],
        ..Launch::default()
    })
    .await?;
    window.driver().set_window_rect(0, 0, 1280, 800).await?;
    filled_from_invitation(&window, server.url()).await?;
    window
        .screenshot_and_audit("invitation-filled", "Settings filled from an invitation")
        .await?;
    at_the_smallest_size(
        &window,
        "invitation-filled",
        "Settings filled from an invitation",
        false,
    )
    .await?;

    // Links that are not usable invitations, each handed over by a second Pic-up: the
    // form is left empty and a plain sentence says why.
    let hostile = [
        "javascript:alert(document.cookie)".to_owned(),
        "file:///etc/passwd".to_owned(),
        format!("{link}&more={}", "a".repeat(3000)),
        "picup://join?server=https%3A%2F%2Fphotos.example.org".to_owned(),
        "picup://join?server=javascript%3Aalert(1)&email=anna%40example.org".to_owned(),
    ];
    for (at, bad) in hostile.iter().enumerate() {
        open_again_with(&window, &keyring.bus_address, bad).await?;
        let problem = window
            .wait_for(
                "the plain sentence that the link could not be used",
                "const p = document.querySelector('[data-testid=invitation-problem]'); \
                 return p && !document.getElementById('settings').hidden && p.textContent;",
            )
            .await?;
        let problem = problem.as_str().unwrap_or_default();
        ensure!(
            problem.contains("nothing was filled in"),
            "{bad}: the page says {problem:?}"
        );
        let fields = form_values(&window).await?;
        ensure!(
            fields == json!(["", "", ""]),
            "{bad}: the form holds {fields}"
        );
        if at == 0 {
            window
                .screenshot_and_audit("invitation-refused", "a link that is no invitation")
                .await?;
        }
    }

    // An email that carries markup is an address like any other to the form; the page
    // shows it as text and runs nothing.
    let markup = format!(
        "picup://join?server={}&email=%3Cimg%2Fsrc%3Dx%2Fonerror%3Dwindow.pwned%3D1%3E%40a.org",
        server.url().replace(':', "%3A").replace('/', "%2F")
    );
    open_again_with(&window, &keyring.bus_address, &markup).await?;
    window
        .wait_for_value(
            "the email shown as text",
            "const n = document.querySelector('[data-testid=invitation-note]'); \
             return n ? [n.textContent.includes('<img/src=x/onerror=window.pwned=1>@a.org'), \
               n.querySelector('img') === null, window.pwned === undefined] : null;",
            json!([true, true, true]),
        )
        .await?;

    // Without a family cloud, Share is no dead end: "Open Settings" goes there.
    window.import(&[&photos.path().join("Garden")]).await?;
    open_first_album(&window).await?;
    window.click("[data-testid=share-album]").await?;
    window
        .wait_for(
            "the Share dialog",
            "return document.querySelector('[data-testid=share-open-settings]')",
        )
        .await?;
    window
        .screenshot_and_audit(
            "share-without-cloud",
            "Share before the family cloud is set up",
        )
        .await?;
    window
        .ensure_dialog_on_screen("Share without a family cloud")
        .await?;
    at_the_smallest_size(
        &window,
        "share-without-cloud",
        "Share without a family cloud",
        true,
    )
    .await?;
    window.click("[data-testid=share-open-settings]").await?;
    window
        .wait_for_value(
            "Settings after Open Settings",
            "return !document.getElementById('settings').hidden \
               && !document.querySelector('[data-testid=share-dialog]')?.open;",
            json!(true),
        )
        .await?;
    let hint = window
        .script(
            "return document.querySelector('[data-testid=invitation-note], \
               [data-testid=invitation-hint]')?.textContent;",
            Vec::new(),
        )
        .await?;
    ensure!(hint.is_string(), "Settings says nothing about invitations");

    // The real invitation, handed over by a second Pic-up to the one running: filled
    // again, and the parent types only the password.
    open_again_with(&window, &keyring.bus_address, &link).await?;
    filled_from_invitation(&window, server.url()).await?;
    window.type_into("#cloud-password", PASSWORD).await?;
    window.click("[data-testid=cloud-connect]").await?;
    window
        .wait_for_value(
            "signed in",
            "return document.querySelector('.cloud-account')?.textContent;",
            json!(format!("Signed in as {EMAIL}")),
        )
        .await?;
    window.screenshot("invitation-signed-in").await?;
    window.close().await?;
    drop(keyring);
    Ok(())
}

/// At the window's smallest size: no notice over a control, with `dialog` the open
/// dialog's buttons on screen, and a screenshot `name-smallest`. Ends at 1280 × 800.
async fn at_the_smallest_size(
    window: &AppWindow,
    name: &str,
    step: &str,
    dialog: bool,
) -> Result<()> {
    let (width, height) = AppWindow::smallest_size()?;
    window.resize(width, height).await?;
    let step = format!("{step}, at {width} × {height}");
    window.ensure_notices_clear(&step).await?;
    if dialog {
        window.ensure_dialog_on_screen(&step).await?;
    }
    window.screenshot(&format!("{name}-smallest")).await?;
    window.resize(1280, 800).await
}

/// Settings is on screen with the address shown plainly, the address and email filled
/// in, and the password box empty and ready for typing.
async fn filled_from_invitation(window: &AppWindow, address: &str) -> Result<()> {
    window
        .wait_for_value(
            "Settings filled from the invitation",
            "const shown = document.querySelector('[data-testid=invitation-address]'); \
             return !document.getElementById('settings').hidden && shown \
               && [shown.textContent, document.activeElement?.id];",
            json!([address, "cloud-password"]),
        )
        .await?;
    let fields = form_values(window).await?;
    ensure!(
        fields == json!([address, EMAIL, ""]),
        "the form holds {fields}"
    );
    Ok(())
}

/// The address, email and password boxes of the sign-in form.
async fn form_values(window: &AppWindow) -> Result<Value> {
    window
        .script(
            "return ['cloud-server', 'cloud-email', 'cloud-password'] \
               .map(id => document.getElementById(id)?.value);",
            Vec::new(),
        )
        .await
}

/// Starts a second Pic-up with `link`, as `xdg-open` would, and waits until it has handed
/// the link over and exited.
/// `bus` is the session bus the first one is on, where it answers for Pic-up.
async fn open_again_with(window: &AppWindow, bus: &str, link: &str) -> Result<()> {
    // The page forgets what the last link said, so each check sees this link's answer.
    window
        .script(
            "document.querySelectorAll('[data-testid^=invitation-]').forEach(n => n.remove());",
            Vec::new(),
        )
        .await?;
    window.open_again(&[link], Path::new("/"), Some(bus)).await
}
