//! The family cloud in the window: the commands behind Settings → "Connect to the
//! family cloud", the sync status (`sync-status` events), and "Share album". All the
//! work is in `picup_core::cloud`; this keeps the signed-in client and the running
//! upload engine between commands.
//!
//! The sign-in token is kept in the OS keyring. Where there is none, it is kept only in
//! memory and the page says so: the parent signs in again at the next start.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use picup_core::cloud::{
    self, CloudClient, CloudError, NotPrivate, SyncHandle, SyncOptions, SyncStatus, TokenKept,
};
use picup_core::index::SyncAccount;
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::commands::{AppState, AppStateRef, CommandError, CommandResult, ErrorKind};

/// The signed-in client and the engine using it.
#[derive(Default)]
pub struct CloudState {
    client: Mutex<Option<CloudClient>>,
    engine: Mutex<Option<SyncHandle>>,
    /// Set when the keyring could not be used, in plain words.
    keyring_problem: Mutex<Option<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl CloudState {
    /// Nudges the engine (after an import, a rename, a removal).
    pub fn wake(&self) {
        if let Some(engine) = lock(&self.engine).as_ref() {
            engine.wake();
        }
    }

    fn client(&self) -> CommandResult<CloudClient> {
        lock(&self.client)
            .clone()
            .ok_or_else(|| CommandError::new("Connect to the family cloud first, in Settings."))
    }

    /// How the copying is going, while signed in.
    pub fn status(&self) -> Option<SyncStatus> {
        lock(&self.engine).as_ref().map(SyncHandle::status)
    }

    /// Stops the engine and waits for it (quitting): a part on its way is finished or
    /// dropped, and resumes at the next start.
    pub fn stop_and_wait(&self) {
        let engine = lock(&self.engine).take();
        if let Some(engine) = engine {
            engine.stop();
        }
    }

    /// Stops the engine without waiting: a part on its way may take a while to finish
    /// or fail, and the page must not wait for it (what is half-sent resumes later).
    fn stop_engine(&self) {
        let engine = lock(&self.engine).take();
        if let Some(engine) = engine {
            std::thread::spawn(move || engine.stop());
        }
    }
}

fn start_engine(app: &AppHandle, state: &Arc<AppState>, client: CloudClient) {
    state.cloud.stop_engine();
    let events = app.clone();
    let started = cloud::engine::start(
        state.library.clone(),
        client.clone(),
        SyncOptions::default(),
        Box::new(move |status: &SyncStatus| {
            let _ = events.emit("sync-status", status);
        }),
    );
    match started {
        Ok(engine) => {
            *lock(&state.cloud.client) = Some(client);
            *lock(&state.cloud.engine) = Some(engine);
        }
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
        let mut index = match state.library.index() {
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
            Err(problem) => *lock(&state.cloud.keyring_problem) = Some(problem.to_string()),
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
                    note_keyring(&state, &kept);
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

fn note_keyring(state: &AppState, kept: &TokenKept) {
    *lock(&state.cloud.keyring_problem) = match kept {
        TokenKept::InKeyring => None,
        TokenKept::InMemoryOnly(problem) => Some(problem.to_string()),
    };
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
    let account = state.library.index()?.sync_account()?;
    let engine = lock(&state.cloud.engine);
    Ok(CloudOverview {
        connected: engine.is_some(),
        status: engine.as_ref().map(SyncHandle::status),
        account,
        keyring_problem: lock(&state.cloud.keyring_problem).clone(),
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
    let state = Arc::clone(&state);
    let worker = Arc::clone(&state);
    let not_private = if accept_not_private {
        NotPrivate::Accepted
    } else {
        NotPrivate::Refuse
    };
    let connected = tauri::async_runtime::spawn_blocking(move || {
        let mut index = worker.library.index()?;
        cloud::connect(
            &mut index,
            &server,
            &email,
            &password,
            "Pic-up on this computer",
            not_private,
        )
        .map_err(|error| match error {
            CloudError::NotPrivate => CommandError::from(error).with_kind(ErrorKind::NotPrivate),
            other => CommandError::from(other),
        })
    })
    .await
    .map_err(|_| CommandError::new("Signing in stopped unexpectedly. Please try again."))??;
    let (client, kept) = connected;
    note_keyring(&state, &kept);
    start_engine(&app, &state, client);
    let _ = app.emit("library-changed", ());
    cloud_overview(tauri::Manager::state(&app))
}

#[tauri::command]
pub async fn cloud_disconnect(app: AppHandle, state: AppStateRef<'_>) -> CommandResult<()> {
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || {
        state.cloud.stop_engine();
        let client = lock(&state.cloud.client).take();
        let mut index = state.library.index()?;
        cloud::disconnect(&mut index, client.as_ref())?;
        Ok::<_, CommandError>(())
    })
    .await
    .map_err(|_| CommandError::new("Signing out stopped unexpectedly. Please try again."))??;
    let _ = app.emit("library-changed", ());
    Ok(())
}

/// "Try again" for items that gave up.
#[tauri::command]
pub fn cloud_retry(state: AppStateRef<'_>) -> CommandResult<usize> {
    let retried = state.library.index()?.retry_failed_sync_items()?;
    state.library.index()?.hurry_waiting_sync_items()?;
    state.cloud.wake();
    Ok(retried)
}

/// An item that could not be copied, and why.
#[derive(Serialize)]
pub struct NotCopied {
    file_name: String,
    path: String,
    reason: String,
}

/// The items that gave up, for "See which".
#[tauri::command]
pub fn cloud_failed(state: AppStateRef<'_>) -> CommandResult<Vec<NotCopied>> {
    Ok(state
        .library
        .index()?
        .failed_sync_items()?
        .into_iter()
        .map(|item| NotCopied {
            file_name: std::path::Path::new(&item.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| item.path.clone()),
            path: item.path,
            reason: item.reason,
        })
        .collect())
}

/// An album link, with its QR code for a phone's camera.
#[derive(Serialize)]
pub struct ShareCard {
    id: String,
    url: String,
    expires_at: Option<String>,
    allow_download: bool,
    /// The QR code's side in modules, and its modules row by row ('1' dark).
    qr_size: usize,
    qr_modules: String,
}

fn card(link: picup_core::index::SavedShareLink) -> ShareCard {
    let (qr_size, modules) = cloud::qr_modules(&link.url).unwrap_or((0, Vec::new()));
    ShareCard {
        qr_size,
        qr_modules: modules
            .iter()
            .map(|&dark| if dark { '1' } else { '0' })
            .collect(),
        id: link.id,
        url: link.url,
        expires_at: link.expires_at,
        allow_download: link.allow_download,
    }
}

/// The album's links, newest first.
#[tauri::command]
pub fn share_links(state: AppStateRef<'_>, album_id: i64) -> CommandResult<Vec<ShareCard>> {
    Ok(state
        .library
        .index()?
        .share_links(album_id)?
        .into_iter()
        .map(card)
        .collect())
}

/// "Share album": makes a link. `lasts` is `never`, `week` or `month`.
#[tauri::command]
pub async fn share_album(
    state: AppStateRef<'_>,
    album_id: i64,
    lasts: String,
    allow_download: bool,
) -> CommandResult<ShareCard> {
    let client = state.cloud.client()?;
    let lasts = match lasts.as_str() {
        "week" => Some(Duration::from_secs(7 * 86_400)),
        "month" => Some(Duration::from_secs(30 * 86_400)),
        _ => None,
    };
    let state = Arc::clone(&state);
    let link = tauri::async_runtime::spawn_blocking(move || {
        let index = state.library.index()?;
        cloud::share_album(&index, &client, album_id, lasts, allow_download)
            .map_err(CommandError::from)
    })
    .await
    .map_err(|_| CommandError::new("Making the link stopped unexpectedly. Please try again."))??;
    Ok(card(link))
}

/// "Stop sharing": the link stops working at once.
#[tauri::command]
pub async fn stop_sharing(state: AppStateRef<'_>, link_id: String) -> CommandResult<()> {
    let client = state.cloud.client()?;
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || {
        let index = state.library.index()?;
        cloud::stop_sharing(&index, &client, &link_id).map_err(CommandError::from)
    })
    .await
    .map_err(|_| CommandError::new("Stopping the link stopped unexpectedly. Please try again."))?
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
        })?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (app, text);
        Err(CommandError::new(
            "Pic-up cannot copy here. Select the link and copy it.",
        ))
    }
}
