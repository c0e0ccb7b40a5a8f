//! The `picup` command line as a script would use it, including an import killed with
//! SIGKILL part-way through and then run again.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use picup_core::fixtures::{self, ExifFields};
use serde_json::Value;

fn picup(library: &Path) -> Command {
    let mut command = picup_testkit::program(env!("CARGO_BIN_EXE_picup"));
    command
        .arg("--library")
        .arg(library)
        .env_remove("PICUP_LIBRARY");
    command
}

fn run_json(command: &mut Command) -> Value {
    let output = command.output().expect("picup runs");
    assert!(
        output.status.success(),
        "picup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON document")
}

fn make_photos(folder: &Path, count: u64, size: (u32, u32)) {
    std::fs::create_dir_all(folder).unwrap();
    for i in 0..count {
        let bytes = fixtures::jpeg(
            &fixtures::camera_like_picture(size.0, size.1, i),
            88,
            &ExifFields {
                taken: Some(format!("2024:05:{:02} 12:00:00", 1 + i % 28)),
                ..ExifFields::default()
            },
        );
        std::fs::write(folder.join(format!("IMG_{i:04}.jpg")), bytes).unwrap();
    }
}

#[test]
fn import_albums_photos_and_skipped_answer_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let photos = dir.path().join("Garden party");
    make_photos(&photos, 3, (800, 600));
    std::fs::write(photos.join("broken.jpg"), b"not a photo").unwrap();

    let summary = run_json(picup(&library).args(["import", "--json"]).arg(&photos));
    assert_eq!(summary["imported"], 3);
    assert_eq!(summary["duplicates"], 0);
    assert_eq!(summary["skipped"], 1);
    assert_eq!(summary["albums"], 1);

    let albums = run_json(picup(&library).args(["albums", "--json"]));
    let album = &albums.as_array().unwrap()[0];
    assert_eq!(album["title"], "Garden party");
    assert_eq!(album["count"], 3);
    let words = picup(&library).arg("albums").output().unwrap();
    let words = String::from_utf8_lossy(&words.stdout);
    assert!(
        words.contains("Garden party") && words.contains(" 3 photos"),
        "{words}"
    );
    let cover = PathBuf::from(album["cover"].as_str().unwrap());
    assert!(cover.is_absolute() && cover.exists(), "{cover:?}");

    let id = album["id"].as_i64().unwrap();
    let list = run_json(picup(&library).args(["photos", "--json", "--album", &id.to_string()]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for photo in list {
        assert_eq!(photo["album_id"], id);
        assert_eq!(photo["kind"], "photo");
        assert_eq!(
            (photo["width"].as_u64(), photo["height"].as_u64()),
            (Some(800), Some(600))
        );
        assert_eq!(photo["hash"].as_str().unwrap().len(), 64);
        assert!(photo["taken_at"].as_str().unwrap().starts_with("2024-05-0"));
        for key in ["thumbnail", "preview", "path"] {
            assert!(
                Path::new(photo[key].as_str().unwrap()).exists(),
                "{key} exists"
            );
        }
    }

    let skipped = run_json(picup(&library).args(["skipped", "--json"]));
    let skipped = skipped.as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("broken.jpg"));
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty());
}

fn assert_one_sentence_error(output: &Output) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.trim().ends_with('.'), "a sentence: {stderr}");
}

#[test]
fn mistakes_end_with_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let output = picup(&library)
        .args(["import", "/no/such/folder"])
        .output()
        .unwrap();
    assert_one_sentence_error(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/folder"));
    let output = picup(&library)
        .args(["photos", "--album", "42"])
        .output()
        .unwrap();
    assert_one_sentence_error(&output);
    let output = picup(&library)
        .args(["rename", "42", "Holidays"])
        .output()
        .unwrap();
    assert_one_sentence_error(&output);
}

#[test]
fn cloud_connect_refuses_an_address_that_is_not_private() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let connect = |extra: &[&str]| {
        picup(&library)
            .args(["cloud", "connect", "--server", "http://photos.example.org"])
            .args(["--email", "grandma@example.org"])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let output = connect(&[]);
    assert_one_sentence_error(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not start with https://") && stderr.contains("--allow-insecure"),
        "says why and how to go ahead: {stderr}"
    );
    let status = run_json(picup(&library).args(["cloud", "status", "--json"]));
    assert!(status["account"].is_null(), "not signed in: {status}");

    // With --allow-insecure the address passes; the empty password (nothing on stdin)
    // then stops it, still before anything is sent.
    let output = connect(&["--allow-insecure"]);
    assert_one_sentence_error(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Please type your email and password."),
        "got past the address: {stderr}"
    );
}

/// Root reads any file whatever its permissions, so the unreadable-file story runs the
/// import as the unprivileged `nobody` user when the tests run as root.
#[test]
fn an_unreadable_file_is_skipped_with_a_reason() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let library = dir.path().join("library");
    let photos = dir.path().join("Private");
    make_photos(&photos, 2, (320, 240));
    std::fs::set_permissions(&photos, std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = photos.join("IMG_0001.jpg");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(
        photos.join("IMG_0000.jpg"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();

    let summary = run_json(
        unprivileged_picup(&library, dir.path())
            .args(["import", "--json"])
            .arg(&photos),
    );
    assert_eq!(summary["imported"], 1);
    assert_eq!(summary["skipped"], 1);
    let skipped = run_json(picup(&library).args(["skipped", "--json"]));
    assert_eq!(skipped[0]["path"], secret.to_string_lossy().as_ref());
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not allowed")
    );
}

/// `picup` as an ordinary user: as itself when the tests do not run as root, else as
/// `nobody` (root may read anything, which would hide permission problems).
fn unprivileged_picup(library: &Path, home: &Path) -> Command {
    let is_root = unsafe { libc::geteuid() } == 0;
    if !is_root {
        return picup(library);
    }
    let mut command = picup_testkit::program("setpriv");
    command
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_picup"),
        ])
        .arg("--library")
        .arg(library)
        .env("HOME", home)
        .env_remove("PICUP_LIBRARY");
    command
}

#[test]
fn a_folder_that_may_not_be_read_is_shown_as_such() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let library = dir.path().join("library");
    let photos = dir.path().join("Shared");
    make_photos(&photos, 1, (320, 240));
    run_json(
        unprivileged_picup(&library, dir.path())
            .args(["import", "--json"])
            .arg(&photos),
    );
    let folders = run_json(unprivileged_picup(&library, dir.path()).args(["folders", "--json"]));
    assert_eq!(folders[0]["state"], "watching");

    std::fs::set_permissions(&photos, std::fs::Permissions::from_mode(0o000)).unwrap();
    let folders = run_json(unprivileged_picup(&library, dir.path()).args(["folders", "--json"]));
    std::fs::set_permissions(&photos, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(folders[0]["state"], "not_allowed");
    assert!(
        folders[0]["state_words"]
            .as_str()
            .unwrap()
            .contains("not allowed")
    );
}

/// Counts what the index holds, straight from SQLite, and checks that it is whole.
fn index_state(library: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(library.join("index.sqlite3")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let photos: i64 = conn
        .query_row("SELECT COUNT(*) FROM photos", [], |r| r.get(0))
        .unwrap();
    let files: i64 = conn
        .query_row("SELECT COUNT(*) FROM files", [], |r| r.get(0))
        .unwrap();
    // Every recorded item is in an album and has both derived images on disk.
    let orphans: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM photos p WHERE NOT EXISTS
               (SELECT 1 FROM album_photos ap WHERE ap.photo_id = p.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    let mut stmt = conn.prepare("SELECT hash FROM photos").unwrap();
    let hashes: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for hash in hashes {
        for folder in ["thumbs", "previews"] {
            let path = library
                .join("cache")
                .join(folder)
                .join(&hash[..2])
                .join(format!("{hash}.jpg"));
            let bytes = std::fs::read(&path).unwrap_or_else(|_| panic!("{path:?} exists"));
            fixtures::decode_jpeg(&bytes);
        }
    }
    (photos, files)
}

#[test]
fn killing_the_import_midway_loses_nothing_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let photos = dir.path().join("Holiday");
    const COUNT: u64 = 48;
    make_photos(&photos, COUNT, (1600, 1200));
    // Two copies of one photo, so duplicates are in play when the kill lands.
    std::fs::copy(
        photos.join("IMG_0000.jpg"),
        photos.join("IMG_0000 copy.jpg"),
    )
    .unwrap();

    for round in 0..2 {
        let mut child = picup(&library)
            .args(["import", "--workers", "2"])
            .arg(&photos)
            .stderr(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the import has committed something, then kill it without warning.
        let deadline = Instant::now() + Duration::from_secs(120);
        let target = 5 + round * 15;
        loop {
            let done = library.join("index.sqlite3").exists()
                && rusqlite::Connection::open(library.join("index.sqlite3"))
                    .and_then(|c| {
                        c.query_row("SELECT COUNT(*) FROM photos", [], |r| r.get::<_, i64>(0))
                    })
                    .is_ok_and(|n| n >= target as i64);
            if done || child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "the import made no progress");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (photos_now, _) = index_state(&library);
        assert!(photos_now <= COUNT as i64);
    }

    let summary = run_json(picup(&library).args(["import", "--json"]).arg(&photos));
    let (photo_count, file_count) = index_state(&library);
    assert_eq!(photo_count, COUNT as i64, "every photo once: {summary}");
    assert_eq!(file_count, COUNT as i64 + 1, "every file recorded");
    let albums = run_json(picup(&library).args(["albums", "--json"]));
    assert_eq!(albums.as_array().unwrap().len(), 1);
    assert_eq!(albums[0]["count"], COUNT);
}

#[test]
fn folders_are_listed_and_can_be_let_go_keeping_their_photos() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let photos = dir.path().join("Camera roll");
    make_photos(&photos, 2, (320, 240));
    run_json(picup(&library).args(["import", "--json"]).arg(&photos));

    let folders = run_json(picup(&library).args(["folders", "--json"]));
    assert_eq!(folders[0]["path"], photos.to_string_lossy().as_ref());
    assert_eq!(folders[0]["photo_count"], 2);
    assert_eq!(folders[0]["state"], "watching");

    std::fs::rename(&photos, dir.path().join("elsewhere")).unwrap();
    let folders = run_json(picup(&library).args(["folders", "--json"]));
    assert_eq!(folders[0]["state"], "unavailable");
    assert!(folders[0]["state_words"].as_str().unwrap().contains("stay"));

    let output = picup(&library)
        .args(["folders", "remove"])
        .arg(&photos)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        run_json(picup(&library).args(["folders", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );
    let albums = run_json(picup(&library).args(["albums", "--json"]));
    assert_eq!(albums[0]["count"], 2, "the photos stay");

    let output = picup(&library)
        .args(["folders", "remove"])
        .arg(&photos)
        .output()
        .unwrap();
    assert_one_sentence_error(&output);
}

#[test]
fn picup_watch_prints_a_line_per_change() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let photos = dir.path().join("Inbox");
    make_photos(&photos, 1, (320, 240));
    run_json(picup(&library).args(["import", "--json"]).arg(&photos));

    let mut watch = picup(&library)
        .arg("watch")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let next_line = |prefix: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {prefix:?} line"));
            if line.starts_with(prefix) {
                return line;
            }
        }
    };
    next_line("caught up");
    let new = photos.join("new.jpg");
    std::fs::copy(photos.join("IMG_0000.jpg"), photos.join("copy.jpg")).unwrap();
    std::fs::write(
        &new,
        fixtures::jpeg(
            &fixtures::camera_like_picture(64, 48, 99),
            80,
            &ExifFields::default(),
        ),
    )
    .unwrap();
    let added = [next_line("added"), next_line("added")];
    assert!(
        added.contains(&format!("added {}", new.display())),
        "{added:?}"
    );
    std::fs::rename(&new, photos.join("renamed.jpg")).unwrap();
    assert_eq!(
        next_line("moved"),
        format!(
            "moved {} -> {}",
            new.display(),
            photos.join("renamed.jpg").display()
        )
    );
    watch.kill().unwrap();
    watch.wait().unwrap();
}
