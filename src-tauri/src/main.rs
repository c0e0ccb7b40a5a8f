//! The Pic-up desktop shell: opens the window, and connects the pages to `picup-core`
//! through a few Tauri commands, progress events and the `picup:` image protocol.
//! No logic lives here; see `picup-core` for everything the app does.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(target_os = "linux")]
mod already_open;
mod autostart;
mod closing;
mod cloud;
mod cloud_albums;
mod commands;
mod error;
mod help;
mod launch;
mod media_protocol;
mod responses;
mod state;
mod trash;
mod video_server;
mod views;
mod watching;
mod window_memory;

use std::sync::Arc;

use picup_core::{Library, diagnostics};
use tauri::Manager;

fn main() {
    choose_webkit_renderer();
    let context = tauri::generate_context!("../tauri.conf.json");
    // Before anything is opened or started: a second Pic-up only passes on what it
    // was asked to open.
    #[cfg(target_os = "linux")]
    if already_open::hand_over(&context.config().identifier) {
        eprintln!("Pic-up is already open: what it was asked to open went to that window.");
        std::process::exit(0);
    }
    if let Err(message) = check_display() {
        eprintln!("{message}");
        std::process::exit(1);
    }
    let library = match Library::default_root().and_then(|root| {
        start_log(&root);
        Library::open(root)
    }) {
        Ok(library) => library,
        Err(error) => {
            diagnostics::problem(&format!("Pic-up could not open its library: {error}"));
            eprintln!("Pic-up could not open its library: {error}");
            std::process::exit(1);
        }
    };
    // Without it videos cannot play on Linux; the albums and photos still work.
    let cloud = Arc::new(state::CloudState::default());
    let video_base_url = match video_server::VideoServer::start(library.clone(), Arc::clone(&cloud))
    {
        Ok(server) => server.base_url,
        Err(error) => {
            diagnostics::problem(&format!(
                "Pic-up could not start its video player's server: {error}"
            ));
            String::new()
        }
    };
    let at_login = std::env::args().any(|arg| arg == autostart::AT_LOGIN);
    let state = Arc::new(state::AppState::new(
        library,
        cloud,
        video_base_url,
        launch::paths_at_start(),
        launch::invitation_at_start(),
    ));
    trash::keep_purging(&state);
    let protocol_state = state.clone();
    let window_state = state.clone();
    tauri::Builder::default()
        // First, so a second Pic-up hands its paths to this one and exits before it
        // opens anything of its own.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            launch::opened_again(app, argv, cwd);
        }))
        .plugin(tauri_plugin_dialog::init())
        .manage(state.clone())
        .setup(move |app| {
            // The window starts hidden (tauri.conf.json) so it appears where it was
            // left, without a jump.
            if let Some(window) = app.get_webview_window("main") {
                state.window_memory.restore(&window);
                window.show()?;
                // Started at login: be there, but leave the screen to the parent.
                if at_login {
                    window.minimize()?;
                }
            }
            watching::start_watching(app.handle(), &state);
            cloud::start_cloud(app.handle(), &state);
            Ok(())
        })
        .on_window_event(move |window, event| {
            window_state.window_memory.on_window_event(window, event);
            closing::on_window_event(window, event);
        })
        .register_asynchronous_uri_scheme_protocol("picup", move |_ctx, request, responder| {
            let state = Arc::clone(&protocol_state);
            // Reading a file (or fetching a cloud thumbnail) must not hold up the
            // window's event loop.
            std::thread::spawn(move || {
                responder.respond(media_protocol::respond(&state, &request))
            });
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_albums,
            commands::album_photos,
            commands::import_paths,
            commands::cancel_import,
            commands::skipped_files,
            commands::rename_album,
            trash::remove_album,
            trash::remove_photos,
            trash::trash,
            trash::restore_from_trash,
            trash::empty_trash,
            trash::cloud_trash_space,
            commands::pick_folders,
            commands::list_folders,
            commands::stop_watching_folder,
            commands::video_base_url,
            launch::launch_paths,
            launch::launch_invitation,
            commands::remember_album,
            commands::last_album,
            closing::close_choice,
            autostart::start_at_login,
            autostart::set_start_at_login,
            help::save_report,
            help::show_reports_folder,
            cloud::cloud_overview,
            cloud::cloud_connect,
            cloud::cloud_disconnect,
            cloud::cloud_retry,
            cloud::family_digest,
            cloud::set_family_digest,
            cloud::your_name,
            cloud::set_your_name,
            cloud::cloud_failed,
            cloud::share_links,
            cloud::share_album,
            cloud::change_share_link,
            cloud::stop_sharing,
            cloud::copy_text,
            cloud::open_address,
            cloud_albums::cloud_only_albums,
            cloud_albums::cloud_album_photos,
            cloud_albums::keep_cloud_album,
            cloud_albums::keep_all_cloud_albums,
            cloud_albums::cloud_look_now,
            responses::photo_responses,
            responses::cloud_photo_responses,
            responses::remove_comment,
        ])
        .run(context)
        .unwrap_or_else(|error| {
            diagnostics::problem(&format!("Pic-up could not start its window: {error}"));
            eprintln!("Pic-up could not start its window: {error}");
            std::process::exit(1);
        });
}

/// WebKitGTK's DMA-BUF renderer hands each frame to the window through GBM; where there
/// is no graphics chip to do that (a virtual machine, an old computer, Xvfb), Mesa draws it
/// in software and scrolling an album stutters: flinging a 10,000-photo album under Xvfb
/// took 45–49 ms a frame (p95 59–68 ms, 200–400 frames over 50 ms) with it, and 16 ms a
/// frame (p95 17 ms, 0–7 frames over 50 ms in three runs) without (`cargo xtask bench
/// album`'s window part). Without it WebKit puts frames on screen its older way. A
/// value the person set themselves is kept. Must run before any thread starts, since it
/// changes the environment.
fn choose_webkit_renderer() {
    const SWITCH: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if let Some(value) = webkit_renderer_switch(std::env::var_os(SWITCH).as_deref()) {
        // SAFETY: the first thing `main` does, while this is the only thread.
        unsafe { std::env::set_var(SWITCH, value) };
    }
}

/// What to set `WEBKIT_DISABLE_DMABUF_RENDERER` to, given what it is: "1" on Linux when
/// unset, nothing when the person chose (even "0"), nothing elsewhere.
fn webkit_renderer_switch(current: Option<&std::ffi::OsStr>) -> Option<&'static str> {
    (cfg!(target_os = "linux") && current.is_none()).then_some("1")
}

/// The log (`<library>/logs/pic-up.log`) and crash records, for "Save a report". A log
/// that cannot be written is no reason not to start.
fn start_log(library_root: &std::path::Path) {
    match diagnostics::start_log(&library_root.join("logs")) {
        Ok(_) => {
            diagnostics::record_crashes();
            diagnostics::info(&format!(
                "Pic-up {} started ({} {})",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH
            ));
        }
        Err(error) => eprintln!("{error}"),
    }
}

/// On Linux a window needs a display; without one GTK aborts with a trace. Say it plainly.
fn check_display() -> Result<(), String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none_or(|v| v.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|v| v.is_empty())
    {
        return Err(
            "Pic-up needs a screen to open its window, and this session has none \
                    (neither DISPLAY nor WAYLAND_DISPLAY is set). Run it from a desktop \
                    session, or under a virtual screen: xvfb-run cargo xtask run"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dmabuf_renderer_is_switched_off_unless_the_person_chose() {
        assert_eq!(webkit_renderer_switch(None), Some("1"));
        assert_eq!(webkit_renderer_switch(Some("0".as_ref())), None);
        assert_eq!(webkit_renderer_switch(Some("1".as_ref())), None);
    }
}
