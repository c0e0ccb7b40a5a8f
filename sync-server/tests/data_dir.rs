//! The data directory holds the database (password hashes, session hashes), every photo
//! and the CDN signing key, so only the server's own user may read it: a fresh one is
//! made private, and one an older version left open is tightened when the server starts.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;

/// The permission bits, in octal as `ls` and `chmod` write them.
fn mode(path: &Path) -> String {
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode();
    format!("{:o}", mode & 0o777)
}

/// Every mode that matters, as "name mode" lines, so a failure shows them all at once.
fn modes(data: &Path) -> Vec<String> {
    PRIVATE
        .iter()
        .map(|(name, _)| format!("{name} {}", mode(&data.join(name))))
        .collect()
}

fn private() -> Vec<String> {
    PRIVATE
        .iter()
        .map(|(name, mode)| format!("{name} {mode}"))
        .collect()
}

const PRIVATE: [(&str, &str); 6] = [
    (".", "700"),
    ("objects", "700"),
    ("picup.db", "600"),
    ("picup.db-wal", "600"),
    ("picup.db-shm", "600"),
    ("cdn-private.pem", "600"),
];

#[test]
fn a_fresh_data_directory_is_private_and_an_old_open_one_is_tightened() {
    let parent = tempfile::Builder::new()
        .prefix("picup-modes")
        .tempdir()
        .unwrap();
    // Made world-readable so the test sees what the server does, not tempfile's 0700.
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = parent.path().join("data");
    // Logs beside the data directory, not in it: the test reads the directory's modes.
    let mut install = Server::embedded_in(PICUP_SERVER, &data, parent.path())
        .with_env("PICUP_S3_LISTEN", "127.0.0.1:0");

    // What an operator does first: add an account, which creates the directory.
    install
        .add_account_with_password("mum@example.org", None, PASSWORD)
        .unwrap();
    assert_eq!(mode(&data), "700", "the data directory");
    assert_eq!(mode(&data.join("picup.db")), "600", "the database");

    starts_private(&mut install, &data);

    // An older version made everything readable by all; killed, it leaves its WAL behind.
    install.kill_9();
    for (name, _) in PRIVATE {
        let loose = if name == "." || name == "objects" {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(data.join(name), std::fs::Permissions::from_mode(loose)).unwrap();
    }
    starts_private(&mut install, &data);
}

/// Starts the server and checks that it has made everything private.
fn starts_private(install: &mut Server, data: &Path) {
    install.start().unwrap();
    let log = install.process().unwrap().log();
    assert_eq!(modes(data), private(), "{log}");
}
