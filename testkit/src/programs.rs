//! Every program outside Rust that Pic-up, its tests or `cargo xtask` run, with what
//! provides it. A test that started a program nobody installs passes on the machines
//! where someone once installed it by hand, and fails on a new one; so the tests and
//! benchmarks start programs only through [`program`], which refuses a name missing
//! here. The tests below check the source against this list, and xtask's `deps.rs`
//! checks the list against what `cargo xtask deps` installs. It lives in the test kit,
//! not in xtask, because xtask's benchmarks use the kit: the list is the kit's lowest
//! layer, and xtask depends on it rather than the other way round.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// A program run by name (looked up on PATH) or by a path ending in `name`.
#[derive(Debug)]
pub struct Program {
    /// The file name, as run: `ffmpeg`, or the last part of `/usr/bin/python3`.
    pub name: &'static str,
    pub from: Provider,
    /// Who runs it, for what.
    pub why: &'static str,
}

/// Where a program comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// A Debian package, found on PATH. Either `cargo xtask deps` installs it (its
    /// `DEBIAN_PACKAGES`) or Debian installs it everywhere (Essential or priority required).
    Debian(&'static str),
    /// A Debian package that installs the program outside PATH, in `dir`, where a `*`
    /// stands for one folder whose name varies (a version).
    DebianIn {
        package: &'static str,
        dir: &'static str,
    },
    /// `cargo install`, run by `cargo xtask deps`.
    CargoInstall,
    /// The PyPI virtual environment `cargo xtask deps` makes under `target/tools/python`.
    PythonTools,
    /// The Rust toolchain that builds the workspace.
    RustToolchain,
    /// Built by this workspace (a binary or an example).
    Workspace,
    /// Used only when it is there; without it xtask says what to run instead.
    UsedOnlyIfInstalled,
}

/// The list. Keep one entry a program, grouped by who runs it.
pub const PROGRAMS: &[Program] = &[
    // Pic-up itself.
    Program {
        name: "ffmpeg",
        from: Provider::Debian("ffmpeg"),
        why: "video thumbnails and the window's video stream (the .deb recommends it); \
              tests make test videos with it",
    },
    Program {
        name: "ffprobe",
        from: Provider::Debian("ffmpeg"),
        why: "video durations and sizes",
    },
    Program {
        name: "xdg-open",
        from: Provider::Debian("xdg-utils"),
        why: "the desktop app's 'Show in folder' opens the reports folder with it",
    },
    Program {
        name: "picup",
        from: Provider::Workspace,
        why: "the command line, run by the tests and the benchmarks",
    },
    Program {
        name: "picup-desktop",
        from: Provider::Workspace,
        why: "the desktop app, started by WebKitWebDriver in the window tests",
    },
    Program {
        name: "picup-server",
        from: Provider::Workspace,
        why: "the sync server, run by the tests, `cargo xtask run` and the benchmarks",
    },
    // The window tests (tests/src/lib.rs and tests/tests/window_*.rs).
    Program {
        name: "Xvfb",
        from: Provider::Debian("xvfb"),
        why: "a private virtual screen for each window test",
    },
    Program {
        name: "tauri-driver",
        from: Provider::CargoInstall,
        why: "the WebDriver server in front of WebKitWebDriver",
    },
    Program {
        name: "WebKitWebDriver",
        from: Provider::Debian("webkit2gtk-driver"),
        why: "drives the real window; started by tauri-driver",
    },
    Program {
        name: "xdotool",
        from: Provider::Debian("xdotool"),
        why: "moves the mouse for the drag and drop, finds the window by its title",
    },
    Program {
        name: "xprop",
        from: Provider::Debian("x11-utils"),
        why: "reads the installed window's X class",
    },
    Program {
        name: "xsettingsd",
        from: Provider::Debian("xsettingsd"),
        why: "changes the desktop's text size while the app runs",
    },
    Program {
        name: "python3",
        from: Provider::Debian("python3"),
        why: "the drag source and tray panel scripts (with python3-gi), ZIP checks; \
              the tools environment's python3 is this one",
    },
    Program {
        name: "desktop-file-validate",
        from: Provider::Debian("desktop-file-utils"),
        why: "checks the menu and login entries",
    },
    Program {
        name: "update-desktop-database",
        from: Provider::Debian("desktop-file-utils"),
        why: "the installed-package test builds the cache of link handlers that dpkg's \
              trigger builds on a real install, so `xdg-open` finds Pic-up for `picup:` links",
    },
    Program {
        name: "appstreamcli",
        from: Provider::Debian("appstream"),
        why: "checks the .deb's AppStream metadata",
    },
    Program {
        name: "dpkg-deb",
        from: Provider::Debian("dpkg"),
        why: "builds the .deb (xtask) and unpacks it (the package test)",
    },
    Program {
        name: "strip",
        from: Provider::Debian("binutils"),
        why: "strips the binary the server .deb ships (xtask), as dh_strip would",
    },
    Program {
        name: "gzip",
        from: Provider::Debian("gzip"),
        why: "compresses the server .deb's changelog (xtask)",
    },
    Program {
        name: "systemd-analyze",
        from: Provider::Debian("systemd"),
        why: "verifies the server .deb's unit and rates its sandbox, offline",
    },
    Program {
        name: "lintian",
        from: Provider::Debian("lintian"),
        why: "checks the server .deb against Debian policy",
    },
    // A private session bus and keyring (xtask test, the cloud tests, bench sync).
    Program {
        name: "dbus-run-session",
        from: Provider::Debian("dbus"),
        why: "a private D-Bus session for the tests and the sync and restore benchmarks",
    },
    Program {
        name: "dbus-daemon",
        from: Provider::Debian("dbus"),
        why: "the bus itself, started by dbus-run-session",
    },
    Program {
        name: "gnome-keyring-daemon",
        from: Provider::Debian("gnome-keyring"),
        why: "a real Secret Service keyring, started in `sh -c`",
    },
    Program {
        name: "sh",
        from: Provider::Debian("dash"),
        why: "runs the keyring's start-up line, PostgreSQL's commands, vipsthumbnail, the \
              server package's postinst (with stubs for what it calls)",
    },
    Program {
        name: "cat",
        from: Provider::Debian("coreutils"),
        why: "prints the server package's install message, when its test runs the postinst",
    },
    Program {
        name: "sleep",
        from: Provider::Debian("coreutils"),
        why: "keeps the private keyring's session open",
    },
    // The sync server's tests (sync-server/tests/support/mod.rs).
    Program {
        name: "initdb",
        from: Provider::DebianIn {
            package: "postgresql",
            dir: "/usr/lib/postgresql/*/bin",
        },
        why: "a throwaway PostgreSQL cluster",
    },
    Program {
        name: "pg_ctl",
        from: Provider::DebianIn {
            package: "postgresql",
            dir: "/usr/lib/postgresql/*/bin",
        },
        why: "starts and stops that cluster",
    },
    Program {
        name: "su",
        from: Provider::Debian("util-linux"),
        why: "runs initdb and pg_ctl as the postgres user when the tests run as root",
    },
    Program {
        name: "chown",
        from: Provider::Debian("coreutils"),
        why: "gives the cluster's folder to the postgres user",
    },
    Program {
        name: "weed",
        from: Provider::PythonTools,
        why: "SeaweedFS, a real distributed S3 store",
    },
    Program {
        name: "pebble",
        from: Provider::Debian("pebble"),
        why: "Let's Encrypt's ACME test server: the server gets its HTTPS certificate from it",
    },
    Program {
        name: "pebble-challtestsrv",
        from: Provider::Debian("pebble"),
        why: "the DNS Pebble asks, answering 127.0.0.1 for every name",
    },
    Program {
        name: "caddy",
        from: Provider::Debian("caddy"),
        why: "a reverse proxy in front of the server (its own CA, offline), as the README shows",
    },
    Program {
        name: "certutil",
        from: Provider::Debian("libnss3-tools"),
        why: "adds Pebble's root to the test browser's certificate store",
    },
    Program {
        name: "chromedriver",
        from: Provider::Debian("chromium-driver"),
        why: "drives a real browser on the family share page",
    },
    Program {
        name: "chromium",
        from: Provider::Debian("chromium"),
        why: "that browser, started by chromedriver",
    },
    // The desktop library's tests (core/tests/cli.rs).
    Program {
        name: "setpriv",
        from: Provider::Debian("util-linux"),
        why: "runs `picup` as nobody when the tests run as root",
    },
    // cargo xtask.
    Program {
        name: "cargo",
        from: Provider::RustToolchain,
        why: "builds, checks and tests; installs tauri-driver",
    },
    Program {
        name: "apt-get",
        from: Provider::Debian("apt"),
        why: "`cargo xtask deps` installs the Debian packages",
    },
    Program {
        name: "sudo",
        from: Provider::UsedOnlyIfInstalled,
        why: "runs apt-get for a user who is not root",
    },
    Program {
        name: "dpkg-query",
        from: Provider::Debian("dpkg"),
        why: "which Debian packages are installed",
    },
    Program {
        name: "id",
        from: Provider::Debian("coreutils"),
        why: "whether xtask runs as root",
    },
    Program {
        name: "pip",
        from: Provider::PythonTools,
        why: "installs SeaweedFS, botocore, cryptography and aiosmtpd into the tools environment",
    },
    Program {
        name: "curl",
        from: Provider::Debian("curl"),
        why: "downloads axe-core",
    },
    Program {
        name: "sha256sum",
        from: Provider::Debian("coreutils"),
        why: "checks axe-core's tarball",
    },
    Program {
        name: "tar",
        from: Provider::Debian("tar"),
        why: "unpacks axe-core",
    },
    Program {
        name: "rsvg-convert",
        from: Provider::Debian("librsvg2-bin"),
        why: "renders the app icons (`cargo xtask icons`, the .deb)",
    },
    Program {
        name: "dpkg",
        from: Provider::Debian("dpkg"),
        why: "the .deb's architecture",
    },
    Program {
        name: "dpkg-shlibdeps",
        from: Provider::Debian("dpkg-dev"),
        why: "the .deb's library dependencies",
    },
    // cargo xtask bench.
    Program {
        name: "bench_photos",
        from: Provider::Workspace,
        why: "makes the benchmarks' photos (a core example)",
    },
    Program {
        name: "bench_album",
        from: Provider::Workspace,
        why: "drives the real window for the album benchmark (a picup-tests example)",
    },
    Program {
        name: "bench_seed",
        from: Provider::Workspace,
        why: "fills the server benchmark's database (a sync-server example)",
    },
    Program {
        name: "bench_sign",
        from: Provider::Workspace,
        why: "signs the share benchmark's URLs (a sync-server example)",
    },
    Program {
        name: "vipsthumbnail",
        from: Provider::Debian("libvips-tools"),
        why: "the import benchmark's reference",
    },
    Program {
        name: "wrk",
        from: Provider::Debian("wrk"),
        why: "the server benchmark's load generator",
    },
    Program {
        name: "nginx",
        from: Provider::Debian("nginx"),
        why: "the share benchmark's reference",
    },
    Program {
        name: "rclone",
        from: Provider::Debian("rclone"),
        why: "the sync and restore benchmarks' reference",
    },
];

/// The entry for `program`, a name or a path (only its file name counts).
pub fn find(program: impl AsRef<OsStr>) -> Option<&'static Program> {
    let path = Path::new(program.as_ref());
    let name = path.file_name()?;
    PROGRAMS
        .iter()
        .find(|declared| OsStr::new(declared.name) == name)
}

/// Like [`find`], for a program a test is about to run, perhaps indirectly (through
/// `sh -c` or another program).
///
/// # Panics
/// If `program` is not in [`PROGRAMS`].
pub fn declared(program: impl AsRef<OsStr>) -> &'static Program {
    let program = program.as_ref();
    find(program).unwrap_or_else(|| {
        panic!(
            "`{}` is not declared in testkit/src/programs.rs with the package that provides it; \
             declare it there (and add its package to DEBIAN_PACKAGES in xtask/src/deps.rs \
             if Debian does not install it everywhere)",
            program.to_string_lossy()
        )
    })
}

/// A [`Command`] for `program`, how tests start every program.
///
/// # Panics
/// If `program` is not in [`PROGRAMS`].
pub fn program(program: impl AsRef<OsStr>) -> Command {
    declared(&program);
    Command::new(program)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn names_are_declared_once() {
        let mut names: Vec<_> = PROGRAMS.iter().map(|program| program.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a program is declared twice");
    }

    #[test]
    fn a_path_is_checked_by_its_file_name() {
        assert_eq!(find("/usr/bin/python3").map(|p| p.name), Some("python3"));
        let undeclared = "surely-not-a-declared-program";
        assert!(find(undeclared).is_none());
        let refused = std::panic::catch_unwind(|| program(undeclared));
        let message = *refused
            .expect_err("an undeclared program is refused")
            .downcast::<String>()
            .expect("a formatted message");
        assert!(message.contains("is not declared in testkit/src/programs.rs"));
    }

    /// What the source runs by a literal name, wherever it is: a program added to a
    /// test or to xtask without its entry here fails CI, not the next new machine.
    #[test]
    fn every_program_the_source_runs_by_name_is_declared() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the test kit is inside the workspace");
        let mut files = Vec::new();
        rust_files(root, &mut files);
        assert!(
            files.len() > 50,
            "found only {} .rs files under {}",
            files.len(),
            root.display()
        );
        let mut undeclared = Vec::new();
        for file in &files {
            let source = std::fs::read_to_string(file).expect("a readable source file");
            for (line, name) in programs_run_by_name(&source) {
                if find(&name).is_none() {
                    let file = file.strip_prefix(root).unwrap_or(file);
                    undeclared.push(format!("{}:{line}: {name}", file.display()));
                }
            }
        }
        assert!(
            undeclared.is_empty(),
            "programs run but not declared in testkit/src/programs.rs:\n  {}",
            undeclared.join("\n  ")
        );
    }

    #[test]
    fn the_scan_sees_both_ways_of_starting_a_program() {
        let source = "Command::new(\"ffmpeg\")\n let c = program(\n    \"/usr/bin/python3\",\n);\n\
                      find_program(\"no\"); Command::new(path);";
        assert_eq!(
            programs_run_by_name(source),
            vec![(1, "ffmpeg".to_owned()), (2, "/usr/bin/python3".to_owned())]
        );
    }

    /// Every `.rs` file under `dir`, leaving out build output and hidden folders.
    fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') && !name.starts_with("node_modules") {
                    rust_files(&path, files);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }

    /// The line and name of each program that `Command::new` or `program` is given as a
    /// string literal in `source`.
    fn programs_run_by_name(source: &str) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        for opening in ["Command::new(", "program("] {
            for (at, _) in source.match_indices(opening) {
                let is_whole_name = source[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|before| !before.is_alphanumeric() && before != '_');
                let Some(literal) = source[at + opening.len()..].trim_start().strip_prefix('"')
                else {
                    continue;
                };
                let Some(end) = literal.find('"') else {
                    continue;
                };
                let name = &literal[..end];
                // Only what can be a program's path: not this function's own patterns.
                let is_path = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/._+-".contains(c));
                if is_whole_name && is_path {
                    let line = source[..at].matches('\n').count() + 1;
                    found.push((line, name.to_owned()));
                }
            }
        }
        found.sort();
        found
    }
}
