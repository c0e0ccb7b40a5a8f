//! Pic-up opened again while it runs (a second double-click, "Open with Pic-up" on a
//! folder): the second one hands its folder to the open window and exits, and the open
//! window imports it, so there is only ever one Pic-up on screen.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use picup_testkit::fixtures::Photos;
use picup_tests::AppWindow;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_hands_its_folder_to_the_open_window() -> Result<()> {
    let photos = tempfile::tempdir()?;
    Photos::new(3, 90).write(&photos.path().join("Picnic"))?;
    let window = AppWindow::start().await?;
    window.wait_for_first_screen().await?;

    // The second Pic-up, as a file manager would start it: with the folder, from the
    // folder's parent, on the same screen and session.
    let mut second = picup_testkit::program(window.app_binary())
        .arg("Picnic")
        .current_dir(photos.path())
        .env("DISPLAY", window.display())
        .env("PICUP_LIBRARY", window.library())
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY")
        .spawn()
        .context("starting a second Pic-up")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            bail!("the second Pic-up did not exit: two windows would be open");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(status.success(), "the second Pic-up exited with {status}");

    // The open window got the folder, imported it and shows its album.
    window
        .wait_for_value(
            "the handed-over folder's album with its three photos",
            "return window.__TAURI__.core.invoke('list_albums')
               .then(albums => albums.map(a => [a.title, a.count]));",
            json!([["Picnic", 3]]),
        )
        .await?;
    window
        .wait_for_value(
            "the album on screen",
            "return document.querySelector('[data-testid=album-page-title]')?.textContent;",
            json!("Picnic"),
        )
        .await?;
    window.close().await?;
    Ok(())
}
