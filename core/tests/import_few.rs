//! A few files at a time, as a watched folder hands them over: the import asks the
//! index about each instead of loading the library's knowledge, and records each result
//! as it comes, so a new photo shows when it is ready.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use picup_core::{ImportOptions, ImportSummary, Library};

mod support;
use support::{photo_jpeg, setup, write};

fn import(library: &Library, paths: &[&Path]) -> ImportSummary {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let cancel = AtomicBool::new(false);
    picup_core::import::import(library, &paths, &ImportOptions::default(), &cancel, |_| {})
        .expect("import runs")
}

/// What the watcher does with the files it found: import them as they are, without an
/// explicit import's "add this again" (which brings files back from the Trash).
fn import_found(library: &Library, paths: &[PathBuf]) -> ImportSummary {
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let scanned = picup_core::scan::scan(paths, library.root(), &cancel, |_| {});
    picup_core::import::import_scanned(library, scanned, &ImportOptions::default(), &cancel, |_| {})
        .expect("import runs")
}

/// A few files (as a watched folder hands over) are asked about one by one; many are
/// judged against the library's whole knowledge. Both must judge alike: unchanged,
/// skipped before, in the Trash, or a copy of what the library holds.
#[test]
fn a_few_files_are_judged_as_a_big_import_judges_them() {
    let s = setup();
    const MANY: u64 = 70;
    for seed in 0..MANY {
        write(
            &s.photos.join(format!("photo-{seed:02}.jpg")),
            &photo_jpeg(seed, None),
        );
    }
    write(&s.photos.join("broken.jpg"), b"not a picture");
    let first = import(&s.library, &[&s.photos]);
    assert_eq!((first.imported, first.skipped), (MANY as usize, 1));

    let mut index = s.library.index().unwrap();
    let photos = index.photos(None).unwrap();
    let trashed = photos
        .iter()
        .find(|p| p.path.ends_with("photo-00.jpg"))
        .unwrap();
    index
        .trash_items(trashed.album_id.unwrap(), &[trashed.id], 1, true)
        .unwrap();
    std::fs::copy(s.photos.join("photo-01.jpg"), s.photos.join("copy.jpg")).unwrap();

    // Four files: asked about one by one.
    let few: Vec<PathBuf> = ["photo-02.jpg", "broken.jpg", "photo-00.jpg", "copy.jpg"]
        .iter()
        .map(|name| s.photos.join(name))
        .collect();
    let asked = import_found(&s.library, &few);
    assert_eq!(
        (
            asked.imported,
            asked.unchanged,
            asked.skipped,
            asked.duplicates
        ),
        (0, 2, 1, 1),
        "unchanged: photo-02 and the one in the Trash; skipped: broken; a copy: {asked:?}"
    );

    // The whole folder (72 files): the same judgements from the loaded knowledge.
    let loaded = import_found(&s.library, std::slice::from_ref(&s.photos));
    assert_eq!(
        (
            loaded.imported,
            loaded.unchanged,
            loaded.skipped,
            loaded.duplicates
        ),
        (0, MANY as usize + 1, 1, 0),
        "{loaded:?}"
    );
    let copy = s.photos.join("copy-again.jpg");
    std::fs::copy(s.photos.join("photo-03.jpg"), &copy).unwrap();
    let one = import_found(&s.library, &[copy]);
    assert_eq!((one.imported, one.duplicates), (0, 1), "{one:?}");
}

/// A few files are each recorded, and handed on, as soon as their result comes in; they
/// were kept for a quarter of a second in case more came, and handed on together.
#[test]
fn a_few_files_are_each_recorded_as_soon_as_they_are_ready() {
    let s = setup();
    for seed in 0..3 {
        write(
            &s.photos.join(format!("new-{seed}.jpg")),
            &photo_jpeg(seed, None),
        );
    }
    let cancel = AtomicBool::new(false);
    let scanned = picup_core::scan::scan(
        std::slice::from_ref(&s.photos),
        s.library.root(),
        &cancel,
        |_| {},
    );
    // One worker: results come one after another, each while the last is being recorded.
    let options = ImportOptions {
        workers: 1,
        ..ImportOptions::default()
    };
    let mut handed_on: Vec<usize> = Vec::new();
    let summary = picup_core::import::import_scanned_reporting(
        &s.library,
        scanned,
        &options,
        &cancel,
        |_| {},
        |paths| handed_on.push(paths.len()),
    )
    .unwrap();
    assert_eq!(summary.imported, 3);
    assert_eq!(handed_on, [1, 1, 1], "each file on its own");
}
