//! "Open with Pic-up" and double-clicked folders: the paths Pic-up was started with,
//! and those a second start hands over to the Pic-up already running. The page imports
//! them like a drop. An invitation link (`picup://join?…`, opened from an e-mail through
//! the system's `x-scheme-handler/picup`) arrives the same way; the page only fills the
//! sign-in form with it, and says so plainly when the link is not a usable invitation.

use std::path::{Path, PathBuf};

use picup_api::Invitation;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::state::{AppStateRef, InvitationRead, lock};

/// The folders and files given on the command line, made absolute against `cwd`; what
/// does not exist is left out.
fn paths_from_args(args: impl IntoIterator<Item = String>, cwd: &Path) -> Vec<PathBuf> {
    args.into_iter()
        .filter(|arg| !arg.starts_with('-'))
        .map(|arg| cwd.join(arg))
        .filter(|path| path.exists())
        .collect()
}

/// What the page is told about a link Pic-up was opened with: the address and email
/// to fill in, or, for a link that is no invitation, why nothing was filled in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum LaunchInvitation {
    Fill { server: String, email: String },
    Refused { problem: &'static str },
}

impl From<InvitationRead> for LaunchInvitation {
    fn from(read: InvitationRead) -> Self {
        match read {
            Ok(invitation) => LaunchInvitation::Fill {
                server: invitation.server,
                email: invitation.email,
            },
            Err(problem) => LaunchInvitation::Refused {
                problem: problem.plain_message(),
            },
        }
    }
}

/// The last argument that is a link (`scheme:…` and not a file here), read as an
/// invitation. A Windows drive (`C:`) is a path, so a scheme has two letters or more.
fn invitation_from_args(
    args: impl IntoIterator<Item = String>,
    cwd: &Path,
) -> Option<InvitationRead> {
    let link = args
        .into_iter()
        .filter(|arg| {
            let scheme = arg.split(':').next().unwrap_or("");
            arg.contains(':')
                && scheme.len() >= 2
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !cwd.join(arg).exists()
        })
        .last()?;
    Some(Invitation::from_link(&link))
}

/// The invitation link this Pic-up was started with, if any.
pub fn invitation_at_start() -> Option<InvitationRead> {
    invitation_from_args(
        std::env::args().skip(1),
        &std::env::current_dir().unwrap_or_default(),
    )
}

/// The invitation Pic-up was started with, for the page to show once it is ready.
#[tauri::command]
pub fn launch_invitation(state: AppStateRef<'_>) -> Option<LaunchInvitation> {
    lock(&state.launch_invitation).take().map(Into::into)
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
    let args: Vec<String> = argv.into_iter().skip(1).collect();
    if let Some(invitation) = invitation_from_args(args.clone(), Path::new(&cwd)) {
        let _ = app.emit("invitation", LaunchInvitation::from(invitation));
    }
    let paths = paths_from_args(args, Path::new(&cwd));
    if !paths.is_empty() {
        let _ = app.emit("open-paths", paths);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(args: &[&str]) -> Option<LaunchInvitation> {
        let here = tempfile::tempdir().unwrap();
        std::fs::create_dir(here.path().join("Picnic")).unwrap();
        invitation_from_args(args.iter().map(|a| a.to_string()), here.path()).map(Into::into)
    }

    #[test]
    fn an_invitation_fills_and_anything_else_is_refused_or_left_alone() {
        let link = Invitation::new("https://photos.example.org", "mum@example.org")
            .unwrap()
            .link();
        assert_eq!(
            read(&["Picnic", &link]),
            Some(LaunchInvitation::Fill {
                server: "https://photos.example.org".into(),
                email: "mum@example.org".into()
            })
        );
        assert!(matches!(
            read(&["javascript:alert(1)"]),
            Some(LaunchInvitation::Refused { .. })
        ));
        assert!(matches!(
            read(&["picup://join?server=file%3A%2F%2F%2Fetc&email=a%40b"]),
            Some(LaunchInvitation::Refused { .. })
        ));
        // Folders, options and drive letters are not links.
        assert_eq!(read(&["Picnic", "--at-login", "C:\\Photos"]), None);
    }
}
