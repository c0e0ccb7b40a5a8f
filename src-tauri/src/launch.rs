//! "Open with Pic-up" and double-clicked folders: the paths Pic-up was started with,
//! and those a second start hands over to the Pic-up already running. The page imports
//! them like a drop.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Emitter, Manager};

use crate::state::{AppStateRef, lock};

/// The folders and files given on the command line, made absolute against `cwd`; what
/// does not exist is left out.
fn paths_from_args(args: impl IntoIterator<Item = String>, cwd: &Path) -> Vec<PathBuf> {
    args.into_iter()
        .filter(|arg| !arg.starts_with('-'))
        .map(|arg| cwd.join(arg))
        .filter(|path| path.exists())
        .collect()
}

/// The paths this Pic-up was started with.
pub fn paths_at_start() -> Vec<PathBuf> {
    paths_from_args(
        std::env::args().skip(1),
        &std::env::current_dir().unwrap_or_default(),
    )
}

/// The paths Pic-up was started with, for the page to import once it is ready.
#[tauri::command]
pub fn launch_paths(state: AppStateRef<'_>) -> Vec<PathBuf> {
    std::mem::take(&mut *lock(&state.launch_paths))
}

/// Pic-up was opened again while running: the second one has already handed over its
/// arguments and exited. Bring this window forward and import what it was given
/// (`open-paths`, which the page imports like a drop).
pub fn opened_again(app: &AppHandle, argv: Vec<String>, cwd: String) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    let paths = paths_from_args(argv.into_iter().skip(1), Path::new(&cwd));
    if !paths.is_empty() {
        let _ = app.emit("open-paths", paths);
    }
}
