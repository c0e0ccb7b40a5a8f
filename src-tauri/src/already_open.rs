//! A second Pic-up (a double-clicked folder, an invitation link through `xdg-open`) hands
//! its arguments to the Pic-up already open and exits, before it opens the library,
//! starts threads or touches GTK.
//!
//! The single-instance plugin does the same from inside Tauri's setup, but it exits with
//! the window toolkit, the video server and the library's threads already running, and
//! `exit` while they run crashed the second process now and then (SIGSEGV in CI). So the
//! question is asked here first, on the same D-Bus name and method the plugin serves in
//! the first Pic-up; the plugin stays for that serving side and for two starts at once.

use zbus::blocking::{Connection, fdo::DBusProxy};
use zbus::names::BusName;

/// The interface and method the single-instance plugin serves (its Linux side).
const INTERFACE: &str = "org.SingleInstance.DBus";
const METHOD: &str = "ExecuteCallback";

/// The well-known name and object path the plugin registers for `identifier`.
fn name_and_path(identifier: &str) -> (String, String) {
    let name = format!("{identifier}.SingleInstance");
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    (name, path)
}

/// Hands this start's arguments and folder to the Pic-up already open on this session's
/// bus. True when it took them; false when none is open or the bus cannot be reached,
/// and this start goes on to open its own window.
pub fn hand_over(identifier: &str) -> bool {
    let (name, path) = name_and_path(identifier);
    let Ok(connection) = Connection::session() else {
        return false;
    };
    let Ok(bus_name) = BusName::try_from(name.as_str()) else {
        return false;
    };
    let open = DBusProxy::new(&connection)
        .ok()
        .and_then(|bus| bus.name_has_owner(bus_name.clone()).ok())
        .unwrap_or(false);
    if !open {
        return false;
    }
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    connection
        .call_method(
            Some(bus_name),
            path.as_str(),
            Some(INTERFACE),
            METHOD,
            &(args, cwd.as_str()),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_and_path_are_the_plugins() {
        assert_eq!(
            name_and_path("org.picup.desktop"),
            (
                "org.picup.desktop.SingleInstance".to_string(),
                "/org/picup/desktop/SingleInstance".to_string()
            )
        );
        assert_eq!(name_and_path("a-b.c").1, "/a_b/c/SingleInstance");
    }
}
