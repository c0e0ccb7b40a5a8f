//! The parent's name as the family sees it, in the real window (issue 21, item 9):
//! signed in, Settings → Family cloud shows "Your name, as the family sees it", empty,
//! in large type with a big box and button; "Save name" with "Anna" says so in words,
//! the cloud keeps it, and a link sent afterwards tells the family page "Anna" (the
//! `sender` of the album it reads). A name the cloud refuses (an invisible text-direction
//! mark) gets the cloud's plain sentence and leaves the kept name alone. Screenshots at
//! 1280 × 800 and the smallest window, with an axe audit; no notice covers a button.

use anyhow::{Result, ensure};
use picup_tests::AppWindow;
use picup_tests::cloud::Family;
use picup_tests::cloud_window::{CloudWindow, make_link, summer_photos};
use serde_json::{Value, json};

/// The name the cloud keeps, asked through the shell as Settings asks it.
async fn kept_name(window: &AppWindow) -> Result<Value> {
    Ok(window
        .driver()
        .execute_async(
            "const done = arguments[0]; window.__TAURI__.core.invoke('your_name')\
               .then((n) => done(n ? n.name : 'signed out'), (e) => done(String(e)));",
            Vec::new(),
        )
        .await?
        .json()
        .clone())
}

/// The newest notice about the name.
async fn wait_for_notice(window: &AppWindow, words: &str) -> Result<()> {
    window
        .wait_for_value(
            "the notice about the name",
            "const t = [...document.querySelectorAll('[data-testid=toast] .toast-text')]; \
             return t.length ? t[t.length - 1].textContent : null;",
            json!(words),
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn your_name_is_given_in_settings_and_the_family_page_says_it() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let summer = summer_photos(photos.path(), 1, 62)?;
    let CloudWindow {
        keyring: _keyring,
        server: _server,
        window,
        album_id: _,
    } = CloudWindow::with_album(&summer).await?;

    window
        .script("window.picup.showSettings();", Vec::new())
        .await?;
    let shown = window
        .wait_for(
            "the name form",
            "const f = document.querySelector('[data-testid=your-name-form]'); \
             if (!f || f.hidden) return null; \
             f.scrollIntoView({ block: 'center' }); \
             const box = f.querySelector('input'); \
             const save = f.querySelector('[data-testid=your-name-save]'); \
             return [box.value, f.querySelector('label').textContent, \
               box.getBoundingClientRect().height, save.getBoundingClientRect().height, \
               parseFloat(getComputedStyle(box).fontSize), save.textContent];",
        )
        .await?;
    ensure!(
        shown[0] == "" && shown[1] == "Your name, as the family sees it",
        "empty until given: {shown}"
    );
    ensure!(
        shown[2].as_f64().unwrap_or(0.0) >= 48.0
            && shown[3].as_f64().unwrap_or(0.0) >= 48.0
            && shown[4].as_f64().unwrap_or(0.0) >= 18.0
            && shown[5] == "Save name",
        "a big box and button in large type: {shown}"
    );
    window
        .screenshot_and_audit("settings-your-name", "settings, your name")
        .await?;

    window.type_into("#your-name", "  Anna ").await?;
    window.click("[data-testid=your-name-save]").await?;
    wait_for_notice(
        &window,
        "Saved. Links you send now say \u{201c}Photos from Anna\u{201d}.",
    )
    .await?;
    ensure!(
        kept_name(&window).await? == json!("Anna"),
        "the cloud keeps the trimmed name"
    );
    window
        .ensure_notices_clear("your name saved, 1280 × 800")
        .await?;
    let (width, height) = AppWindow::smallest_size()?;
    window.resize(width, height).await?;
    window
        .script(
            "document.querySelector('[data-testid=your-name-form]').scrollIntoView({ block: 'end' });",
            Vec::new(),
        )
        .await?;
    window
        .ensure_notices_clear("your name saved, smallest window")
        .await?;
    window
        .screenshot("settings-your-name-saved-smallest")
        .await?;
    window.resize(1280, 800).await?;

    // A name with a mark that reverses the text after it is refused in the cloud's
    // words; the kept name stays.
    window
        .script(
            "const box = document.getElementById('your-name'); \
             box.value = 'Anna\\u202Egnp.exe'; \
             document.querySelector('[data-testid=your-name-save]').click();",
            Vec::new(),
        )
        .await?;
    wait_for_notice(
        &window,
        "A name cannot contain control characters or invisible text-direction marks.",
    )
    .await?;
    ensure!(
        kept_name(&window).await? == json!("Anna"),
        "a refused name changes nothing"
    );
    window
        .screenshot_and_audit("settings-your-name-refused", "settings, a refused name")
        .await?;

    // A link sent now names Anna on the family's page.
    picup_tests::cloud_window::open_first_album(&window).await?;
    window.click("[data-testid=share-album]").await?;
    let link = make_link(&window, &[]).await?;
    let album =
        tokio::task::spawn_blocking(move || Family::new(&link, "Grandma").album()).await??;
    ensure!(
        album["sender"] == "Anna",
        "the family page's album: {album}"
    );
    window.close().await?;
    Ok(())
}
