//! `cargo xtask bench sync`: the desktop's upload of a folder of 300 camera-like photos of
//! about 4 MB to the embedded sync server (release builds, the in-process S3 endpoint on
//! the local disk), beside `rclone copy` of the same folder to the same endpoint, in one
//! run. Ours reserves each item, hashes it (SHA-256, signed into the upload URL), sends
//! the original, thumbnail and preview, and completes; rclone sends the originals only.
//! Both are timed from start to finish; MB/s counts the originals' bytes for both.
//!
//! Our sync is measured at several concurrencies (items sent at once) to show where the
//! default of 4 sits. Each run uses a fresh account, so nothing is deduplicated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::Server;
use picup_testkit::{PASSWORD, program};

use crate::{run_step, target_dir};

pub(crate) const PHOTOS: u64 = 300;
pub(crate) const S3_KEY_ID: &str = "bench";
pub(crate) const S3_SECRET: &str = "bench-secret-key-for-rclone";
const CONCURRENCIES: [usize; 3] = [2, 4, 8];

pub fn run() -> Result<()> {
    let release = crate::bench::build_release(&["-p", "picup-server", "--bin", "picup-server"])?;
    let (photos, originals) = camera_photos(&release)?;
    let megabytes = originals as f64 / 1e6;

    let work = target_dir().join("bench").join("sync");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let keyring = PrivateKeyring::start()?;
    let bus = &keyring.bus_address;

    let mut server = Server::embedded_in(release.join("picup-server"), &work.join("server"), &work)
        .with_env("PICUP_S3_ACCESS_KEY_ID", S3_KEY_ID)
        .with_env("PICUP_S3_SECRET_ACCESS_KEY", S3_SECRET)
        .with_env("RUST_LOG", "warn")
        .on_fixed_ports();
    let emails: Vec<String> = CONCURRENCIES
        .iter()
        .map(|n| format!("sync-{n}@picup.localhost"))
        .collect();
    for email in &emails {
        server.add_account(email, "1000GB")?;
    }
    server.start().context("starting picup-server")?;
    let url = server.url().to_owned();
    let s3_port = server.s3_address().port();

    // rclone first, on its own prefix of the same bucket.
    let started = Instant::now();
    let status = rclone(s3_port)
        .args(["copy", "--transfers", "4", "--s3-no-check-bucket"])
        .arg(&photos)
        .arg("bench:picup/rclone")
        .status()
        .context("running rclone (cargo xtask deps installs it)")?;
    if !status.success() {
        bail!("rclone copy failed");
    }
    let rclone_seconds = started.elapsed().as_secs_f64();

    // Ours: import once (not timed), then sync the library to a fresh account per run.
    let library = work.join("library");
    let picup = |args: &[&str]| {
        let mut command = program(release.join("picup"));
        command
            .arg("--library")
            .arg(&library)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", bus);
        command
    };
    run_step(
        "Importing the photos into a library (not timed)",
        picup(&["import"]).arg(&photos).stdout(Stdio::null()),
    )?;
    let mut ours = Vec::new();
    for (concurrency, email) in CONCURRENCIES.iter().zip(&emails) {
        let mut connect = picup(&["cloud", "connect", "--server", &url, "--email", email])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        writeln!(connect.stdin.as_mut().expect("piped"), "{PASSWORD}")?;
        if !connect.wait()?.success() {
            bail!("picup cloud connect failed");
        }
        let started = Instant::now();
        let status = picup(&["cloud", "sync", "--concurrency", &concurrency.to_string()])
            .stdout(Stdio::null())
            .status()?;
        let seconds = started.elapsed().as_secs_f64();
        if !status.success() {
            bail!("picup cloud sync failed");
        }
        ours.push((*concurrency, seconds));
    }
    let derived = bytes_under(&library.join("cache"));

    eprintln!(
        "\nUploading {PHOTOS} photos ({megabytes:.0} MB of originals) to the embedded server's S3 endpoint on this machine:"
    );
    eprintln!(
        "{:<44} {:>8} {:>9} {:>8}",
        "", "seconds", "MB/s", "vs rclone"
    );
    let rclone_rate = megabytes / rclone_seconds;
    eprintln!(
        "{:<44} {:>8.1} {:>9.1} {:>8}",
        "rclone copy --transfers 4 (originals only)", rclone_seconds, rclone_rate, "1.00"
    );
    for (concurrency, seconds) in ours {
        let rate = megabytes / seconds;
        eprintln!(
            "{:<44} {:>8.1} {:>9.1} {:>8.2}",
            format!("picup cloud sync, {concurrency} items at once"),
            seconds,
            rate,
            rate / rclone_rate
        );
    }
    eprintln!(
        "\nOurs also sent every thumbnail and preview ({:.0} MB more, {:.1} % of the \
         originals) and hashed every original.",
        derived as f64 / 1e6,
        derived as f64 / originals as f64 * 100.0
    );
    Ok(())
}

/// The 300 camera-like photos of about 4 MB that the sync and restore benchmarks send,
/// made once and kept in target/bench; returns their folder and their bytes in all.
pub(crate) fn camera_photos(release: &Path) -> Result<(PathBuf, u64)> {
    // 3,200 × 2,400 noisy camera-like JPEGs at quality 90 come out at about 4 MB.
    let photos = target_dir()
        .join("bench")
        .join(format!("photos-sync-4mb-{PHOTOS}"));
    run_step(
        &format!("Generating {PHOTOS} camera-like photos of about 4 MB (kept for later runs)"),
        program(release.join("examples").join("bench_photos"))
            .arg(&photos)
            .arg(PHOTOS.to_string())
            .args(["3200", "2400"]),
    )?;
    let originals = bytes_under(&photos);
    let megabytes = originals as f64 / 1e6;
    eprintln!(
        "\n{PHOTOS} photos, {megabytes:.0} MB ({:.1} MB each on average)",
        megabytes / PHOTOS as f64
    );
    Ok((photos, originals))
}

/// `rclone` with the remote `bench:` set to the embedded server's S3 endpoint on
/// `s3_port`, signed with the keys the benchmarks give the server.
pub(crate) fn rclone(s3_port: u16) -> Command {
    let mut command = program("rclone");
    command
        .env_remove("AWS_CA_BUNDLE") // this machine's bundle breaks rclone (FACTS.md)
        .env("RCLONE_CONFIG_BENCH_TYPE", "s3")
        .env("RCLONE_CONFIG_BENCH_PROVIDER", "Other")
        .env(
            "RCLONE_CONFIG_BENCH_ENDPOINT",
            format!("http://127.0.0.1:{s3_port}"),
        )
        .env("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", S3_KEY_ID)
        .env("RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", S3_SECRET)
        .env("RCLONE_CONFIG_BENCH_REGION", "us-east-1")
        .env("RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE", "true");
    command
}

/// Bytes of every file under `dir` (the library's thumbnails and previews).
fn bytes_under(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() {
                        bytes_under(&path)
                    } else {
                        entry.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
