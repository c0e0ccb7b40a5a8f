//! Pic-up opens where the parent left it: the window's size and position and the album
//! on screen, but never out of sight.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use picup_testkit::eventually_async;
use picup_testkit::fixtures::Photos;
use picup_testkit::wait::WAIT;
use picup_tests::{AppWindow, Launch};
use serde_json::{Value, json};

fn photo_folder(parent: &Path, name: &str, count: u64) -> Result<std::path::PathBuf> {
    let folder = parent.join(name);
    Photos::new(count, 40).write(&folder)?;
    Ok(folder)
}

async fn album_title_on_screen(window: &AppWindow, title: &str) -> Result<()> {
    window
        .wait_for_value(
            &format!("the album {title} on screen"),
            "return document.body.dataset.page === 'album'
               ? document.querySelector('[data-testid=album-page-title]')?.textContent : null;",
            json!(title),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_where_it_was_left() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let garden = photo_folder(photos.path(), "Garden", 2)?;
    let library = tempfile::tempdir()?;
    let launch = || Launch {
        library: Some(library.path()),
        ..Launch::default()
    };

    let window = AppWindow::launch(launch()).await?;
    window
        .script(
            "window.picup.importPaths(arguments[0]); return true;",
            vec![json!([garden])],
        )
        .await?;
    album_title_on_screen(&window, "Garden").await?;
    window
        .driver()
        .set_window_rect(60, 50, 900, 640)
        .await
        .context("moving and resizing the window")?;
    // Written a moment after the window settles, not only on close: the app may be
    // killed, as the test harness does, and it must still be remembered.
    let remembered = library.path().join("window.json");
    eventually_async("the new place to be written", WAIT, || async {
        let saved: Value = fs::read(&remembered)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok((saved["width"] == 900 && saved["x"] == 60 && saved["album"].is_number()).then_some(()))
    })
    .await?;
    window.close().await?;

    let window = AppWindow::launch(launch()).await?;
    album_title_on_screen(&window, "Garden").await?;
    let rect = window.driver().get_window_rect().await?;
    ensure!(
        (rect.x, rect.y, rect.width, rect.height) == (60, 50, 900, 640),
        "the window opened at {rect:?}, not where it was left"
    );
    // Back on the shelf: the next start opens the shelf.
    window
        .script("return window.picup.showShelf().then(() => true);", vec![])
        .await?;
    eventually_async("the shelf to be remembered", WAIT, || async {
        let saved: Value = serde_json::from_slice(&fs::read(&remembered)?)?;
        Ok(saved["album"].is_null().then_some(()))
    })
    .await?;
    window.close().await?;

    // A place on a screen that is gone (a monitor unplugged) is not used.
    fs::write(
        &remembered,
        json!({"x": 4000, "y": 3000, "width": 800, "height": 600, "album": null}).to_string(),
    )?;
    let window = AppWindow::launch(launch()).await?;
    window
        .wait_for_value(
            "the shelf",
            "return document.body.dataset.page;",
            json!("shelf"),
        )
        .await?;
    let rect = window.driver().get_window_rect().await?;
    ensure!(
        rect.x + rect.width <= 1280 && rect.y + rect.height <= 900 && rect.width == 800,
        "the window is off the screen at {rect:?}"
    );
    window.close().await
}
