//! `cargo xtask bench album`: a 10,000-photo album in the real window (release build,
//! under Xvfb, driven through WebDriver by `tests/examples/bench_album.rs`): the time
//! from opening it to its first screen of thumbnails, and each frame's time while it is
//! flung from the top to the end. The photos are small (320 × 240): the album page
//! shows thumbnails, whose size does not depend on the original's.

use std::process::Stdio;
use std::time::Instant;

use anyhow::{Result, bail};
use picup_testkit::program;

use crate::{cargo, run_step, target_dir};

const PHOTOS: usize = 10_000;

pub fn run() -> Result<()> {
    let release = crate::bench::build_release(&[])?;
    run_step(
        "Building the app (release, its pages inside)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "picup-desktop",
            "--features",
            "picup-desktop/custom-protocol",
        ]),
    )?;
    run_step(
        "Building the window driver",
        cargo().args(["build", "-p", "picup-tests", "--example", "bench_album"]),
    )?;
    let bench = target_dir().join("bench");
    let photos = bench
        .join(format!("photos-album-{PHOTOS}"))
        .join("Ten thousand");
    run_step(
        &format!("Generating {PHOTOS} small camera-like JPEGs (kept for later runs)"),
        program(release.join("examples").join("bench_photos"))
            .arg(&photos)
            .arg(PHOTOS.to_string())
            .args(["320", "240"]),
    )?;
    let library = bench.join("album").join("library");
    let _ = std::fs::remove_dir_all(&library);
    let started = Instant::now();
    let status = program(release.join("picup"))
        .arg("--library")
        .arg(&library)
        .arg("import")
        .arg(&photos)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("picup import of the {PHOTOS} photos failed");
    }
    println!(
        "\nImported {PHOTOS} photos of 320 × 240 into one album in {:.1} s (not part of the figures below)",
        started.elapsed().as_secs_f64()
    );
    run_step(
        "The album in the window",
        program(
            target_dir()
                .join("debug")
                .join("examples")
                .join("bench_album"),
        )
        .arg(release.join("picup-desktop"))
        .arg(&library),
    )
}
