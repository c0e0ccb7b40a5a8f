//! `cargo xtask bench import`: our import beside `vipsthumbnail` on the same photos.
//!
//! Both make the same two sizes (a 512-pixel thumbnail and a 1920-pixel preview) from
//! the same camera-like 12-megapixel JPEGs, using both cores. Ours also hashes every
//! file, reads its EXIF and records it in the index; vipsthumbnail only makes the
//! images. The numbers are measured in this run; nothing is asserted about them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, deps, run_step, target_dir};

const PHOTOS: usize = 60;

pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None | Some("import") => import(),
        Some(other) => bail!("unknown benchmark {other:?}; try: cargo xtask bench import"),
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

fn import() -> Result<()> {
    deps::install()?;
    run_step(
        "Building picup and the photo generator (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "picup-core",
            "--bin",
            "picup",
            "--example",
            "bench_photos",
        ]),
    )?;
    let release = target_dir().join("release");
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
