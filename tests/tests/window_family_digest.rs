//! The owner's e-mail of what the family did, in the real window (issue 19): signed in
//! to a cloud that sends e-mail, Settings → Family cloud shows "E-mail me when the family
//! adds photos or writes comments", off, in large type with a big target; ticking it
//! says so in words and the cloud keeps it (asked again through the shell). A
//! screenshot at 1280 × 800, with an axe audit; the notice covers no button there or at
//! the smallest window.

use anyhow::{Result, ensure};
use picup_tests::AppWindow;
use picup_tests::cloud_window::{CloudWindow, summer_photos};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_digest_switch_in_settings() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let summer = summer_photos(photos.path(), 1, 62)?;
    // Nothing is sent in this test: the server only needs to know it can send e-mail.
    let CloudWindow {
        keyring: _keyring,
        server: _server,
        window,
        album_id: _,
    } = CloudWindow::with_album_on(&summer, &[("PICUP_SMTP_URL", "smtp://127.0.0.1:2")]).await?;

    window
        .script("window.picup.showSettings();", Vec::new())
        .await?;
    let shown = window
        .wait_for(
            "the family digest switch",
            "const l = document.querySelector('[data-testid=family-digest-switch]'); \
             if (!l || l.hidden) return null; \
             const box = l.querySelector('input'); \
             return [box.checked, l.textContent, l.getBoundingClientRect().height, \
               parseFloat(getComputedStyle(l).fontSize)];",
        )
        .await?;
    ensure!(shown[0] == false, "off until turned on: {shown}");
    ensure!(
        shown[1] == "E-mail me when the family adds photos or writes comments",
        "{shown}"
    );
    ensure!(
        shown[2].as_f64().unwrap_or(0.0) >= 48.0 && shown[3].as_f64().unwrap_or(0.0) >= 18.0,
        "a big target in large type: {shown}"
    );
    window
        .script(
            "document.querySelector('[data-testid=family-digest-switch]').scrollIntoView({ block: 'center' });",
            Vec::new(),
        )
        .await?;
    window
        .screenshot_and_audit(
            "settings-family-digest",
            "settings, the family digest switch",
        )
        .await?;

    window.click("[data-testid=family-digest]").await?;
    window
        .wait_for_value(
            "the toast",
            "return [...document.querySelectorAll('[data-testid=toast] .toast-text')].map((t) => t.textContent)\
               .find((t) => t.includes('e-mail')) ?? null;",
            json!("You will get an e-mail when the family adds photos or writes comments."),
        )
        .await?;
    // The notice lies over none of Settings' buttons, in a big window or the smallest.
    window
        .ensure_notices_clear("the digest switched on, 1280 × 800")
        .await?;
    let (width, height) = AppWindow::smallest_size()?;
    window.resize(width, height).await?;
    window
        .ensure_notices_clear("the digest switched on, smallest window")
        .await?;
    window
        .screenshot("settings-family-digest-on-smallest")
        .await?;
    window.resize(1280, 800).await?;
    // The cloud keeps it: asked again through the shell, it is on.
    let asked = window
        .driver()
        .execute_async(
            "const done = arguments[0]; window.__TAURI__.core.invoke('family_digest')\
               .then((d) => done(d && d.on), (e) => done(String(e)));",
            Vec::new(),
        )
        .await?;
    ensure!(
        asked.json() == &json!(true),
        "the cloud says on: {:?}",
        asked.json()
    );
    window
        .screenshot_and_audit(
            "settings-family-digest-on",
            "settings, the family digest on",
        )
        .await?;
    window.close().await?;
    Ok(())
}
