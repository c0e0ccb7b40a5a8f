//! The second figure of `cargo xtask bench restore`: a new computer signing in to a
//! family cloud of 50 albums and 10,000 photos, until its shelf has every album with
//! its cover. Timed from `picup cloud connect` on an empty library to the end of
//! `picup cloud albums --covers`, which does what the window's shelf does: one album
//! list (each album names its cover's signed thumbnail) and the 50 thumbnails fetched
//! into the cache, six at a time as a web view fetches a page's images.
//!
//! The photos are small (320 × 240), so setting up is quick; a cover costs the same
//! whatever the size of the album's photos.

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use picup_testkit::program;

use crate::bench_restore::Computer;
use crate::run_step;

/// The shelf's family has an account of its own (the restore's album is elsewhere).
pub const EMAIL: &str = "shelf@picup.localhost";
const ALBUMS: u64 = 50;
const PER_ALBUM: u64 = 200;

/// Sets up the albums from a first computer (not timed), then times a new one's shelf.
/// Returns the seconds, and how many covers the shelf showed.
pub fn time_to_shelf(release: &Path, work: &Path, url: &str) -> Result<(f64, usize)> {
    let photos = crate::target_dir()
        .join("bench")
        .join(format!("photos-shelf-{ALBUMS}x{PER_ALBUM}"));
    for album in 0..ALBUMS {
        let folder = photos.join(format!("Album {album:02}"));
        let mut generate = program(release.join("examples").join("bench_photos"));
        generate
            .arg(&folder)
            .arg(PER_ALBUM.to_string())
            .args(["320", "240"])
            .arg((album * PER_ALBUM).to_string());
        let status = generate.status().context("running bench_photos")?;
        ensure!(
            status.success(),
            "bench_photos failed for {}",
            folder.display()
        );
    }
    let first = Computer::new(release, &work.join("shelf-first-library"))?;
    run_step(
        &format!(
            "Importing {ALBUMS} albums of {PER_ALBUM} photos into a first library (not timed)"
        ),
        first.picup(&["import"]).arg(&photos).stdout(Stdio::null()),
    )?;
    first.connect_as(url, EMAIL)?;
    run_step(
        "Sending them to the server (not timed)",
        first
            .picup(&["cloud", "sync", "--concurrency", "8"])
            .stdout(Stdio::null()),
    )?;

    let new = Computer::new(release, &work.join("shelf-new-library"))?;
    let started = Instant::now();
    new.connect_as(url, EMAIL)?;
    let out = new
        .picup(&["cloud", "albums", "--json", "--covers"])
        .output()
        .context("running picup cloud albums")?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(
        out.status.success(),
        "picup cloud albums failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let albums = listed.as_array().context("a list of albums")?;
    let covers = albums
        .iter()
        .filter(|album| {
            album["cover"]
                .as_str()
                .is_some_and(|file| Path::new(file).is_file())
        })
        .count();
    ensure!(
        albums.len() as u64 == ALBUMS,
        "the shelf lists {} albums, expected {ALBUMS}",
        albums.len()
    );
    Ok((seconds, covers))
}
