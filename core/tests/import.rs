//! Import stories on a real library folder with generated photos, videos and hostile
//! files: what a parent would see in the albums afterwards.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use picup_core::fixtures::{self, ExifFields};
use picup_core::library::Derived;
use picup_core::media::metadata::Orientation;
use picup_core::media::raster::Rgb;
use picup_core::{ImportOptions, ImportProgress, ImportSummary, Library, MediaKind, ProgressPhase};
use picup_testkit::fixtures::{Video, turned_video};

mod support;
use support::{Setup, photo_jpeg, setup, write};

fn import(library: &Library, paths: &[&Path]) -> ImportSummary {
    import_with_progress(library, paths).0
}

fn import_with_progress(
    library: &Library,
    paths: &[&Path],
) -> (ImportSummary, Vec<ImportProgress>) {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let mut reports = Vec::new();
    let summary = picup_core::import::import(
        library,
        &paths,
        &ImportOptions::default(),
        &AtomicBool::new(false),
        |p| reports.push(p.clone()),
    )
    .expect("import runs");
    (summary, reports)
}

fn decode_derived(library: &Library, hash: &str, which: Derived) -> Rgb {
    let bytes = std::fs::read(library.derived_path(hash, which)).expect("derived image exists");
    fixtures::decode_jpeg(&bytes)
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    let s = setup();
    let upright = fixtures::corner_picture(640, 480);
    for value in 1..=8u32 {
        let orientation = Orientation::from_exif(value);
        let stored = fixtures::stored_for(&upright, orientation);
        let bytes = fixtures::jpeg(
            &stored,
            92,
            &ExifFields {
                orientation: Some(orientation),
                // Distinct times keep the album order equal to the orientation order.
                taken: Some(format!("2024:01:01 10:00:0{value}")),
                ..ExifFields::default()
            },
        );
        write(&s.photos.join(format!("orientation-{value}.jpg")), &bytes);
    }
    let summary = import(&s.library, &[&s.photos]);
    assert_eq!(summary.imported, 8);
    assert_eq!(summary.skipped, 0);

    let photos = s.library.index().unwrap().photos(None).unwrap();
    assert_eq!(photos.len(), 8);
    for (photo, value) in photos.iter().zip(1..) {
        assert!(photo.path.ends_with(&format!("orientation-{value}.jpg")));
        assert_eq!(
            (photo.width, photo.height),
            (640, 480),
            "orientation {value}"
        );
        let preview = decode_derived(&s.library, &photo.hash, Derived::Preview);
        assert_eq!(
            (preview.width, preview.height),
            (640, 480),
            "orientation {value}"
        );
        assert_eq!(
            fixtures::corner_indices(&preview),
            [0, 1, 2, 3],
            "preview, orientation {value}"
        );
        let thumbnail = decode_derived(&s.library, &photo.hash, Derived::Thumbnail);
        assert_eq!(
            (thumbnail.width, thumbnail.height),
            (512, 384),
            "orientation {value}"
        );
        assert_eq!(
            fixtures::corner_indices(&thumbnail),
            [0, 1, 2, 3],
            "thumbnail, orientation {value}"
        );
    }
}

#[test]
fn a_portrait_photo_is_indexed_with_its_displayed_size() {
    let s = setup();
    let upright = fixtures::corner_picture(300, 400);
    let stored = fixtures::stored_for(&upright, Orientation::Rotate90);
    assert_eq!((stored.width, stored.height), (400, 300));
    let bytes = fixtures::jpeg(
        &stored,
        90,
        &ExifFields {
            orientation: Some(Orientation::Rotate90),
            ..ExifFields::default()
        },
    );
    write(&s.photos.join("portrait.jpg"), &bytes);
    import(&s.library, &[&s.photos]);
    let photo = &s.library.index().unwrap().photos(None).unwrap()[0];
    assert_eq!((photo.width, photo.height), (300, 400));
}

#[test]
fn big_photos_get_a_1920_preview_and_a_512_thumbnail() {
    let s = setup();
    let bytes = fixtures::jpeg(
        &fixtures::camera_like_picture(4000, 3000, 7),
        90,
        &ExifFields::default(),
    );
    write(&s.photos.join("big.jpg"), &bytes);
    import(&s.library, &[&s.photos]);
    let photo = &s.library.index().unwrap().photos(None).unwrap()[0];
    assert_eq!((photo.width, photo.height), (4000, 3000));
    let preview = decode_derived(&s.library, &photo.hash, Derived::Preview);
    assert_eq!((preview.width, preview.height), (1920, 1440));
    let thumbnail = decode_derived(&s.library, &photo.hash, Derived::Thumbnail);
    assert_eq!((thumbnail.width, thumbnail.height), (512, 384));
}

#[test]
fn each_folder_becomes_an_album_ordered_by_time_taken() {
    let s = setup();
    let trip = s.photos.join("Family trip");
    write(
        &trip.join("c.jpg"),
        &photo_jpeg(1, Some("2024:06:14 12:00:00")),
    );
    write(
        &trip.join("a.jpg"),
        &photo_jpeg(2, Some("2024:06:14 18:00:00")),
    );
    write(
        &trip.join("b.jpg"),
        &photo_jpeg(3, Some("2024:06:14 09:00:00")),
    );
    write(
        &trip.join("Beach/d.jpg"),
        &photo_jpeg(4, Some("2024:06:15 10:00:00")),
    );
    // No EXIF: the file's own time counts.
    let undated = s.photos.join("Family trip/Beach/e.jpg");
    write(&undated, &photo_jpeg(5, None));
    let file = std::fs::File::options().write(true).open(&undated).unwrap();
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    file.set_modified(when).unwrap();
    drop(file);
    // Notes and other files are not photos and are passed over without complaint.
    write(&trip.join("notes.txt"), b"remember the sunscreen");

    let summary = import(&s.library, &[&s.photos]);
    assert_eq!(summary.imported, 5);
    assert_eq!(summary.albums, 2);
    assert_eq!(summary.skipped, 0);

    let index = s.library.index().unwrap();
    let albums = index.albums().unwrap();
    let titles: Vec<_> = albums.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"Family trip") && titles.contains(&"Beach"));
    let trip_album = albums.iter().find(|a| a.title == "Family trip").unwrap();
    assert_eq!(trip_album.count, 3);
    let names: Vec<_> = index
        .photos(Some(trip_album.id))
        .unwrap()
        .into_iter()
        .map(|p| {
            Path::new(&p.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["b.jpg", "c.jpg", "a.jpg"]);
    let first = &index.photos(Some(trip_album.id)).unwrap()[0];
    assert_eq!(first.taken_at.as_deref(), Some("2024-06-14T09:00:00+02:00"));
    assert!(first.taken_at_from_camera);

    let beach = albums.iter().find(|a| a.title == "Beach").unwrap();
    let beach_photos = index.photos(Some(beach.id)).unwrap();
    assert!(
        beach_photos[0].path.ends_with("e.jpg"),
        "2020 file time sorts first"
    );
    assert!(!beach_photos[0].taken_at_from_camera);
    let undated_time =
        chrono::DateTime::parse_from_rfc3339(beach_photos[0].taken_at.as_deref().unwrap()).unwrap();
    assert_eq!(undated_time.timestamp(), 1_600_000_000);
}

#[test]
fn the_same_photo_found_twice_is_stored_once() {
    let s = setup();
    let bytes = photo_jpeg(9, Some("2024:03:01 10:00:00"));
    write(&s.photos.join("Phone/IMG_1.jpg"), &bytes);
    write(&s.photos.join("Phone/IMG_1 copy.jpg"), &bytes);
    write(&s.photos.join("Camera/DSC_9.jpg"), &bytes);
    let summary = import(&s.library, &[&s.photos]);
    assert_eq!(summary.imported, 1);
    assert_eq!(summary.duplicates, 2);

    let index = s.library.index().unwrap();
    assert_eq!(index.photos(None).unwrap().len(), 1);
    for album in index.albums().unwrap() {
        assert_eq!(album.count, 1, "{} shows the photo once", album.title);
    }
    // Importing the same content from elsewhere later is also a duplicate.
    let elsewhere = s.photos.join("Later");
    write(&elsewhere.join("again.jpg"), &bytes);
    let summary = import(&s.library, &[&elsewhere]);
    assert_eq!((summary.imported, summary.duplicates), (0, 1));
    assert_eq!(index.photos(None).unwrap().len(), 1);
}

#[test]
fn importing_again_adds_nothing_and_reads_nothing() {
    let s = setup();
    for i in 0..6 {
        write(
            &s.photos.join(format!("Album/{i}.jpg")),
            &photo_jpeg(i, None),
        );
    }
    write(
        &s.photos.join("Album/broken.jpg"),
        b"\xFF\xD8\xFF\xE0 this is not really a photo",
    );
    let first = import(&s.library, &[&s.photos]);
    assert_eq!((first.imported, first.skipped), (6, 1));

    // Derived images are not rewritten: removing one proves the files were not re-read.
    let hash = s.library.index().unwrap().photos(None).unwrap()[0]
        .hash
        .clone();
    std::fs::remove_file(s.library.derived_path(&hash, Derived::Thumbnail)).unwrap();
    let second = import(&s.library, &[&s.photos]);
    assert_eq!(second.imported, 0);
    assert_eq!(second.duplicates, 0);
    assert_eq!(second.unchanged, 6);
    assert_eq!(second.skipped, 1, "the broken file is still reported");
    assert_eq!(second.albums, 0);
    assert!(!s.library.derived_path(&hash, Derived::Thumbnail).exists());
    assert_eq!(s.library.index().unwrap().photos(None).unwrap().len(), 6);
}

#[test]
fn an_edited_photo_replaces_the_old_one_in_its_album() {
    let s = setup();
    let path = s.photos.join("Album/photo.jpg");
    write(&path, &photo_jpeg(1, Some("2024:01:01 10:00:00")));
    import(&s.library, &[&s.photos]);
    let before = s.library.index().unwrap().photos(None).unwrap();
    // A different picture under the same name (size or time changes too).
    write(&path, &photo_jpeg(2, Some("2024:01:01 10:00:00")));
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        .unwrap();
    drop(file);
    let summary = import(&s.library, &[&s.photos]);
    assert_eq!(summary.imported, 1);
    let after = s.library.index().unwrap().photos(None).unwrap();
    assert_eq!(after.len(), 1);
    assert_ne!(after[0].hash, before[0].hash);
    // The old picture's thumbnail and preview went with it; the new ones are there.
    for which in [Derived::Thumbnail, Derived::Preview] {
        assert!(!s.library.derived_path(&before[0].hash, which).exists());
        assert!(s.library.derived_path(&after[0].hash, which).exists());
    }
}

#[test]
fn bad_files_are_skipped_with_reasons_and_the_import_goes_on() {
    let s = setup();
    let dir = s.photos.join("Mixed");
    let good = photo_jpeg(1, None);
    write(&dir.join("good.jpg"), &good);
    write(&dir.join("empty.jpg"), b"");
    write(&dir.join("truncated.jpg"), &good[..good.len() / 2]);
    let mut corrupt = good.clone();
    for byte in corrupt.iter_mut().skip(700).step_by(3) {
        *byte = 0xFF;
    }
    write(&dir.join("corrupt.jpg"), &corrupt);
    write(
        &dir.join("bomb.jpg"),
        &fixtures::jpeg_claiming(50_000, 50_000),
    );
    write(
        &dir.join("bomb.png"),
        &fixtures::png_claiming(50_000, 50_000),
    );
    write(
        &dir.join("letter.jpg"),
        b"Dear Grandma, thank you for the lovely jumper.",
    );
    write(&dir.join("clip.mp4"), b"this is not a video either");
    std::os::unix::fs::symlink(dir.join("gone.jpg"), dir.join("broken-link.jpg")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    // Clutter other systems leave: ignored without a word.
    write(&dir.join(".DS_Store"), b"\0\0\0\x01Bud1");
    write(&dir.join("Thumbs.db"), b"\xD0\xCF\x11\xE0");
    write(&dir.join("@eaDir/good.jpg@SYNOFILE_THUMB_XL.jpg"), &good);
    write(&dir.join(".hidden.jpg"), &good);

    let summary = import(&s.library, &[&s.photos]);
    assert_eq!(summary.imported, 1, "the good photo is imported");

    let skipped = s.library.index().unwrap().skipped().unwrap();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|f| Path::new(&f.path).file_name().unwrap() == name)
            .map(|f| f.reason.clone())
            .unwrap_or_else(|| panic!("{name} is listed as skipped; got {skipped:?}"))
    };
    assert_eq!(reason("empty.jpg"), "The file is empty.");
    assert!(reason("truncated.jpg").contains("damaged"));
    assert!(reason("corrupt.jpg").contains("damaged"));
    assert!(
        reason("bomb.jpg").contains("too big"),
        "{}",
        reason("bomb.jpg")
    );
    assert!(reason("bomb.jpg").contains("50000 × 50000"));
    assert!(reason("bomb.png").contains("too big"));
    assert!(reason("letter.jpg").contains("not one"));
    assert!(reason("clip.mp4").contains("video"));
    assert!(reason("broken-link.jpg").contains("no longer exists"));
    assert!(reason("loop").contains("leads back"));
    assert_eq!(summary.skipped, skipped.len());
    assert_eq!(skipped.len(), 9, "{skipped:?}");
    for file in &skipped {
        assert!(
            !file.path.contains("@eaDir")
                && !file.path.contains(".DS_Store")
                && !file.path.contains("Thumbs")
        );
    }
}

/// When the small copies cannot be saved (here a file stands where their folder goes),
/// the photo is listed as not added with a sentence that says what to do, and the
/// system's words ("Not a directory") stay out of it.
#[test]
fn small_copies_that_cannot_be_saved_are_a_plain_reason() {
    let s = setup();
    let jpeg = photo_jpeg(7, None);
    write(&s.photos.join("Garden/rose.jpg"), &jpeg);
    let hash = blake3::hash(&jpeg).to_hex().to_string();
    let thumbnail = s.library.derived_path(&hash, Derived::Thumbnail);
    write(thumbnail.parent().unwrap(), b"in the way");

    let summary = import(&s.library, &[&s.photos]);
    assert_eq!((summary.imported, summary.skipped), (0, 1));
    let skipped = s.library.index().unwrap().skipped().unwrap();
    assert_eq!(
        skipped[0].reason,
        "Pic-up could not save its small copies of this file. Check that the computer's \
         disk is not full, then add it again."
    );
}

#[test]
fn heic_photos_are_upright_and_dated() {
    let s = setup();
    let upright = fixtures::corner_picture(480, 320);
    // libheif hands over HEIC pictures already upright; the EXIF Orientation that
    // iPhones also write must not turn them a second time.
    for orientation in [
        Orientation::Upright,
        Orientation::Rotate90,
        Orientation::Rotate180,
    ] {
        let bytes = fixtures::heic(&upright, orientation).expect("libheif can encode HEVC here");
        write(
            &s.photos
                .join(format!("IMG_{}.HEIC", orientation.exif_value())),
            &bytes,
        );
    }
    let summary = import(&s.library, &[&s.photos]);
    assert_eq!((summary.imported, summary.skipped), (3, 0));
    for photo in s.library.index().unwrap().photos(None).unwrap() {
        assert_eq!((photo.width, photo.height), (480, 320), "{}", photo.path);
        let preview = decode_derived(&s.library, &photo.hash, Derived::Preview);
        assert_eq!(
            fixtures::corner_indices(&preview),
            [0, 1, 2, 3],
            "{}",
            photo.path
        );
        assert_eq!(photo.taken_at.as_deref(), Some("2023-12-24T18:30:00+01:00"));
        assert_eq!(photo.camera.as_deref(), Some("iPhone 15"));
    }
}

#[test]
fn videos_get_a_thumbnail_a_duration_and_their_turned_size() {
    let s = setup();
    let dir = s.photos.join("Videos");
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("clip.mp4");
    Video {
        recorded: Some("2024-07-01T08:30:00Z".into()),
        ..Video::new(640, 480)
    }
    .write(&plain)
    .unwrap();
    // A phone held upright records landscape frames plus a quarter-turn display matrix.
    turned_video(&plain, 90, &dir.join("phone.mov")).unwrap();
    let summary = import(&s.library, &[&dir]);
    assert_eq!((summary.imported, summary.skipped), (2, 0));
    let index = s.library.index().unwrap();
    let photos = index.photos(None).unwrap();
    let clip = photos
        .iter()
        .find(|p| p.path.ends_with("clip.mp4"))
        .unwrap();
    assert_eq!(clip.kind, MediaKind::Video);
    assert_eq!((clip.width, clip.height), (640, 480));
    let duration = clip.duration_ms.expect("duration recorded");
    assert!((1900..=2100).contains(&duration), "{duration} ms");
    assert_eq!(clip.taken_at.as_deref(), Some("2024-07-01T08:30:00+00:00"));
    let thumbnail = decode_derived(&s.library, &clip.hash, Derived::Thumbnail);
    assert_eq!((thumbnail.width, thumbnail.height), (512, 384));

    let phone = photos
        .iter()
        .find(|p| p.path.ends_with("phone.mov"))
        .unwrap();
    assert_eq!((phone.width, phone.height), (480, 640));
    let preview = decode_derived(&s.library, &phone.hash, Derived::Preview);
    assert_eq!((preview.width, preview.height), (480, 640));
    assert_eq!(index.albums().unwrap()[0].video_count, 2);
}

/// Enough photos that the import commits batches (of 64) and reports progress (every
/// 100 ms) well before its end: a cancel then lands with some photos finished and many
/// not begun, and the progress has several steps to compare.
const MANY: u64 = 240;

fn many_photos(s: &Setup, seed: u64) {
    for i in 0..MANY {
        write(
            &s.photos.join(format!("A/{i}.jpg")),
            &photo_jpeg(seed + i, None),
        );
    }
}

#[test]
fn progress_counts_up_to_the_total_and_finishes() {
    let s = setup();
    many_photos(&s, 100);
    let (_, reports) = import_with_progress(&s.library, &[&s.photos]);
    let last = reports.last().expect("progress was reported");
    assert_eq!(last.phase, ProgressPhase::Finished);
    let total = MANY as usize;
    assert_eq!((last.done, last.total), (total, total));
    // The reports of the import itself, then the last one: a bar that never jumps back.
    let importing = reports
        .iter()
        .filter(|r| r.phase == ProgressPhase::Importing)
        .count();
    assert!(
        importing >= 2,
        "the import reported its progress {importing} times: nothing to compare"
    );
    let dones: Vec<_> = reports
        .iter()
        .filter(|r| r.phase != ProgressPhase::Scanning)
        .map(|r| r.done)
        .collect();
    assert!(
        dones.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {dones:?}"
    );
}

#[test]
fn a_cancelled_import_keeps_what_it_finished_and_resumes_later() {
    let s = setup();
    many_photos(&s, 1_000);
    // Cancelled as a parent presses Cancel: once the bar shows some photos finished.
    let cancel = AtomicBool::new(false);
    let mut finished_when_cancelled = 0;
    let summary = picup_core::import::import(
        &s.library,
        std::slice::from_ref(&s.photos),
        &ImportOptions::default(),
        &cancel,
        |report| {
            if report.phase == ProgressPhase::Importing
                && report.done > 0
                && !cancel.load(Ordering::Relaxed)
            {
                finished_when_cancelled = report.done;
                cancel.store(true, Ordering::Relaxed);
            }
        },
    )
    .unwrap();
    assert!(
        finished_when_cancelled > 0,
        "the import ended before any progress with photos finished"
    );
    assert!(summary.cancelled, "the import says it was cancelled");
    let kept = s.library.index().unwrap().photos(None).unwrap().len();
    assert!(
        kept >= finished_when_cancelled,
        "what was finished is kept: {kept} kept, {finished_when_cancelled} shown finished"
    );
    assert!(
        kept < MANY as usize,
        "the import stopped when cancelled: all {kept} imported"
    );
    assert_eq!(summary.imported, kept, "the summary counts what was kept");
    let summary = import(&s.library, &[&s.photos]);
    assert_eq!(summary.imported + kept, MANY as usize);
    assert_eq!(
        s.library.index().unwrap().photos(None).unwrap().len(),
        MANY as usize
    );
}

#[test]
fn removing_an_album_keeps_the_files_and_a_new_import_brings_it_back() {
    let s = setup();
    for i in 0..3 {
        write(
            &s.photos.join(format!("Keep/{i}.jpg")),
            &photo_jpeg(300 + i, None),
        );
    }
    import(&s.library, &[&s.photos]);
    let index = s.library.index().unwrap();
    let album = index.albums().unwrap()[0].id;
    s.library.remove_album(album, 0).unwrap();
    assert!(index.albums().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(s.photos.join("Keep")).unwrap().count(),
        3,
        "originals untouched"
    );
    let summary = import(&s.library, &[&s.photos]);
    // The items are still known (the Trash holds them), so nothing is decoded again.
    assert_eq!(summary.imported + summary.duplicates, 3);
    assert_eq!(index.albums().unwrap()[0].count, 3);
}
