//! Where the window was and what it showed: its size and position (or that it was
//! maximised) and the album last open, so Pic-up opens as the parent left it.
//!
//! Kept in `window.json` in the library folder, written a moment after the window stops
//! moving (not only on close: a crash or a logout must not lose it). A position that is
//! no longer on any screen (a monitor unplugged) is ignored, so the window can never
//! open out of sight.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{PhysicalPosition, PhysicalSize, Runtime, WebviewWindow, WindowEvent};

/// How long the window must stay still before its place is written: a drag sends
/// dozens of moves a second.
const SETTLE: Duration = Duration::from_millis(400);

/// At least this much of the window (physical pixels each way) must be on a screen for
/// a remembered position to be used.
const MIN_VISIBLE: i32 = 120;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    /// The window's outer position and inner size in physical pixels, while not
    /// maximised; kept through a maximise so un-maximising returns there.
    pub x: Option<i32>,
    pub y: Option<i32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(default)]
    pub maximized: bool,
    /// The album on screen, if one was.
    pub album: Option<i64>,
}

/// The remembered state, and a writer thread that saves it once things settle.
pub struct WindowMemory {
    state: Arc<Mutex<Remembered>>,
    changed: Sender<()>,
}

impl WindowMemory {
    /// Reads `window.json` from `library_root` (nothing remembered if it is missing or
    /// unreadable) and starts the writer.
    pub fn load(library_root: &std::path::Path) -> Self {
        let path = library_root.join("window.json");
        let remembered = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let state = Arc::new(Mutex::new(remembered));
        let (changed, pings) = mpsc::channel();
        let writer_state = Arc::clone(&state);
        let writer_path = path.clone();
        std::thread::spawn(move || write_when_settled(&writer_path, &writer_state, &pings));
        Self { state, changed }
    }

    pub fn remembered(&self) -> Remembered {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts the window where it was, before it is shown.
    pub fn restore<R: Runtime>(&self, window: &WebviewWindow<R>) {
        let remembered = self.remembered();
        if let (Some(width), Some(height)) = (remembered.width, remembered.height) {
            let _ = window.set_size(PhysicalSize::new(width, height));
        }
        if let (Some(x), Some(y), Some(width), Some(height)) = (
            remembered.x,
            remembered.y,
            remembered.width,
            remembered.height,
        ) && is_on_a_screen(window, x, y, width, height)
        {
            let _ = window.set_position(PhysicalPosition::new(x, y));
        }
        if remembered.maximized {
            let _ = window.maximize();
        }
    }

    /// Follows the window's moves and resizes.
    pub fn on_window_event<R: Runtime>(&self, window: &tauri::Window<R>, event: &WindowEvent) {
        if !matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
            return;
        }
        // A minimised window reports a meaningless place; keep the last real one.
        if window.is_minimized().unwrap_or(false) {
            return;
        }
        let maximized = window.is_maximized().unwrap_or(false);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.maximized = maximized;
        if !maximized {
            if let Ok(position) = window.outer_position() {
                (state.x, state.y) = (Some(position.x), Some(position.y));
            }
            if let Ok(size) = window.inner_size()
                && size.width > 0
                && size.height > 0
            {
                (state.width, state.height) = (Some(size.width), Some(size.height));
            }
        }
        drop(state);
        let _ = self.changed.send(());
    }

    /// Remembers the album on screen (`None` for the shelf or settings).
    pub fn remember_album(&self, album: Option<i64>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.album != album {
            state.album = album;
            drop(state);
            let _ = self.changed.send(());
        }
    }
}

/// True if at least [`MIN_VISIBLE`] pixels each way of the rectangle are on one of the
/// screens now attached.
fn is_on_a_screen<R: Runtime>(
    window: &WebviewWindow<R>,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
) -> bool {
    let Ok(monitors) = window.available_monitors() else {
        return false;
    };
    let right = x.saturating_add(i32::try_from(width).unwrap_or(i32::MAX));
    let bottom = y.saturating_add(i32::try_from(height).unwrap_or(i32::MAX));
    monitors.iter().any(|monitor| {
        let origin = monitor.position();
        let size = monitor.size();
        let screen_right = origin.x + i32::try_from(size.width).unwrap_or(i32::MAX);
        let screen_bottom = origin.y + i32::try_from(size.height).unwrap_or(i32::MAX);
        let overlap_x = right.min(screen_right) - x.max(origin.x);
        let overlap_y = bottom.min(screen_bottom) - y.max(origin.y);
        overlap_x >= MIN_VISIBLE && overlap_y >= MIN_VISIBLE
    })
}

/// Writes the state each time changes stop arriving for [`SETTLE`], atomically (a
/// temporary file renamed over the old one), until the app ends.
fn write_when_settled(path: &std::path::Path, state: &Mutex<Remembered>, pings: &Receiver<()>) {
    while pings.recv().is_ok() {
        loop {
            match pings.recv_timeout(SETTLE) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let snapshot = state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Ok(bytes) = serde_json::to_vec_pretty(&snapshot) else {
            continue;
        };
        let temporary = path.with_extension("json.new");
        if std::fs::write(&temporary, bytes).is_ok() {
            let _ = std::fs::rename(&temporary, path);
        }
    }
}
