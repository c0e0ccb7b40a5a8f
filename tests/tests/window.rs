//! The real Pic-up window, driven like a person would: an empty library, adding a folder
//! of photos, the shelf, an album, the viewer with the keyboard, and a real drag and
//! drop from another window.
//!
//! Everything is one #[test]: each window needs its own Xvfb, tauri-driver and app, and
//! later steps build on the library the earlier ones filled, as a person's would.
//! This file is long because it is that one story.
//! Run with `cargo xtask test`, or `dbus-run-session -- cargo test -p picup-tests`
//! after `cargo build -p picup-desktop`. Screenshots land in `target/screenshots/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use picup_core::fixtures::{self, ExifFields};
use picup_core::media::metadata::Orientation;
use picup_testkit::fixtures::Video;
use picup_tests::AppWindow;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// Small helpers defined in front of every script run in the page.
const HELPERS: &str = r#"
const one = (id) => document.querySelector(`[data-testid="${id}"]`);
const all = (id) => [...document.querySelectorAll(`[data-testid="${id}"]`)];
const visible = (el) => !!el && el.getClientRects().length > 0
  && getComputedStyle(el).visibility !== 'hidden';
const text = (id) => one(id)?.textContent.trim() ?? null;
"#;

fn js(body: &str) -> String {
    format!("{HELPERS}\n{body}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn album_story_in_the_real_window() -> Result<()> {
    let clock = Clock::start();
    let photos = tempfile::tempdir()?;
    let family_trip = write_family_trip(photos.path())?;
    clock.note("photos written");

    let window = AppWindow::start().await?;
    clock.note("window open");
    first_run_shows_the_empty_library(&window).await?;
    let opened = importing_a_folder_makes_two_albums(&window, &family_trip).await?;
    // The app kept its index in the test's library folder, not in the person's own.
    ensure!(
        fs::read_dir(window.library())?.next().is_some(),
        "the library folder {} is still empty after the import: PICUP_LIBRARY was ignored",
        window.library().display()
    );
    clock.note("imported");
    the_shelf_lists_both_albums(&window, &opened).await?;
    the_album_shows_its_photos_in_order(&window).await?;
    the_viewer_steps_with_the_keyboard(&window).await?;
    clock.note("shelf, album and viewer checked");

    let garden = write_garden(photos.path())?;
    dropping_a_folder_from_another_window_imports_it(&window, &garden).await?;
    clock.note("drag and drop checked");
    a_photo_saved_into_a_watched_folder_appears_by_itself(&window, &garden).await?;
    the_settings_page_lists_the_watched_folders(&window, &[&family_trip, &garden]).await?;
    clock.note("watched folders checked");
    a_video_plays_in_the_viewer(&window, photos.path()).await?;
    clock.note("video checked");
    a_ten_thousand_photo_album_opens_and_scrolls(&window, photos.path()).await?;
    clock.note("10,000-photo album checked");
    window.close().await?;
    clock.note("closed");
    Ok(())
}

/// Prints how long the steps took (seen with --nocapture or on failure), because a
/// window test that slowly grows slower is worth noticing.
struct Clock(Instant);

impl Clock {
    fn start() -> Self {
        Self(Instant::now())
    }

    fn note(&self, what: &str) {
        eprintln!(
            "[window test] {:>5.1} s  {what}",
            self.0.elapsed().as_secs_f64()
        );
    }
}

async fn first_run_shows_the_empty_library(window: &AppWindow) -> Result<()> {
    window
        .wait_for_value(
            "the first-run screen of an empty library",
            &js(
                "return [document.body.dataset.page, visible(one('empty-state')), \
                 visible(one('add-photos')), text('add-photos'), all('album-card').length];",
            ),
            json!(["shelf", true, true, "Add photos", 0]),
        )
        .await?;
    window.screenshot("empty-library").await?;
    Ok(())
}

/// The album an import opened on its own: the id the import named first, and the
/// title the album page showed.
struct OpenedAlbum {
    id: String,
    title: String,
}

async fn importing_a_folder_makes_two_albums(
    window: &AppWindow,
    folder: &Path,
) -> Result<OpenedAlbum> {
    // `picup.importPaths` is what the drop handler calls with the dropped paths. The
    // answer is parked on `window` and polled, so a slow import meets the harness's
    // generous wait rather than WebDriver's script timeout.
    let started = window
        .script(
            &js("window.importAnswer = null;
                 window.picup.importPaths(arguments[0]).then(
                   (summary) => { window.importAnswer = { summary }; },
                   (error) => { window.importAnswer = { error: String(error?.message ?? error) }; });
                 return document.body.dataset.importing;"),
            vec![json!([folder])],
        )
        .await?;
    ensure!(
        started == json!("true"),
        "the import did not start: importing = {started}"
    );

    let answer = window
        .wait_for(
            "the import to finish",
            "return document.body.dataset.importing === 'false' && window.importAnswer",
        )
        .await?;
    if let Some(error) = answer.get("error") {
        bail!("the import failed: {error}");
    }
    let summary = &answer["summary"];
    // broken.jpg is skipped, the five photos are added into two albums.
    for (field, expected) in [
        ("imported", json!(5)),
        ("duplicates", json!(0)),
        ("skipped", json!(1)),
        ("albums", json!(2)),
        ("cancelled", json!(false)),
    ] {
        ensure!(
            summary[field] == expected,
            "summary.{field} is {}, expected {expected}; summary: {summary}",
            summary[field]
        );
    }
    let Some([first_id, _]) = summary["album_ids"].as_array().map(Vec::as_slice) else {
        bail!("expected two album ids; summary: {summary}");
    };

    let shown = window
        .wait_for(
            "the import summary",
            &js("return visible(one('import-summary')) && one('import-summary').innerText;"),
        )
        .await?;
    let shown = shown.as_str().unwrap_or_default();
    for words in ["Added 5 photos.", "1 file could not be opened"] {
        ensure!(
            shown.contains(words),
            "the import summary lacks \"{words}\": {shown:?}"
        );
    }
    // After an import the first album it names opens; which one that is gets checked
    // against the shelf's cards next.
    let title = window
        .wait_for(
            "the first imported album to open",
            &js(
                "return document.body.dataset.page === 'album' && visible(one('album-page'))
                   && text('album-page-title');",
            ),
        )
        .await?;
    Ok(OpenedAlbum {
        // A number (i64) in the summary, written into data-album-id.
        id: first_id.to_string(),
        title: title.as_str().unwrap_or_default().to_owned(),
    })
}

async fn the_shelf_lists_both_albums(window: &AppWindow, opened: &OpenedAlbum) -> Result<()> {
    click(window, "[data-testid='back-to-shelf']").await?;
    window
        .wait_for_value(
            "both albums on the shelf",
            &js("return all('album-card')
                   .map((card) => [
                     card.querySelector('[data-testid=album-title]')?.textContent.trim(),
                     card.querySelector('[data-testid=album-count]')?.textContent.trim()])
                   .sort((a, b) => a[0].localeCompare(b[0]));"),
            json!([["Beach", "2 photos"], ["Family trip", "3 photos"]]),
        )
        .await?;
    window
        .wait_for(
            "both album covers to load",
            &js("const covers = [...one('shelf').querySelectorAll('img')];
                 return covers.length === 2
                   && covers.every((img) => img.complete && img.naturalWidth > 0);"),
        )
        .await?;
    let title_of_opened = window
        .script(
            &js(
                "return one('shelf').querySelector(`[data-album-id='${arguments[0]}'] \
                   [data-testid=album-title]`)?.textContent.trim() ?? null;",
            ),
            vec![json!(opened.id)],
        )
        .await?;
    ensure!(
        title_of_opened == json!(opened.title),
        "after the import the page opened \"{}\", but the first album the import named \
         (id {}) is {title_of_opened} on the shelf",
        opened.title,
        opened.id
    );
    window.screenshot("shelf").await?;
    Ok(())
}

async fn the_album_shows_its_photos_in_order(window: &AppWindow) -> Result<()> {
    let card = window
        .script(
            &js("return all('album-card')
                   .find((card) => card.querySelector('[data-testid=album-title]')
                     ?.textContent.trim() === 'Family trip')?.dataset.albumId ?? null;"),
            Vec::new(),
        )
        .await?;
    let Some(album_id) = card.as_str() else {
        bail!("no album card titled \"Family trip\"");
    };
    click(
        window,
        &format!("[data-testid='album-card'][data-album-id='{album_id}']"),
    )
    .await?;
    window
        .wait_for_value(
            "the Family trip album",
            &js(
                "return [document.body.dataset.page, text('album-page-title'), \
                 text('album-page-count'), all('photo-tile').length];",
            ),
            json!(["album", "Family trip", "3 photos", 3]),
        )
        .await?;

    // Thumbnails, in grid order (oldest first). The middle photo was taken turned
    // (EXIF orientation 6): its 1600 × 1200 stored pixels must come out portrait.
    let sizes = window
        .wait_for(
            "the three thumbnails to load",
            &js(
                "const images = [0, 1, 2].map((index) => document.querySelector(
                   `[data-testid=photo-tile][data-index=\"${index}\"] img`));
                 return images.every((img) => img && img.complete && img.naturalWidth > 0)
                   && images.map((img) => [img.naturalWidth, img.naturalHeight]);",
            ),
        )
        .await?;
    let shapes: Vec<&str> = sizes.as_array().into_iter().flatten().map(shape).collect();
    ensure!(
        shapes == ["landscape", "portrait", "landscape"],
        "thumbnail shapes in grid order are {shapes:?} (sizes {sizes}); the EXIF \
         orientation 6 photo, second by time, should be portrait"
    );
    window.screenshot("album").await?;
    Ok(())
}

async fn the_viewer_steps_with_the_keyboard(window: &AppWindow) -> Result<()> {
    click(window, "[data-testid='photo-tile'][data-index='0']").await?;
    window
        .wait_for_value(
            "the viewer on the first photo",
            &js(
                "return [document.body.dataset.page, visible(one('viewer')), \
                 text('viewer-position')];",
            ),
            json!(["viewer", true, "1 of 3"]),
        )
        .await?;

    press(window, Key::Right).await?;
    window
        .wait_for_value(
            "ArrowRight to show the second photo",
            &js("return text('viewer-position');"),
            json!("2 of 3"),
        )
        .await?;

    // The preview comes through the app's `picup:` protocol; a loaded image with a size
    // proves the protocol answered with a picture the web view could decode.
    let size = window
        .wait_for(
            "the second photo's preview to load",
            &js("const img = one('viewer-image');
                 return visible(img) && img.complete && img.naturalWidth > 0
                   && [img.naturalWidth, img.naturalHeight];"),
        )
        .await?;
    ensure!(
        shape(&size) == "portrait",
        "the preview of the EXIF orientation 6 photo is {size}, expected portrait"
    );
    window.screenshot("viewer").await?;

    press(window, Key::Escape).await?;
    window
        .wait_for_value(
            "Escape to return to the album",
            &js(
                "return [document.body.dataset.page, visible(one('album-page')), \
                 visible(one('viewer')), text('album-page-title')];",
            ),
            json!(["album", true, false, "Family trip"]),
        )
        .await
}

async fn dropping_a_folder_from_another_window_imports_it(
    window: &AppWindow,
    folder: &Path,
) -> Result<()> {
    // Dropped in the middle of the album page, well clear of the drag source window.
    window.drag_and_drop(folder, 500, 350).await?;
    window
        .wait_for_value(
            "the dropped Garden folder to be imported and opened",
            &js(
                "return [document.body.dataset.importing, document.body.dataset.page, \
                 text('album-page-title'), text('album-page-count')];",
            ),
            json!(["false", "album", "Garden", "1 photo"]),
        )
        .await?;
    window
        .wait_for(
            "the import summary after the drop",
            &js("return visible(one('import-summary'))
                   && one('import-summary').innerText.includes('Added 1 photo.');"),
        )
        .await?;
    window.screenshot("after-drop").await?;
    Ok(())
}

/// The Garden album is open; a photo copied into its folder shows up without a click.
async fn a_photo_saved_into_a_watched_folder_appears_by_itself(
    window: &AppWindow,
    garden: &Path,
) -> Result<()> {
    write_photo(
        &garden.join("IMG_2002.jpg"),
        (800, 600),
        7,
        "2024:07:01 17:00:00",
        None,
    )?;
    window
        .wait_for_value(
            "the new photo in the open Garden album",
            &js(
                "return [document.body.dataset.page, text('album-page-title'),                  text('album-page-count'), all('photo-tile').length];",
            ),
            json!(["album", "Garden", "2 photos", 2]),
        )
        .await
}

async fn the_settings_page_lists_the_watched_folders(
    window: &AppWindow,
    folders: &[&Path],
) -> Result<()> {
    window
        .script(
            "return window.picup.showSettings().then(() => true);",
            vec![],
        )
        .await?;
    let mut expected: Vec<Value> = folders
        .iter()
        .map(|f| json!([f.to_string_lossy(), "watching"]))
        .collect();
    expected.sort_by_key(|v| v[0].as_str().map(str::to_owned));
    window
        .wait_for_value(
            "both dropped folders listed as watched",
            &js(
                "return all('folder-row').map(r => [r.dataset.path, r.dataset.state])\
                   .sort((a, b) => a[0] < b[0] ? -1 : 1);",
            ),
            Value::Array(expected),
        )
        .await?;
    window.screenshot("settings").await?;
    Ok(())
}

/// A phone video: its album tile opens a player that reads the original through the
/// `picup:` protocol's byte ranges far enough to know its length.
async fn a_video_plays_in_the_viewer(window: &AppWindow, root: &Path) -> Result<()> {
    let clips = root.join("Clips");
    fs::create_dir_all(&clips)?;
    let clip = clips.join("clip.mp4");
    Video::new(320, 240).write(&clip)?;
    window
        .script(
            "return window.picup.importPaths(arguments[0]).then(() => true);",
            vec![json!([clips.to_string_lossy()])],
        )
        .await?;
    window
        .wait_for_value(
            "the Clips album open",
            &js("return [text('album-page-title'), all('photo-tile').length];"),
            json!(["Clips", 1]),
        )
        .await?;
    click(window, "[data-testid=photo-tile]").await?;
    window
        .wait_for(
            "the video's length known to the player",
            &js("const v = one('viewer-image');
                 return !!v && v.tagName === 'VIDEO' && v.readyState >= 1
                   && Math.abs(v.duration - 2) < 0.3;"),
        )
        .await?;
    window.screenshot("video").await?;
    press(window, Key::Escape).await
}

/// An album of 10,000 photos: the page keeps only the tiles near the screen in the
/// document, and scrolling to the end brings the last photo.
async fn a_ten_thousand_photo_album_opens_and_scrolls(
    window: &AppWindow,
    root: &Path,
) -> Result<()> {
    const COUNT: u64 = 10_000;
    let folder = root.join("Big album");
    fs::create_dir_all(&folder)?;
    for i in 0..COUNT {
        let picture = fixtures::camera_like_picture(48, 36, 10_000 + i);
        let exif = ExifFields {
            taken: Some(format!(
                "20{:02}:{:02}:{:02} 12:00:00",
                10 + i / 336,
                1 + i / 28 % 12,
                1 + i % 28
            )),
            ..ExifFields::default()
        };
        fs::write(
            folder.join(format!("{i:05}.jpg")),
            fixtures::jpeg(&picture, 70, &exif),
        )?;
    }
    // Imported beside the running app, through the same library functions it uses.
    let library = picup_core::Library::open(window.library())?;
    let summary = picup_core::import::import(
        &library,
        std::slice::from_ref(&folder),
        &Default::default(),
        &std::sync::atomic::AtomicBool::new(false),
        |_| {},
    )?;
    ensure!(
        summary.imported == COUNT as usize,
        "imported {}",
        summary.imported
    );
    let album = summary.album_ids[0];

    window
        .script(
            "return window.picup.showShelf().then(() => window.picup.openAlbum(arguments[0])).then(() => true);",
            vec![json!(album)],
        )
        .await?;
    window
        .wait_for_value(
            "the big album open",
            &js("return [text('album-page-title'), text('album-page-count')];"),
            json!(["Big album", "10,000 photos"]),
        )
        .await?;
    let in_document = window
        .script(&js("return all('photo-tile').length;"), vec![])
        .await?;
    ensure!(
        in_document.as_u64().is_some_and(|n| (1..500).contains(&n)),
        "the grid should hold only the tiles near the screen, not {in_document}"
    );
    window
        .script(
            "const s = document.getElementById('album-scroll'); s.scrollTop = s.scrollHeight; return true;",
            vec![],
        )
        .await?;
    let last_id = library
        .index()?
        .photos(Some(album))?
        .last()
        .map(|p| p.id)
        .context("photos")?;
    window
        .wait_for(
            "the last photo's tile after scrolling to the end",
            &js(&format!(
                "return all('photo-tile').some(t => t.dataset.photoId === '{last_id}')
                   && all('photo-tile').length < 500;"
            )),
        )
        .await?;
    window.screenshot("album-10000").await?;
    Ok(())
}

/// Clicks the element matching `css` (see [`AppWindow::click`]).
async fn click(window: &AppWindow, css: &str) -> Result<()> {
    window.click(css).await
}

/// Presses and releases one key, sent to whatever has focus, as a keyboard would.
async fn press(window: &AppWindow, key: Key) -> Result<()> {
    let what = format!("pressing {key:?}");
    window
        .driver()
        .action_chain()
        .send_keys(key)
        .perform()
        .await
        .context(what)
}

fn shape(size: &Value) -> &'static str {
    match (size[0].as_u64(), size[1].as_u64()) {
        (Some(width), Some(height)) if height > width => "portrait",
        (Some(width), Some(height)) if width > height => "landscape",
        (Some(_), Some(_)) => "square",
        _ => "unknown",
    }
}

/// `Family trip/` with three camera-sized photos taken an hour apart (the middle one
/// turned, EXIF orientation 6), a corrupt `broken.jpg`, and `Beach/` with two more.
fn write_family_trip(root: &Path) -> Result<PathBuf> {
    let trip = root.join("Family trip");
    let beach = trip.join("Beach");
    fs::create_dir_all(&beach)?;
    // Named against their time order, so the album's order must come from the dates.
    let trip_photos = [
        ("IMG_0103.jpg", 1, "2024:06:14 10:11:12", None),
        (
            "IMG_0101.jpg",
            2,
            "2024:06:14 11:11:12",
            Some(Orientation::Rotate90),
        ),
        ("IMG_0102.jpg", 3, "2024:06:14 12:11:12", None),
    ];
    for (name, seed, taken, orientation) in trip_photos {
        write_photo(&trip.join(name), (1600, 1200), seed, taken, orientation)?;
    }
    write_photo(
        &beach.join("DSC_1.jpg"),
        (800, 600),
        4,
        "2024:06:15 09:00:00",
        None,
    )?;
    write_photo(
        &beach.join("DSC_2.jpg"),
        (800, 600),
        5,
        "2024:06:15 09:30:00",
        None,
    )?;
    fs::write(trip.join("broken.jpg"), noise(4096))?;
    Ok(trip)
}

/// `Garden/` with one photo, for the drag and drop.
fn write_garden(root: &Path) -> Result<PathBuf> {
    let garden = root.join("Garden");
    fs::create_dir_all(&garden)?;
    write_photo(
        &garden.join("IMG_2001.jpg"),
        (800, 600),
        6,
        "2024:07:01 16:00:00",
        None,
    )?;
    Ok(garden)
}

fn write_photo(
    path: &Path,
    (width, height): (u32, u32),
    seed: u64,
    taken: &str,
    orientation: Option<Orientation>,
) -> Result<()> {
    let picture = fixtures::camera_like_picture(width, height, seed);
    let exif = ExifFields {
        orientation,
        taken: Some(taken.into()),
        offset: Some("+02:00".into()),
        model: None,
    };
    fs::write(path, fixtures::jpeg(&picture, 85, &exif))
        .with_context(|| format!("writing {}", path.display()))
}

/// Bytes that are no picture at all (a fixed xorshift sequence, so runs are alike).
fn noise(length: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}
