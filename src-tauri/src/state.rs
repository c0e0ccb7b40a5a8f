//! What the shell keeps between commands: the library's [`Session`] (the import, the
//! watcher and the copy to the cloud, all in `picup-core`), the signed-in client, and
//! the window's own memory. Every command module reads this; it reads none of them.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use picup_core::cloud::browse::CloudImages;
use picup_core::cloud::follow::FollowControl;
use picup_core::cloud::{CloudClient, TokenKept};
use picup_core::{Library, Session};
use tauri::State;

use crate::error::{CommandError, CommandResult};

/// An invitation link as read: what to fill in, or why nothing is.
pub type InvitationRead = Result<picup_api::Invitation, picup_api::InvitationProblem>;
use crate::window_memory::WindowMemory;

pub struct AppState {
    pub session: Session,
    /// Where the page finds videos (see `video_server`).
    pub video_base_url: String,
    /// Shared with the video server, which streams cloud videos.
    pub cloud: Arc<CloudState>,
    /// Paths given on the command line, until the page takes them.
    pub launch_paths: Mutex<Vec<PathBuf>>,
    /// The invitation link given on the command line, until the page takes it.
    pub launch_invitation: Mutex<Option<InvitationRead>>,
    /// The window's size and place and the album last open.
    pub window_memory: WindowMemory,
    pub closing: Closing,
}

pub type AppStateRef<'a> = State<'a, Arc<AppState>>;

impl AppState {
    pub fn new(
        library: Library,
        cloud: Arc<CloudState>,
        video_base_url: String,
        launch_paths: Vec<PathBuf>,
        launch_invitation: Option<InvitationRead>,
    ) -> Self {
        AppState {
            window_memory: WindowMemory::load(library.root()),
            launch_paths: Mutex::new(launch_paths),
            launch_invitation: Mutex::new(launch_invitation),
            session: Session::new(library),
            video_base_url,
            cloud,
            closing: Closing::default(),
        }
    }

    pub fn library(&self) -> &Library {
        self.session.library()
    }
}

/// The family cloud's sign-in, kept between commands (the copy itself runs in the
/// session).
#[derive(Default)]
pub struct CloudState {
    client: Mutex<Option<CloudClient>>,
    /// Set when the keyring could not be used, in plain words.
    keyring_problem: Mutex<Option<String>>,
    /// The loop keeping this computer in step with the cloud, while signed in.
    following: Mutex<Option<Arc<FollowControl>>>,
    /// Cloud photos' addresses, and their thumbnails and previews once fetched.
    pub images: CloudImages,
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl CloudState {
    /// The signed-in client, for sharing.
    pub fn client(&self) -> CommandResult<CloudClient> {
        lock(&self.client)
            .clone()
            .ok_or_else(|| CommandError::new("Connect to the family cloud first, in Settings."))
    }

    pub fn set_client(&self, client: CloudClient) {
        *lock(&self.client) = Some(client);
    }

    pub fn take_client(&self) -> Option<CloudClient> {
        lock(&self.client).take()
    }

    /// Remembers the running follow loop, stopping the one before.
    pub fn set_following(&self, control: Arc<FollowControl>) {
        if let Some(old) = lock(&self.following).replace(control) {
            old.stop();
        }
    }

    /// Stops the follow loop, if one runs.
    pub fn stop_following(&self) {
        if let Some(old) = lock(&self.following).take() {
            old.stop();
        }
    }

    /// "Look now": after "Keep a copy on this computer".
    pub fn wake_following(&self) {
        if let Some(control) = lock(&self.following).as_ref() {
            control.wake();
        }
    }

    pub fn keyring_problem(&self) -> Option<String> {
        lock(&self.keyring_problem).clone()
    }

    /// Remembers whether the sign-in could be kept in the keyring, for Settings to say.
    pub fn note_keyring(&self, kept: &TokenKept) {
        self.set_keyring_problem(match kept {
            TokenKept::InKeyring => None,
            TokenKept::InMemoryOnly(problem) => Some(problem.to_string()),
        });
    }

    pub fn set_keyring_problem(&self, problem: Option<String>) {
        *lock(&self.keyring_problem) = problem;
    }
}

/// Set once the parent chose to quit (or the work in the background is done), so the
/// close that follows is not asked about again; and while the work finishes with the
/// window gone (see `closing`).
#[derive(Default)]
pub struct Closing {
    pub quitting: AtomicBool,
    pub in_background: AtomicBool,
}
