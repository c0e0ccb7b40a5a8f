//! The session both front ends hold: one import at a time, the steps after an import,
//! and "Try again", on real photo files in a temporary library.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use picup_core::fixtures::{self, ExifFields};
use picup_core::watch::{FolderState, WatchEvent};
use picup_core::{ImportOptions, ImportSummary, Library, Session, SessionError};

/// Generous: a loaded CI machine may take a while to notice a file.
const DEADLINE: Duration = Duration::from_secs(90);

/// Puts a small camera-like photo at `path`, made from `seed`.
fn put_photo(path: &Path, seed: u64) {
    let picture = fixtures::camera_like_picture(96, 64, seed);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, fixtures::jpeg(&picture, 85, &ExifFields::default())).unwrap();
}

fn import_all(session: &Session, folder: &Path) -> ImportSummary {
    session
        .import(&[folder.to_path_buf()], &ImportOptions::default(), |_| {})
        .unwrap()
}

/// A session on an empty library, and a folder `Garden` with `photos` photos beside it.
fn setup(photos: u64) -> (tempfile::TempDir, Session, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let garden = dir.path().join("Garden");
    for seed in 0..photos {
        put_photo(&garden.join(format!("{seed}.jpg")), seed);
    }
    let session = Session::new(Library::open(dir.path().join("library")).unwrap());
    (dir, session, garden)
}

fn photo_count(session: &Session) -> usize {
    session
        .library()
        .index()
        .unwrap()
        .photos(None)
        .unwrap()
        .len()
}

#[test]
fn a_second_import_and_removing_an_album_wait_for_the_first_import() {
    let (dir, session, garden) = setup(3);
    let other = dir.path().join("Beach");
    put_photo(&other.join("a.jpg"), 10);

    std::thread::scope(|scope| {
        // Made inside the scope, so a failed check drops `resume` and lets the held
        // import end rather than hang the test.
        let (paused_tx, paused) = mpsc::channel();
        let (resume, resume_rx) = mpsc::channel::<()>();
        let first = scope.spawn(|| {
            let mut once = Some((paused_tx, resume_rx));
            // Holds the import at its first progress report until the test has tried
            // the things that must wait for it.
            session.import(
                std::slice::from_ref(&garden),
                &ImportOptions::default(),
                |_| {
                    if let Some((paused, resume)) = once.take() {
                        paused.send(()).unwrap();
                        let _ = resume.recv();
                    }
                },
            )
        });
        paused.recv_timeout(DEADLINE).unwrap();
        assert!(session.is_importing());

        let second = session.import(
            std::slice::from_ref(&other),
            &ImportOptions::default(),
            |_| {},
        );
        assert!(
            matches!(second, Err(SessionError::AlreadyImporting)),
            "{second:?}"
        );
        // The page recognises this exact sentence (ui/js/import.js).
        assert_eq!(
            second.unwrap_err().to_string(),
            "Photos are already being added. Please wait until that has finished."
        );
        let removal = session.remove_album(1);
        assert!(
            matches!(removal, Err(SessionError::BusyImporting)),
            "{removal:?}"
        );

        resume.send(()).unwrap();
        let summary = first.join().unwrap().unwrap();
        assert_eq!(summary.imported, 3);
    });

    // The turn is over: the refused import now goes ahead, and so does a removal.
    assert!(!session.is_importing());
    assert_eq!(import_all(&session, &other).imported, 1);
    assert_eq!(photo_count(&session), 4);
    let albums = session.library().index().unwrap().albums().unwrap();
    let garden_album = albums
        .iter()
        .find(|album| album.title == "Garden")
        .unwrap()
        .id;
    session.remove_album(garden_album).unwrap();
    assert_eq!(
        session.library().index().unwrap().albums().unwrap().len(),
        1
    );
    assert_eq!(photo_count(&session), 1, "the others are in the Trash");
    assert_eq!(session.trash().unwrap().entries[0].count, 3);
    session.empty_trash(None).unwrap();
    assert_eq!(photo_count(&session), 1);
}

#[test]
fn nothing_or_a_missing_path_is_refused_before_anything_is_read() {
    let (dir, session, _garden) = setup(0);
    let nothing = session.import(&[], &ImportOptions::default(), |_| {});
    assert!(matches!(nothing, Err(SessionError::NothingToImport)));
    let missing = dir.path().join("Gone");
    let answer = session.import(
        std::slice::from_ref(&missing),
        &ImportOptions::default(),
        |_| {},
    );
    assert_eq!(
        answer.unwrap_err().to_string(),
        format!("There is no file or folder at {}.", missing.display())
    );
    assert!(
        !session.is_importing(),
        "a refusal leaves no import running"
    );
}

#[test]
fn a_folder_just_imported_is_watched_and_listed() {
    let (_dir, session, garden) = setup(1);
    let (events, heard) = mpsc::channel();
    session
        .start_watching(move |event| {
            let _ = events.send(event);
        })
        .unwrap();
    // The watcher has read the library's folders (none yet) before the import.
    while !matches!(
        heard.recv_timeout(DEADLINE).unwrap(),
        WatchEvent::CaughtUp { .. }
    ) {}
    import_all(&session, &garden);

    let folders = session.folders().unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].path, garden.to_string_lossy());
    assert_eq!(folders[0].photo_count, 1);

    // Without the step after the import, the watcher would not know this folder and
    // the new photo would wait for the next start.
    put_photo(&garden.join("new.jpg"), 99);
    let started = Instant::now();
    while photo_count(&session) < 2 {
        let left = DEADLINE.saturating_sub(started.elapsed());
        assert!(!left.is_zero(), "the new photo was never picked up");
        let _ = heard.recv_timeout(left);
    }
    assert_eq!(session.folders().unwrap()[0].state, FolderState::Watching);

    assert!(
        session
            .stop_watching_folder(&garden.to_string_lossy())
            .unwrap()
    );
    assert!(
        !session
            .stop_watching_folder(&garden.to_string_lossy())
            .unwrap()
    );
    assert!(session.folders().unwrap().is_empty());
    assert_eq!(photo_count(&session), 2, "its photos stay in the library");
}

/// Unix milliseconds now: the engine's clock is the system clock outside its own tests.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn try_again_queues_what_gave_up_and_makes_what_waits_due_now() {
    let (_dir, session, garden) = setup(3);
    import_all(&session, &garden);
    let index = session.library().index().unwrap();
    let due = index.due_sync_items(now_ms(), 10, &[]).unwrap();
    assert_eq!(due.len(), 3);
    let (gave_up, waits) = (&due[0], &due[1]);
    index
        .sync_item_failed(
            gave_up.album_id,
            gave_up.photo_id,
            "The family cloud is full.",
        )
        .unwrap();
    let in_an_hour = now_ms() + 3_600_000;
    index
        .sync_item_later(waits.album_id, waits.photo_id, in_an_hour, "Offline", true)
        .unwrap();
    assert_eq!(index.due_sync_items(now_ms(), 10, &[]).unwrap().len(), 1);
    assert_eq!(index.failed_sync_items().unwrap().len(), 1);

    assert_eq!(session.retry_failed_uploads().unwrap(), 1);

    assert!(index.failed_sync_items().unwrap().is_empty());
    let due = index.due_sync_items(now_ms(), 10, &[]).unwrap();
    assert_eq!(due.len(), 3, "all three are due now: {due:?}");
    assert_eq!(session.retry_failed_uploads().unwrap(), 0);
}

#[test]
fn removed_albums_and_photos_come_back_as_they_were_and_go_for_good_after_thirty_days() {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let (dir, session, garden) = setup(4);
    import_all(&session, &garden);
    let index = session.library().index().unwrap();
    let album = index.albums().unwrap()[0].clone();
    let order = |session: &Session| -> Vec<String> {
        session
            .library()
            .index()
            .unwrap()
            .photos(Some(album.id))
            .unwrap()
            .into_iter()
            .map(|p| p.hash)
            .collect()
    };
    let before = order(&session);

    // One photo out and back: the same place in the same album.
    let second = index.photos(Some(album.id)).unwrap()[1].id;
    let entries = session.remove_items(album.id, &[second]).unwrap();
    assert_eq!(order(&session).len(), 3);
    session.restore_from_trash(&entries).unwrap();
    assert_eq!(order(&session), before);

    // The whole album out and back: the same album.
    let entry = session.remove_album(album.id).unwrap();
    assert!(index.albums().unwrap().is_empty());
    let trash = session.trash().unwrap();
    assert_eq!((trash.entries.len(), trash.entries[0].count), (1, 4));
    session.restore_from_trash(&[entry]).unwrap();
    assert_eq!(index.albums().unwrap(), std::slice::from_ref(&album));
    assert_eq!(order(&session), before);

    // Removed again and left: nothing goes before thirty days, everything after.
    let removed_at = chrono::Utc::now().timestamp_millis();
    session.remove_album(album.id).unwrap();
    let thumbnail = session
        .library()
        .derived_path(&before[0], picup_core::library::Derived::Thumbnail);
    assert!(thumbnail.exists(), "kept while in the Trash");
    assert_eq!(
        session
            .purge_expired_trash(removed_at + 29 * DAY_MS)
            .unwrap(),
        0
    );
    assert_eq!(session.trash().unwrap().entries.len(), 1);
    assert_eq!(
        session
            .purge_expired_trash(removed_at + 31 * DAY_MS)
            .unwrap(),
        4
    );
    assert!(session.trash().unwrap().entries.is_empty());
    assert_eq!(photo_count(&session), 0);
    assert!(!thumbnail.exists(), "derived images go with the items");
    assert_eq!(
        std::fs::read_dir(&garden).unwrap().count(),
        4,
        "the parent's files are never touched"
    );
    drop(dir);
}

#[test]
fn a_removed_photo_stays_out_when_its_folder_is_added_again_until_restored() {
    let (_dir, session, garden) = setup(3);
    import_all(&session, &garden);
    let index = session.library().index().unwrap();
    let album = index.albums().unwrap()[0].id;
    let first = index.photos(Some(album)).unwrap()[0].clone();
    let entries = session.remove_items(album, &[first.id]).unwrap();

    // The folder dropped again: the removed photo stays in the Trash.
    import_all(&session, &garden);
    assert_eq!(index.photos(Some(album)).unwrap().len(), 2);
    // The photo's own file dropped: the parent wants it back.
    import_all(&session, Path::new(&first.path));
    assert_eq!(index.photos(Some(album)).unwrap().len(), 3);
    // Restoring it now changes nothing more, and loses nothing.
    session.restore_from_trash(&entries).unwrap();
    assert_eq!(index.photos(Some(album)).unwrap().len(), 3);
    assert!(session.trash().unwrap().entries.is_empty());
}
