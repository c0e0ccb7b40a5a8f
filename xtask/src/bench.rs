//! Benchmarks. The numbers are measured in the run that prints them; nothing is asserted.
//!
//! - `import`: our import beside `vipsthumbnail` on the same photos. Both make the same
//!   two sizes (a 512-pixel thumbnail and a 1920-pixel preview) from the same camera-like
//!   12-megapixel JPEGs, using both cores. Ours also hashes every file, reads its EXIF
//!   and records it in the index; vipsthumbnail only makes the images.
//! - `server`: the sync server under 500 concurrent connections (wrk) on the album page
//!   listing (100 items) and the upload reservation, each for 30 s, on one machine.
//! - `share`: the family page's JSON (100 photos with signed URLs) under 500 connections,
//!   signatures per second with and without the cache, and the edge serving a 200 KB
//!   object beside nginx serving the same file from disk.
//! - `sync`: the desktop's upload of 300 photos of about 4 MB to the embedded server
//!   beside `rclone copy` of the same folder to the same S3 endpoint.
//! - `restore`: a new computer fetching those 300 photos back (`picup cloud restore`)
//!   beside `rclone copy` of the same originals from the same S3 endpoint.
//! - `watch`: how soon a photo copied into a watched folder shows in its album, what an
//!   idle watcher costs, and the start-up catch-up on a library of 100,000 files.
//! - `album`: a 10,000-photo album in the real window: opening it to its first screen of
//!   thumbnails, and the frames of a fling to its end (`bench_album`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, deps, run_step, target_dir};

const PHOTOS: usize = 60;

pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {
            import()?;
            watch(true)
        }
        Some("import") => import(),
        // `watch latency`: only how soon a copied photo shows (and an idle minute).
        Some("watch") => watch(args.get(1).map(String::as_str) != Some("latency")),
        Some("server") => crate::bench_server::run(),
        Some("share") => crate::bench_server::run_share(),
        Some("sync") => crate::bench_sync::run(),
        Some("restore") => crate::bench_restore::run(),
        Some("album") => crate::bench_album::run(),
        Some(other) => {
            bail!(
                "unknown benchmark {other:?}; try: cargo xtask bench import|watch [latency]|server|share|sync|restore|album"
            )
        }
    }
}

/// Peak resident memory of a finished child, from the kernel's own accounting.
fn run_measured(command: &mut Command) -> Result<(f64, u64)> {
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("could not start {command:?}"))?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting on our own child's pid, with valid pointers to locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    if pid < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{command:?} failed");
    }
    Ok((seconds, usage.ru_maxrss as u64 * 1024))
}

/// Builds `picup` and the photo generator in release, with `more` cargo arguments
/// (other packages' binaries), and returns the release folder.
pub fn build_release(more: &[&str]) -> Result<PathBuf> {
    deps::install()?;
    let mut build = cargo();
    build
        .args(["build", "--release", "-p", "picup-core", "--bin", "picup"])
        .args(["--example", "bench_photos"])
        .args(more);
    run_step(
        "Building picup and the photo generator (release)",
        &mut build,
    )?;
    Ok(target_dir().join("release"))
}

fn import() -> Result<()> {
    let release = build_release(&[])?;
    let bench = target_dir().join("bench");
    let photos = bench.join(format!("photos-12mp-{PHOTOS}"));
    run_step(
        &format!("Generating {PHOTOS} camera-like 12-megapixel JPEGs (kept for later runs)"),
        Command::new(release.join("examples").join("bench_photos"))
            .arg(&photos)
            .arg(PHOTOS.to_string()),
    )?;
    let files: Vec<PathBuf> = {
        let mut files: Vec<_> = std::fs::read_dir(&photos)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
            .collect();
        files.sort();
        files
    };
    let bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    eprintln!(
        "\n{} photos, {:.1} MB in all, {} cores",
        files.len(),
        bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // Ours: a fresh library each time, so every photo is hashed, decoded and indexed.
    let library = bench.join("library");
    let _ = std::fs::remove_dir_all(&library);
    let (ours_seconds, ours_peak) = run_measured(
        Command::new(release.join("picup"))
            .arg("--library")
            .arg(&library)
            .args(["import", "--json"])
            .arg(&photos)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )?;
    let imported = Command::new(release.join("picup"))
        .arg("--library")
        .arg(&library)
        .args(["photos", "--json"])
        .output()?;
    let listed: serde_json::Value = serde_json::from_slice(&imported.stdout)?;
    let imported = listed.as_array().map_or(0, Vec::len);
    if imported != files.len() {
        bail!("picup imported {imported} of {} photos", files.len());
    }

    // vipsthumbnail: both sizes, the photos split between two processes (one per core).
    let out = bench.join("vips-out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    let halves: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(2)).collect();
    let mut peak_vips = 0u64;
    let children: Vec<_> = halves
        .iter()
        .map(|half| {
            let script = format!(
                "vipsthumbnail --vips-concurrency=1 -s 512 -o '{out}/%s_512.jpg[Q=88]' {files} && \
                 vipsthumbnail --vips-concurrency=1 -s 1920 -o '{out}/%s_1920.jpg[Q=88]' {files}",
                out = out.display(),
                files = half
                    .iter()
                    .map(|p| shell_quote(p))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            Command::new("sh").args(["-c", &script]).spawn()
        })
        .collect::<std::io::Result<_>>()?;
    for child in children {
        let mut status = 0;
        // SAFETY: as in run_measured.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as in run_measured.
        unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
        if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            bail!("vipsthumbnail failed");
        }
        peak_vips = peak_vips.max(usage.ru_maxrss as u64 * 1024);
    }
    let vips_seconds = started.elapsed().as_secs_f64();
    let made = std::fs::read_dir(&out)?.count();
    if made != files.len() * 2 {
        bail!(
            "vipsthumbnail made {made} images, expected {}",
            files.len() * 2
        );
    }

    let n = files.len() as f64;
    let ours_rate = n / ours_seconds;
    let vips_rate = n / vips_seconds;
    println!(
        "\nImport of {} 12-MP JPEGs, thumbnail (512) + preview (1920):",
        files.len()
    );
    println!(
        "  picup import      {ours_seconds:6.2} s  {ours_rate:6.1} photos/s  peak memory {:5.0} MB  (hash + EXIF + index included)",
        ours_peak as f64 / 1e6
    );
    println!(
        "  vipsthumbnail ×2  {vips_seconds:6.2} s  {vips_rate:6.1} photos/s  peak memory {:5.0} MB per process",
        peak_vips as f64 / 1e6
    );
    println!(
        "  ratio             {:.2}× vipsthumbnail",
        ours_rate / vips_rate
    );
    Ok(())
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// CPU seconds a process has used so far (user + system), from /proc.
pub(crate) fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks / per_second)
}

/// A running `picup watch` whose output lines arrive, time-stamped, on a channel.
struct WatchProcess {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<(Instant, String)>,
}

impl WatchProcess {
    fn start(picup: &Path, library: &Path) -> Result<Self> {
        use std::io::BufRead;
        let mut child = Command::new(picup)
            .arg("--library")
            .arg(library)
            .arg("watch")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("picup watch has an output")?;
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Ok(WatchProcess { child, lines })
    }

    /// Waits for a line starting with `prefix`.
    fn wait_for(&self, prefix: &str, timeout: std::time::Duration) -> Result<(Instant, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = self
                .lines
                .recv_timeout(left)
                .with_context(|| format!("picup watch did not print {prefix:?}"))?;
            if line.starts_with(prefix) {
                return Ok((at, line));
            }
        }
    }
}

impl Drop for WatchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `catch_up`: also measure the start-up catch-up on 100,000 files (minutes).
fn watch(catch_up: bool) -> Result<()> {
    use std::time::Duration;
    let release = build_release(&[])?;
    let picup = release.join("picup");
    let bench = target_dir().join("bench").join("watch");
    let _ = std::fs::remove_dir_all(&bench);

    // 1. Latency: 200 phone-sized photos copied one after another into a watched folder.
    const FILES: usize = 200;
    let staging = target_dir()
        .join("bench")
        .join(format!("photos-3mp-{FILES}"));
    run_step(
        &format!("Generating {FILES} camera-like 3-megapixel JPEGs (kept for later runs)"),
        Command::new(release.join("examples").join("bench_photos"))
            .arg(&staging)
            .arg(FILES.to_string())
            .args(["2000", "1500"]),
    )?;
    let library = bench.join("library");
    let inbox = bench.join("Inbox");
    std::fs::create_dir_all(&inbox)?;
    std::fs::copy(staging.join("IMG_0000.jpg"), inbox.join("first.jpg"))?;
    let status = Command::new(&picup)
        .arg("--library")
        .arg(&library)
        .arg("import")
        .arg(&inbox)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        bail!("picup import failed");
    }
    let watcher = WatchProcess::start(&picup, &library)?;
    watcher.wait_for("caught up", Duration::from_secs(60))?;
    let mut written = std::collections::HashMap::new();
    for i in 0..FILES {
        let target = inbox.join(format!("copied-{i:04}.jpg"));
        std::fs::copy(staging.join(format!("IMG_{i:04}.jpg")), &target)?;
        written.insert(target.to_string_lossy().into_owned(), Instant::now());
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut latencies = Vec::new();
    while latencies.len() < FILES {
        let (at, line) = watcher.wait_for("added ", Duration::from_secs(120))?;
        if let Some(wrote) = written.get(line.trim_start_matches("added ")) {
            latencies.push(at.duration_since(*wrote).as_secs_f64());
        }
    }
    latencies.sort_by(f64::total_cmp);

    // 2. An idle minute.
    let before = cpu_seconds(watcher.child.id())?;
    std::thread::sleep(Duration::from_secs(60));
    let idle_cpu = cpu_seconds(watcher.child.id())? - before;
    drop(watcher);

    println!(
        "\nWatched folders, last write → shown in its album, {FILES} photos (2000×1500) \
         copied 50 ms apart: median {:.2} s, p95 {:.2} s (a file its writer has closed is \
         taken once the burst pauses for 0.1 s; the 1.5 s quiet period is only for files \
         still open)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95)
    );
    println!("CPU used by an idle watcher over one minute: {idle_cpu:.3} s");
    if !catch_up {
        return Ok(());
    }

    // 3. Start-up catch-up on 100,000 indexed, unchanged files (hard links to a few
    //    photos in 100 folders: the catch-up reads names and times, never contents;
    //    ext4 allows 65,000 links to one file, so the links spread over ten photos).
    const BIG: usize = 100_000;
    let big = bench.join("Archive");
    for folder in 0..100 {
        let dir = big.join(format!("Year {folder:03}"));
        std::fs::create_dir_all(&dir)?;
        let source = staging.join(format!("IMG_{:04}.jpg", folder % 10));
        for i in 0..BIG / 100 {
            std::fs::hard_link(&source, dir.join(format!("IMG_{i:05}.jpg")))?;
        }
    }
    let big_library = bench.join("library-100k");
    let started = Instant::now();
    let status = Command::new(&picup)
        .arg("--library")
        .arg(&big_library)
        .arg("import")
        .arg(&big)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        bail!("picup import of the archive failed");
    }
    let first_import = started.elapsed().as_secs_f64();
    let watcher = WatchProcess::start(&picup, &big_library)?;
    let (_, caught_up) = watcher.wait_for("caught up", Duration::from_secs(600))?;
    drop(watcher);

    println!("First import of {BIG} files (ten contents, hard links): {first_import:.1} s");
    println!("Start-up catch-up, {BIG} unchanged files: {caught_up}");
    let _ = std::fs::remove_dir_all(&big);
    Ok(())
}
