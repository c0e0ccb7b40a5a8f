//! Pic-up opened again while it runs (a second double-click, "Open with Pic-up" on a
//! folder): the second one hands its folder to the open window and exits, and the open
//! window imports it, so there is only ever one Pic-up on screen.

use anyhow::Result;
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
    window.open_again(&["Picnic"], photos.path(), None).await?;

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
