//! "Start Pic-up when I log in" (off until the parent turns it on), so watched folders
//! are caught up and copied without anyone opening the app.
//!
//! On Linux this is an XDG autostart entry, `~/.config/autostart/org.picup.desktop.desktop`,
//! the file every desktop (GNOME, KDE, Xfce…) reads at login; Pic-up started from it
//! gets `--at-login` and opens minimised. Written here rather than through
//! tauri-plugin-autostart, which writes the same file on Linux, so the path is quoted
//! by the desktop-entry rules and the entry can be checked in tests.

use std::path::{Path, PathBuf};

use crate::error::{CommandError, CommandResult};

/// The argument the login entry passes: open minimised, without taking the screen.
pub const AT_LOGIN: &str = "--at-login";

const ENTRY_NAME: &str = "org.picup.desktop.desktop";

/// `$XDG_CONFIG_HOME/autostart`, or `~/.config/autostart`.
fn autostart_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .map(|config| config.join("autostart"))
}

/// The login entry for `program`.
fn entry_for(program: &Path) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Pic-up\n\
         Comment=Catches up with your photo folders when you start your computer\n\
         Exec={} {AT_LOGIN}\n\
         Icon=org.picup.desktop\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n",
        quote_exec_argument(&program.to_string_lossy())
    )
}

/// Quotes a path for an `Exec` line (desktop entry spec: inside double quotes, `"`,
/// `` ` ``, `$` and `\` are escaped with a backslash; `%` is doubled).
fn quote_exec_argument(argument: &str) -> String {
    let mut quoted = String::from("\"");
    for c in argument.chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '%' => quoted.push_str("%%"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    // The desktop entry format also reads backslashes in string values as escapes.
    quoted.replace('\\', "\\\\")
}

#[tauri::command]
pub fn start_at_login() -> bool {
    autostart_dir().is_some_and(|dir| dir.join(ENTRY_NAME).is_file())
}

#[tauri::command]
pub fn set_start_at_login(enabled: bool) -> CommandResult<bool> {
    let dir = autostart_dir()
        .ok_or_else(|| CommandError::new("Pic-up could not find your settings folder."))?;
    let entry = dir.join(ENTRY_NAME);
    let result = if enabled {
        let program = std::env::current_exe().map_err(|_| {
            CommandError::new(
                "Pic-up could not tell where it is installed, so it cannot start by itself.",
            )
        })?;
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&entry, entry_for(&program)))
    } else {
        match std::fs::remove_file(&entry) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    };
    result
        .map_err(|error| CommandError::logged("Pic-up could not change how it starts.", error))?;
    picup_core::diagnostics::info(&format!("Start at login: {enabled}"));
    Ok(start_at_login())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_spaces_and_specials_are_quoted() {
        let entry = entry_for(Path::new("/opt/Pic up/100%/picup-desktop"));
        assert!(entry.contains("Exec=\"/opt/Pic up/100%%/picup-desktop\" --at-login\n"));
        assert_eq!(quote_exec_argument("a$b"), "\"a\\\\$b\"");
    }
}
