//! The window as the family-cloud window tests start it: its own keyring, a new embedded
//! server with one account, the window at 1280 × 800, a folder imported, the cloud
//! connected from Settings as a parent would, everything sent, and the album open; and
//! the Share dialog's one step every such test takes, making a link.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use picup_testkit::PASSWORD;
use picup_testkit::fixtures::Photos;
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::Server;
use serde_json::{Value, json};

use crate::AppWindow;
use crate::cloud::sync_server;

/// The account every such test signs in with.
pub const EMAIL: &str = "anna@example.org";

/// Writes `count` photos of 800 × 600, taken on 14 July 2024 a minute apart, into
/// `parent/Summer` (`seed` makes them differ from another test's) and returns that
/// folder: the album most such tests send.
pub fn summer_photos(parent: &Path, count: u64, seed: u64) -> Result<PathBuf> {
    let summer = parent.join("Summer");
    Photos {
        width: 800,
        height: 600,
        taken: |n| Some(format!("2024:07:14 10:0{n}:00")),
        ..Photos::new(count, seed)
    }
    .write(&summer)?;
    Ok(summer)
}

/// A window signed in to its own server, with one album, open. Take it apart with the
/// keyring and the server bound first (`keyring: _keyring, server: _server, window, …`),
/// so they outlive the window.
pub struct CloudWindow {
    pub keyring: PrivateKeyring,
    pub server: Server,
    pub window: AppWindow,
    /// The album's id in the window's library, as the page knows it.
    pub album_id: Value,
}

impl CloudWindow {
    /// Imports `folder` (one album), connects to the cloud from Settings, waits until
    /// everything is there, and opens the album.
    pub async fn with_album(folder: &Path) -> Result<CloudWindow> {
        CloudWindow::with_album_on(folder, &[]).await
    }

    /// The same, with the server given `server_env` too (`PICUP_SMTP_URL`, say).
    pub async fn with_album_on(folder: &Path, server_env: &[(&str, &str)]) -> Result<CloudWindow> {
        let keyring = PrivateKeyring::start()?;
        let env: Vec<(String, String)> = server_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let server = tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            sync_server(None, &env)
        })
        .await??;
        server.add_account(EMAIL, "2GB")?;
        let window =
            AppWindow::start_with_env(&[("DBUS_SESSION_BUS_ADDRESS", &keyring.bus_address)])
                .await?;
        window
            .driver()
            .set_window_rect(0, 0, 1280, 800)
            .await
            .context("the window at 1280 × 800")?;
        window.import(&[folder]).await?;
        window
            .script("window.picup.showSettings();", Vec::new())
            .await?;
        window.type_into("#cloud-server", server.url()).await?;
        window.type_into("#cloud-email", EMAIL).await?;
        window.type_into("#cloud-password", PASSWORD).await?;
        window.click("[data-testid=cloud-connect]").await?;
        wait_until_all_in_cloud(&window).await?;
        let album_id = open_first_album(&window).await?;
        Ok(CloudWindow {
            keyring,
            server,
            window,
            album_id,
        })
    }
}

/// Waits until the sync bar says every photo is in the family cloud.
pub async fn wait_until_all_in_cloud(window: &AppWindow) -> Result<()> {
    window
        .wait_for_value(
            "everything in the cloud",
            "return document.querySelector('[data-testid=sync-headline]')?.textContent;",
            json!("Everything is in the family cloud."),
        )
        .await?;
    Ok(())
}

/// Shows the shelf and opens its first album; returns the album's id.
pub async fn open_first_album(window: &AppWindow) -> Result<Value> {
    let album_id = window
        .script(
            "return window.picup.showShelf().then(() => \
               Number(document.querySelector('[data-testid=album-card]').dataset.albumId));",
            Vec::new(),
        )
        .await?;
    window
        .script(
            "window.picup.openAlbum(arguments[0]);",
            vec![album_id.clone()],
        )
        .await?;
    Ok(album_id)
}

/// Presses "Make a link" in the open Share dialog and returns the link it then shows,
/// one not among `made` (those made before in the same dialog).
pub async fn make_link(window: &AppWindow, made: &[&str]) -> Result<String> {
    window.click("[data-testid=make-link]").await?;
    let link = window
        .wait_for(
            "the new link",
            &format!(
                "const i = document.querySelector('[data-testid=share-url]'); \
                 return i && !i.closest('[hidden]') && !{made:?}.includes(i.value) && i.value;"
            ),
        )
        .await?;
    Ok(link.as_str().context("the link is text")?.to_owned())
}
