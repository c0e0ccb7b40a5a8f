//! Watched folders, live: each change on disk reaches the index exactly once.
//!
//! Every wait is a generous deadline on the state the index reaches (never a fixed sleep
//! that only passes on a fast machine).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use picup_core::Library;
use picup_core::fixtures::{self, ExifFields};
use picup_core::watch::{Change, FolderState, FolderWatcher, WatchEvent};

const DEADLINE: Duration = Duration::from_secs(90);

struct Story {
    _dir: tempfile::TempDir,
    root: PathBuf,
    library: Library,
    changes: Arc<Mutex<Vec<Change>>>,
    states: Arc<Mutex<Vec<(String, FolderState)>>>,
    watcher: Option<FolderWatcher>,
}

fn jpeg(seed: u64) -> Vec<u8> {
    fixtures::jpeg(
        &fixtures::camera_like_picture(96, 64, seed),
        85,
        &ExifFields::default(),
    )
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

impl Story {
    /// A library that has imported `Pictures/` (so it is a watched folder) with `files`.
    fn new(files: &[(&str, u64)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Pictures");
        std::fs::create_dir_all(&root).unwrap();
        for (name, seed) in files {
            write(&root.join(name), &jpeg(*seed));
        }
        let library = Library::open(dir.path().join("library")).unwrap();
        picup_core::import::import(
            &library,
            std::slice::from_ref(&root),
            &Default::default(),
            &AtomicBool::new(false),
            |_| {},
        )
        .unwrap();
        Story {
            _dir: dir,
            root,
            library,
            changes: Arc::default(),
            states: Arc::default(),
            watcher: None,
        }
    }

    fn start(&mut self) {
        let (changes, states) = (self.changes.clone(), self.states.clone());
        let watcher = FolderWatcher::start_with_recheck(
            self.library.clone(),
            Duration::from_secs(2),
            move |event| match event {
                WatchEvent::Changed(summary) => changes.lock().unwrap().extend(summary.changes),
                WatchEvent::Folder { path, state } => states.lock().unwrap().push((path, state)),
                WatchEvent::Progress(_) | WatchEvent::CaughtUp { .. } => {}
            },
        )
        .unwrap();
        self.watcher = Some(watcher);
    }

    /// Photos per album title, and the number of items and files in the library.
    fn albums(&self) -> Vec<(String, i64)> {
        let mut albums: Vec<_> = self
            .library
            .index()
            .unwrap()
            .albums()
            .unwrap()
            .into_iter()
            .map(|a| (a.title, a.count))
            .collect();
        albums.sort();
        albums
    }

    fn totals(&self) -> (usize, usize) {
        let index = self.library.index().unwrap();
        (
            index.photos(None).unwrap().len(),
            index.known_files().unwrap().len(),
        )
    }

    fn photo_id_at(&self, path: &Path) -> Option<i64> {
        let index = self.library.index().unwrap();
        index
            .known_files()
            .unwrap()
            .get(path.to_str().unwrap())
            .map(|f| f.photo_id)
    }

    /// Waits for `condition`; on failure says what the library and the watcher saw.
    fn wait_until(&self, what: &str, mut condition: impl FnMut(&Self) -> bool) {
        if let Err(timeout) =
            picup_testkit::eventually(what, DEADLINE, || condition(self).then_some(()))
        {
            panic!(
                "{timeout}; albums {:?}, changes {:?}",
                self.albums(),
                self.changes.lock().unwrap()
            );
        }
    }

    fn changes_for(&self, path: &Path) -> Vec<Change> {
        let path = path.to_string_lossy();
        self.changes
            .lock()
            .unwrap()
            .iter()
            .filter(|c| match c {
                Change::Added { path: p }
                | Change::Updated { path: p }
                | Change::Removed { path: p }
                | Change::Skipped { path: p, .. } => *p == path,
                Change::Moved { from, to } => *from == path || *to == path,
                _ => false,
            })
            .cloned()
            .collect()
    }
}

fn album(title: &str, count: i64) -> (String, i64) {
    (title.to_string(), count)
}

#[test]
fn new_edited_renamed_moved_and_deleted_files_are_followed() {
    let mut s = Story::new(&[
        ("Summer/a.jpg", 1),
        ("Summer/b.jpg", 2),
        ("Summer/c.jpg", 3),
    ]);
    s.start();
    let summer = s.root.join("Summer");

    write(&summer.join("new.jpg"), &jpeg(10));
    s.wait_until("a new photo appears", |s| {
        s.albums() == [album("Summer", 4)]
    });

    let before = s.photo_id_at(&summer.join("a.jpg")).unwrap();
    write(&summer.join("a.jpg"), &jpeg(11)); // edited: new content, same name
    s.wait_until("an edited photo is refreshed", |s| {
        s.photo_id_at(&summer.join("a.jpg"))
            .is_some_and(|id| id != before)
    });
    assert_eq!(s.albums(), [album("Summer", 4)]);

    let b = s.photo_id_at(&summer.join("b.jpg")).unwrap();
    std::fs::rename(summer.join("b.jpg"), summer.join("b renamed.jpg")).unwrap();
    s.wait_until("a renamed photo keeps its identity", |s| {
        s.photo_id_at(&summer.join("b renamed.jpg")) == Some(b)
    });

    let c = s.photo_id_at(&summer.join("c.jpg")).unwrap();
    std::fs::create_dir_all(s.root.join("Winter")).unwrap();
    std::fs::rename(summer.join("c.jpg"), s.root.join("Winter/c.jpg")).unwrap();
    s.wait_until("a moved photo follows its folder", |s| {
        s.albums() == [album("Summer", 3), album("Winter", 1)]
    });
    assert_eq!(s.photo_id_at(&s.root.join("Winter/c.jpg")), Some(c));

    std::fs::remove_file(summer.join("new.jpg")).unwrap();
    s.wait_until("a deleted photo disappears", |s| {
        s.albums() == [album("Summer", 2), album("Winter", 1)]
    });

    write(&s.root.join("Autumn/leaves.jpg"), &jpeg(12));
    s.wait_until("a new sub-folder makes a new album", |s| {
        s.albums() == [album("Autumn", 1), album("Summer", 2), album("Winter", 1)]
    });

    assert_eq!(s.totals(), (4, 4), "every photo once, every file once");
    // Each change reached the index exactly once.
    assert_eq!(
        s.changes_for(&summer.join("new.jpg")).len(),
        2,
        "added, then removed"
    );
    assert_eq!(
        s.changes_for(&summer.join("b renamed.jpg")),
        [Change::Moved {
            from: summer.join("b.jpg").to_string_lossy().into_owned(),
            to: summer.join("b renamed.jpg").to_string_lossy().into_owned(),
        }]
    );
}

#[test]
fn a_file_written_slowly_is_imported_once_when_complete() {
    let mut s = Story::new(&[("Phone/first.jpg", 1)]);
    s.start();
    let path = s.root.join("Phone/slow.jpg");
    let bytes = fixtures::jpeg(
        &fixtures::camera_like_picture(800, 600, 5),
        90,
        &ExifFields::default(),
    );
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).unwrap();
        for chunk in bytes.chunks(bytes.len().div_ceil(8)) {
            file.write_all(chunk).unwrap();
            file.flush().unwrap();
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    s.wait_until("the slow photo appears", |s| {
        s.albums() == [album("Phone", 2)]
    });
    // Give a wrongly early read every chance to have been recorded, then check.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        s.changes_for(&path),
        [Change::Added {
            path: path.to_string_lossy().into_owned()
        }],
        "imported exactly once, never half-read"
    );
    assert!(s.library.index().unwrap().skipped().unwrap().is_empty());
}

#[test]
fn a_fresh_file_is_read_at_once_only_when_its_writer_is_known_to_have_closed_it() {
    use picup_core::watch::{reconcile, reconcile_knowing_whole};
    let s = Story::new(&[("Phone/first.jpg", 1)]);
    let path = s.root.join("Phone/new.jpg");
    write(&path, &jpeg(2));
    let cancel = AtomicBool::new(false);
    let scopes = std::slice::from_ref(&path);
    // Written moments ago and not known whole: perhaps still being copied, so later.
    let waited = reconcile(&s.library, scopes, &cancel, |_| {}).unwrap();
    assert_eq!(waited.deferred, std::slice::from_ref(&path));
    assert!(waited.changes.is_empty(), "{:?}", waited.changes);
    // The watcher saw its writer close it: read now.
    let whole = std::collections::HashSet::from([path.clone()]);
    let taken = reconcile_knowing_whole(&s.library, scopes, &whole, &cancel, |_| {}).unwrap();
    assert!(taken.deferred.is_empty(), "{:?}", taken.deferred);
    assert_eq!(
        taken.changes,
        [Change::Added {
            path: path.to_string_lossy().into_owned()
        }]
    );
}

#[test]
fn a_burst_of_two_thousand_files_is_absorbed() {
    let mut s = Story::new(&[("Card/0000.jpg", 0)]);
    s.start();
    let card = s.root.join("Card");
    for i in 1..2000u64 {
        write(&card.join(format!("{i:04}.jpg")), &jpeg(i));
    }
    s.wait_until("all 2,000 photos appear", |s| {
        s.albums() == [album("Card", 2000)]
    });
    assert_eq!(s.totals(), (2000, 2000));
}

#[test]
fn a_folder_that_goes_away_keeps_its_photos_and_is_picked_up_when_back() {
    let mut s = Story::new(&[("a.jpg", 1), ("Kids/b.jpg", 2)]);
    s.start();
    let away = s.root.with_file_name("Pictures (unplugged)");
    std::fs::rename(&s.root, &away).unwrap();
    let root = s.root.to_string_lossy().into_owned();
    s.wait_until("the folder shows as unavailable", |s| {
        s.states
            .lock()
            .unwrap()
            .contains(&(root.clone(), FolderState::Unavailable))
    });
    assert_eq!(
        s.totals(),
        (2, 2),
        "nothing is forgotten while the folder is away"
    );

    std::fs::rename(&away, &s.root).unwrap();
    s.wait_until("the folder is watched again", |s| {
        s.states.lock().unwrap().last() == Some(&(root.clone(), FolderState::Watching))
    });
    write(&s.root.join("Kids/c.jpg"), &jpeg(3));
    s.wait_until("a photo added after its return appears", |s| {
        s.albums() == [album("Kids", 2), album("Pictures", 1)]
    });
    assert_eq!(s.totals(), (3, 3));
}

#[test]
fn changes_made_while_nothing_watched_are_caught_up_at_start() {
    let mut s = Story::new(&[("Trip/a.jpg", 1), ("Trip/b.jpg", 2), ("Trip/c.jpg", 3)]);
    let trip = s.root.join("Trip");
    let a = s.photo_id_at(&trip.join("a.jpg")).unwrap();
    std::fs::rename(trip.join("a.jpg"), trip.join("a moved.jpg")).unwrap();
    std::fs::remove_file(trip.join("b.jpg")).unwrap();
    write(&trip.join("d.jpg"), &jpeg(4));
    write(&s.root.join("Party/e.jpg"), &jpeg(5));

    s.start();
    s.wait_until("the index matches the disk", |s| {
        s.albums() == [album("Party", 1), album("Trip", 3)]
    });
    assert_eq!(
        s.photo_id_at(&trip.join("a moved.jpg")),
        Some(a),
        "a move, not a new photo"
    );
    assert_eq!(s.totals(), (4, 4));
}

#[test]
fn a_removed_album_stays_removed_while_its_folder_is_watched() {
    let mut s = Story::new(&[("Keep/a.jpg", 1), ("Drop/b.jpg", 2)]);
    let drop_album = s
        .library
        .index()
        .unwrap()
        .albums()
        .unwrap()
        .into_iter()
        .find(|a| a.title == "Drop")
        .unwrap()
        .id;
    s.library.remove_album(drop_album, 0).unwrap();
    s.start();
    // A catch-up at start and a change inside the removed album's folder.
    write(&s.root.join("Drop/c.jpg"), &jpeg(3));
    write(&s.root.join("Keep/d.jpg"), &jpeg(4));
    s.wait_until("the kept album gets its new photo", |s| {
        s.albums() == [album("Keep", 2)]
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        s.albums(),
        [album("Keep", 2)],
        "the removed album did not come back"
    );

    // Adding the folder again is the parent's way to bring it back.
    drop(s.watcher.take());
    picup_core::import::import(
        &s.library,
        &[s.root.join("Drop")],
        &Default::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .unwrap();
    assert_eq!(s.albums(), [album("Drop", 2), album("Keep", 2)]);
}

#[test]
fn a_removed_photo_stays_removed_while_its_folder_is_watched_until_restored() {
    let mut s = Story::new(&[("Trip/a.jpg", 1), ("Trip/b.jpg", 2)]);
    let trip = s.library.index().unwrap().albums().unwrap()[0].id;
    let b_path = s.root.join("Trip/b.jpg");
    let b = s.photo_id_at(&b_path).unwrap();
    let entries = s
        .library
        .index()
        .unwrap()
        .trash_items(trip, &[b], 0, false)
        .unwrap();
    s.start();
    // The removed photo's file is touched and a new photo arrives beside it: the watcher
    // looks at the folder again, and takes only the new one.
    write(&b_path, &jpeg(2));
    let c_path = s.root.join("Trip/c.jpg");
    write(&c_path, &jpeg(3));
    s.wait_until("the new photo is in", |s| s.photo_id_at(&c_path).is_some());
    assert_eq!(s.albums(), [album("Trip", 2)], "b did not come back");
    assert_eq!(s.photo_id_at(&b_path), None);
    assert!(s.changes_for(&b_path).is_empty());

    // Restore is the way back: the photo returns to its album and stays.
    s.library
        .index()
        .unwrap()
        .restore_from_trash(&entries, false)
        .unwrap();
    assert_eq!(s.albums(), [album("Trip", 3)]);
    assert_eq!(s.photo_id_at(&b_path), Some(b));
}
