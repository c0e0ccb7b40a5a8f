//! Closing the window while Pic-up is still adding photos or copying them to the family
//! cloud. Instead of cutting the work off, the page asks in plain words: finish in the
//! background (the window goes, a tray icon shows how far it is and Pic-up quits when
//! done), stop now (what is half-done resumes at the next start), or keep the window.
//! With nothing running, the window closes at once as usual.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Window, WindowEvent};

use crate::error::{CommandError, CommandResult};
use crate::state::{AppState, AppStateRef};

const TRAY_ID: &str = "finishing";

/// How often the tray's words are brought up to date, and the work looked at.
const TRAY_REFRESH: Duration = Duration::from_secs(1);

/// How long "Stop now" lets the copying finish the step it is on before quitting.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// What is still running, in words for the question and the tray.
#[derive(Clone, Debug, Serialize)]
pub struct WorkInProgress {
    /// "Pic-up is still adding photos." / "…copying 3 photos and 1 video to the family
    /// cloud."
    pub message: String,
}

/// The work that closing would interrupt, if any.
pub fn work_in_progress(state: &AppState) -> Option<WorkInProgress> {
    if state.session.is_importing() {
        return Some(WorkInProgress {
            message: "Pic-up is still adding photos.".into(),
        });
    }
    let status = state.session.sync_status()?;
    let left = status.counts.waiting;
    let videos = status.counts.waiting_videos;
    (status.state == picup_core::cloud::SyncState::Sending && left > 0).then(|| WorkInProgress {
        message: picup_core::words::still_copying(
            usize::try_from(left - videos).unwrap_or(0),
            usize::try_from(videos).unwrap_or(0),
        ),
    })
}

/// The window's close button: ask first if work is running (`close-asked` to the page).
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let app = window.app_handle();
    let state = app.state::<Arc<AppState>>();
    if state.closing.quitting.load(Ordering::SeqCst) {
        return;
    }
    if let Some(work) = work_in_progress(&state) {
        api.prevent_close();
        let _ = window.emit("close-asked", work);
    }
}

/// The parent's answer: `background` or `stop` (keeping the window needs no call).
#[tauri::command]
pub fn close_choice(app: AppHandle, state: AppStateRef<'_>, choice: String) -> CommandResult<()> {
    match choice.as_str() {
        "background" => finish_in_background(&app, Arc::clone(&state)),
        "stop" => {
            stop_and_quit(&app, &state);
            Ok(())
        }
        _ => Err(CommandError::new("That is not a choice Pic-up knows.")),
    }
}

/// Stops the import and the copying where they are (both resume at the next start:
/// the import skips what it has, the copy keeps its queue and half-sent uploads) and
/// quits.
fn stop_and_quit(app: &AppHandle, state: &Arc<AppState>) {
    state.closing.quitting.store(true, Ordering::SeqCst);
    picup_core::diagnostics::info("Closed while busy: stopped; the rest resumes next time");
    state.session.cancel_import();
    // The parent asked to stop: the window goes at once, whatever is still on its way.
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
    let _ = app.remove_tray_by_id(TRAY_ID);
    let app = app.clone();
    let state = Arc::clone(state);
    // Off the window's thread. The engine gets a moment to record the part on its way;
    // a part cut off is sent again next time, as after a power cut.
    std::thread::spawn(move || {
        let (stopped, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            state.session.stop_sync();
            let _ = stopped.send(());
        });
        let _ = wait.recv_timeout(STOP_GRACE);
        app.exit(0);
    });
}

fn finish_in_background(app: &AppHandle, state: Arc<AppState>) -> CommandResult<()> {
    let Some(work) = work_in_progress(&state) else {
        // It finished while the question was on screen.
        state.closing.quitting.store(true, Ordering::SeqCst);
        app.exit(0);
        return Ok(());
    };
    picup_core::diagnostics::info("Closed while busy: finishing in the background");
    let tray_failed = |_| {
        CommandError::new(
            "Pic-up could not put its small icon at the edge of the screen, so it cannot \
             finish in the background.",
        )
    };
    let status = MenuItem::with_id(app, "status", &work.message, false, None::<&str>)
        .map_err(tray_failed)?;
    let show =
        MenuItem::with_id(app, "show", "Show Pic-up", true, None::<&str>).map_err(tray_failed)?;
    let stop = MenuItem::with_id(app, "stop", "Stop and close Pic-up", true, None::<&str>)
        .map_err(tray_failed)?;
    let menu = Menu::with_items(app, &[&status, &show, &stop]).map_err(tray_failed)?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip(&work.message)
        .on_menu_event(|app, event| {
            let state = app.state::<Arc<AppState>>();
            match event.id().as_ref() {
                "show" => show_window_again(app, &state),
                "stop" => stop_and_quit(app, &state),
                _ => {}
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    let tray = tray.build(app).map_err(tray_failed)?;
    state.closing.in_background.store(true, Ordering::SeqCst);
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }

    // Keep the tray's words current; quit when the work is done.
    let app = app.clone();
    std::thread::spawn(move || {
        while state.closing.in_background.load(Ordering::SeqCst) {
            std::thread::sleep(TRAY_REFRESH);
            if !state.closing.in_background.load(Ordering::SeqCst) {
                break;
            }
            match work_in_progress(&state) {
                Some(work) => {
                    let _ = status.set_text(&work.message);
                    let _ = tray.set_tooltip(Some(&work.message));
                }
                None => {
                    picup_core::diagnostics::info("Finished in the background; quitting");
                    state.closing.quitting.store(true, Ordering::SeqCst);
                    state.session.stop_sync();
                    app.exit(0);
                    break;
                }
            }
        }
    });
    Ok(())
}

/// "Show Pic-up" from the tray: the window comes back and the tray icon goes.
fn show_window_again(app: &AppHandle, state: &AppState) {
    state.closing.in_background.store(false, Ordering::SeqCst);
    let _ = app.remove_tray_by_id(TRAY_ID);
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.set_focus();
    }
}
