//! The family cloud in the window: the commands behind Settings → "Connect to the
//! family cloud" (with the owner's e-mail of what the family did), the sync status
//! (`sync-status` events), and "Share album". All the
//! work is in `picup_core::cloud`, and the copy runs in the library's session.
//!
//! The sign-in token is kept in the OS keyring. Where there is none, it is kept only in
//! memory and the page says so: the parent signs in again at the next start.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use picup_api as api;
use picup_core::cloud::family_digest::FamilyDigest;
use picup_core::cloud::your_name::YourName;
use picup_core::cloud::{self, CloudClient, NotPrivate, SyncOptions, SyncStatus};
use picup_core::index::SyncAccount;
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::error::{CommandError, CommandResult, off_the_window_thread};
use crate::state::{AppState, AppStateRef};
use crate::views::{FileProblem, ShareCard};

fn start_engine(app: &AppHandle, state: &Arc<AppState>, client: CloudClient) {
    crate::cloud_albums::start_following(app, state, client.clone());
    let events = app.clone();
    let started = state.session.start_sync(
        client.clone(),
        SyncOptions::default(),
        Box::new(move |status: &SyncStatus| {
            let _ = events.emit("sync-status", status);
        }),
    );
    match started {
        Ok(()) => state.cloud.set_client(client),
        Err(error) => picup_core::diagnostics::problem(&format!(
            "Pic-up could not start copying to the cloud: {error}"
        )),
    }
}

/// At start-up: sign in again from the keyring, if the parent connected before.
/// `cargo xtask run` also passes a development server and account
/// (`PICUP_DEV_SERVER`, `PICUP_DEV_EMAIL`, `PICUP_DEV_PASSWORD`) so a newcomer sees
/// sync working at once; it is used only while no account is connected.
pub fn start_cloud(app: &AppHandle, state: &Arc<AppState>) {
    let app = app.clone();
    let state = Arc::clone(state);
    // Network and keyring calls stay off the window's thread.
    std::thread::spawn(move || {
        let mut index = match state.library().index() {
            Ok(index) => index,
            Err(error) => {
                picup_core::diagnostics::problem(&format!(
                    "Pic-up could not read its library: {error}"
                ));
                return;
            }
        };
        match cloud::resume(&index) {
            Ok(Some(client)) => return start_engine(&app, &state, client),
            Ok(None) => {}
            Err(problem) => state.cloud.set_keyring_problem(Some(problem.to_string())),
        }
        let dev = ["PICUP_DEV_SERVER", "PICUP_DEV_EMAIL", "PICUP_DEV_PASSWORD"]
            .map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        if let [Some(server), Some(email), Some(password)] = dev
            && index.sync_account().ok().flatten().is_none()
        {
            match cloud::connect(
                &mut index,
                &server,
                &email,
                &password,
                "Pic-up (development)",
                NotPrivate::Refuse,
            ) {
                Ok((client, kept)) => {
                    state.cloud.note_keyring(&kept);
                    start_engine(&app, &state, client);
                    let _ = app.emit("library-changed", ());
                }
                Err(error) => picup_core::diagnostics::problem(&format!(
                    "Pic-up could not sign in to {server}: {error}"
                )),
            }
        }
    });
}

/// What Settings and the status bar show.
#[derive(Serialize)]
pub struct CloudOverview {
    account: Option<SyncAccount>,
    /// Signed in now (an account can be remembered but need its password again).
    connected: bool,
    status: Option<SyncStatus>,
    keyring_problem: Option<String>,
}

#[tauri::command]
pub fn cloud_overview(state: AppStateRef<'_>) -> CommandResult<CloudOverview> {
    let account = state.library().index()?.sync_account()?;
    let status = state.session.sync_status();
    Ok(CloudOverview {
        connected: status.is_some(),
        status,
        account,
        keyring_problem: state.cloud.keyring_problem(),
    })
}

/// Signs in. `accept_not_private` is the parent's "Sign in anyway" after the page asked
/// about an address that is not private (an error of kind `not_private`).
#[tauri::command]
pub async fn cloud_connect(
    app: AppHandle,
    state: AppStateRef<'_>,
    server: String,
    email: String,
    password: String,
    accept_not_private: bool,
) -> CommandResult<CloudOverview> {
    let not_private = if accept_not_private {
        NotPrivate::Accepted
    } else {
        NotPrivate::Refuse
    };
    let state = Arc::clone(&state);
    let events = app.clone();
    off_the_window_thread(
        "Signing in stopped unexpectedly. Please try again.",
        move || {
            let mut index = state.library().index()?;
            let device = "Pic-up on this computer";
            let (client, kept) =
                cloud::connect(&mut index, &server, &email, &password, device, not_private)?;
            state.cloud.note_keyring(&kept);
            start_engine(&events, &state, client);
            Ok(())
        },
    )
    .await?;
    let _ = app.emit("library-changed", ());
    cloud_overview(tauri::Manager::state(&app))
}

#[tauri::command]
pub async fn cloud_disconnect(app: AppHandle, state: AppStateRef<'_>) -> CommandResult<()> {
    let state = Arc::clone(&state);
    off_the_window_thread(
        "Signing out stopped unexpectedly. Please try again.",
        move || {
            state.session.stop_sync_in_background();
            state.cloud.stop_following();
            let client = state.cloud.take_client();
            cloud::disconnect(&mut state.library().index()?, client.as_ref())?;
            Ok(())
        },
    )
    .await?;
    let _ = app.emit("library-changed", ());
    Ok(())
}

/// The owner's e-mail of what the family did: on or off, and whether the cloud sends
/// e-mail at all (None when signed out or out of reach: Settings then offers nothing).
#[tauri::command]
pub async fn family_digest(state: AppStateRef<'_>) -> CommandResult<Option<FamilyDigest>> {
    let Ok(client) = state.cloud.client() else {
        return Ok(None);
    };
    off_the_window_thread("Pic-up stopped asking the family cloud.", move || {
        Ok(cloud::family_digest::family_digest(&client).ok())
    })
    .await
}

/// "E-mail me when the family adds photos or writes comments": on or off.
#[tauri::command]
pub async fn set_family_digest(state: AppStateRef<'_>, on: bool) -> CommandResult<FamilyDigest> {
    let client = state.cloud.client()?;
    off_the_window_thread(
        "Changing the e-mail setting stopped unexpectedly. Please try again.",
        move || Ok(cloud::family_digest::set_family_digest(&client, on)?),
    )
    .await
}

/// The name the family page calls the parent by (None when signed out or out of reach:
/// Settings then shows no name field).
#[tauri::command]
pub async fn your_name(state: AppStateRef<'_>) -> CommandResult<Option<YourName>> {
    let Ok(client) = state.cloud.client() else {
        return Ok(None);
    };
    off_the_window_thread("Pic-up stopped asking the family cloud.", move || {
        Ok(cloud::your_name::your_name(&client).ok())
    })
    .await
}

/// "Save name": the family page says "Photos from …" with it; empty takes it away.
#[tauri::command]
pub async fn set_your_name(state: AppStateRef<'_>, name: String) -> CommandResult<YourName> {
    let client = state.cloud.client()?;
    off_the_window_thread(
        "Saving your name stopped unexpectedly. Please try again.",
        move || Ok(cloud::your_name::set_your_name(&client, &name)?),
    )
    .await
}

/// "Try again" for items that gave up.
#[tauri::command]
pub fn cloud_retry(state: AppStateRef<'_>) -> CommandResult<usize> {
    Ok(state.session.retry_failed_uploads()?)
}

/// The items that gave up, for "See which".
#[tauri::command]
pub fn cloud_failed(state: AppStateRef<'_>) -> CommandResult<Vec<FileProblem>> {
    let failed = state.library().index()?.failed_sync_items()?;
    Ok(failed.into_iter().map(FileProblem::from).collect())
}

/// The album's links, newest first, as the cloud has them when it can be asked (links
/// stopped or run out are forgotten); otherwise as saved here.
#[tauri::command]
pub async fn share_links(state: AppStateRef<'_>, album_id: i64) -> CommandResult<Vec<ShareCard>> {
    let client = state.cloud.client().ok();
    let state = Arc::clone(&state);
    off_the_window_thread("Pic-up stopped listing the links.", move || {
        let mut index = state.library().index()?;
        let links = cloud::album_links(&mut index, client.as_ref(), album_id, SystemTime::now())?;
        Ok(links.into_iter().map(ShareCard::from).collect())
    })
    .await
}

/// "Share album": makes a link. `lasts` is `never`, `week` or `month`.
#[tauri::command]
pub async fn share_album(
    state: AppStateRef<'_>,
    album_id: i64,
    lasts: String,
    allow_download: bool,
    allow_add: bool,
    allow_comments: bool,
    password: Option<String>,
) -> CommandResult<ShareCard> {
    let client = state.cloud.client()?;
    let lasts = match lasts.as_str() {
        "week" => Some(Duration::from_secs(7 * 86_400)),
        "month" => Some(Duration::from_secs(30 * 86_400)),
        _ => None,
    };
    let options = cloud::ShareOptions {
        lasts,
        allow_download,
        allow_add,
        allow_comments,
        password,
    };
    let state = Arc::clone(&state);
    off_the_window_thread(
        "Making the link stopped unexpectedly. Please try again.",
        move || {
            let index = state.library().index()?;
            let link = cloud::share_album(&index, &client, album_id, options)?;
            Ok(ShareCard::from(link))
        },
    )
    .await
}

/// A link already sent, changed: "Family can add photos", "Family can comment", a new
/// password (everyone is asked for it again) or none any more. What is left out stays.
#[tauri::command]
pub async fn change_share_link(
    state: AppStateRef<'_>,
    link_id: String,
    allow_add: Option<bool>,
    allow_comments: Option<bool>,
    password: Option<String>,
    remove_password: bool,
) -> CommandResult<ShareCard> {
    let client = state.cloud.client()?;
    let changes = api::ShareChanges {
        allow_add,
        allow_comments,
        password,
        remove_password,
    };
    let state = Arc::clone(&state);
    off_the_window_thread(
        "Changing the link stopped unexpectedly. Please try again.",
        move || {
            let index = state.library().index()?;
            let link = cloud::change_link(&index, &client, &link_id, &changes)?;
            Ok(ShareCard::from(link))
        },
    )
    .await
}

/// "Stop sharing": the link stops working at once.
#[tauri::command]
pub async fn stop_sharing(state: AppStateRef<'_>, link_id: String) -> CommandResult<()> {
    let client = state.cloud.client()?;
    let state = Arc::clone(&state);
    off_the_window_thread(
        "Stopping the link stopped unexpectedly. Please try again.",
        move || {
            let index = state.library().index()?;
            Ok(cloud::stop_sharing(&index, &client, &link_id)?)
        },
    )
    .await
}

/// Puts text on the clipboard (the page's own clipboard access is not available under
/// the custom scheme on every platform).
#[tauri::command]
pub fn copy_text(app: AppHandle, text: String) -> CommandResult<()> {
    #[cfg(target_os = "linux")]
    {
        app.run_on_main_thread(move || {
            let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
            clipboard.set_text(&text);
            clipboard.store();
        })
        .map_err(|error| {
            CommandError::logged("Pic-up could not copy. Select the link and copy it.", error)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (app, text);
        Err(CommandError::new(
            "Pic-up cannot copy here. Select the link and copy it.",
        ))
    }
}

/// Opens a sharing link in the web browser ("See what the family sees") or a new e-mail
/// to send it ("Send by e-mail"). Only web and e-mail addresses: no file or program on
/// this computer can be opened this way.
#[tauri::command]
pub fn open_address(address: String) -> CommandResult<()> {
    let allowed = ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| address.starts_with(scheme));
    if !allowed {
        return Err(CommandError::new(
            "Pic-up can only open web and e-mail addresses.",
        ));
    }
    std::process::Command::new("xdg-open")
        .arg(&address)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|error| {
            CommandError::logged(
                "Pic-up could not open it. Copy the link and paste it into your browser or an e-mail.",
                error,
            )
        })
}
