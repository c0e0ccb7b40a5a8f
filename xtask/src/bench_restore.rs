//! `cargo xtask bench restore`: a new computer fetching back 300 camera-like photos of
//! about 4 MB from the embedded sync server (release builds, the in-process S3 endpoint
//! on the local disk), beside `rclone copy` of the same originals from the same S3
//! endpoint to a local folder, in one run.
//!
//! The photos are sent once by a first library (`picup cloud sync`, not timed). rclone
//! then copies the objects whose keys end in `/original` (the thumbnails and previews
//! stay behind), at its default 4 transfers and at 1. Ours is `picup cloud restore`
//! from a fresh library: it lists the cloud album, fetches each original through its
//! signed address on the server's edge (which streams it from S3), hashes it (SHA-256
//! checked, BLAKE3 kept), fsyncs it, sets its time and links it under its name, and then
//! adds the folder to the library (thumbnails and previews made here). "Fetch only" runs
//! from the command's start to the progress line that counts every file; "fetch + add
//! to library" to its end. MB/s counts the originals' bytes for all.
//!
//! Then the issue's second figure (`bench_shelf`): the time from sign-in on an empty
//! library to a shelf with every cover, for 50 albums of 10,000 photos.
//!
//! Measured on the 2-core build machine on 2026-11-27, 300 photos, 1,125 MB of
//! originals (the ratio is MB/s over rclone --transfers 4's in the same run):
//!
//! ```text
//!                                   fetching one file at a time    four at once (now)
//!                                   MB/s, three runs    ratio      MB/s, three runs    ratio
//! rclone copy --transfers 4         239.7 178.4 229.5   1.00       214.5 201.7 193.5   1.00
//! rclone copy --transfers 1          67.7  72.5  57.8   0.28-0.41   55.6  55.1  51.7   0.26-0.27
//! picup cloud restore, fetch only    54.3  55.4  51.3   0.22-0.31  174.5 176.7 170.8   0.81-0.88
//! picup cloud restore, fetch + add   24.0  20.1  27.7   0.10-0.12   45.2  40.5  36.8   0.19-0.21
//! ```
//!
//! The shelf: 0.45 s from `picup cloud connect` to 50 albums listed with their 50 covers
//! in the cache (one run, same day).
//!
//! The first three runs had another build beside them. One stream from the embedded S3
//! endpoint runs at about 70 MB/s, through the edge or not; fsyncing every file (and
//! its folder) is most of what is left between us and rclone at the same number of
//! transfers, and the 0.6 s of listing and planning counts in ours. Adding to the
//! library (thumbnails and previews of 300 photos on 2 cores) takes longer than the
//! fetch.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use picup_api::ObjectName;
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::Server;
use picup_testkit::{PASSWORD, program};

use crate::bench::cpu_seconds;
use crate::bench_sync::{PHOTOS, S3_KEY_ID, S3_SECRET, camera_photos, rclone};
use crate::{run_step, target_dir};

const EMAIL: &str = "restore@picup.localhost";

/// One way of fetching the originals, as timed.
struct Run {
    what: String,
    seconds: f64,
    /// CPU seconds of the fetching program and of the server over the run.
    client_cpu: f64,
    server_cpu: f64,
}

pub fn run() -> Result<()> {
    let release = crate::bench::build_release(&["-p", "picup-server", "--bin", "picup-server"])?;
    let (photos, originals) = camera_photos(&release)?;
    let megabytes = originals as f64 / 1e6;

    let work = target_dir().join("bench").join("restore");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let mut server = Server::embedded_in(release.join("picup-server"), &work.join("server"), &work)
        .with_env("PICUP_S3_ACCESS_KEY_ID", S3_KEY_ID)
        .with_env("PICUP_S3_SECRET_ACCESS_KEY", S3_SECRET)
        .with_env("RUST_LOG", "warn")
        .on_fixed_ports();
    server.add_account(EMAIL, "1000GB")?;
    server.add_account(crate::bench_shelf::EMAIL, "1000GB")?;
    server.start().context("starting picup-server")?;
    let url = server.url().to_owned();
    let s3_port = server.s3_address().port();
    let server_pid = server.process().context("the server runs")?.id();

    // The photos go up once, from a first computer.
    let first = Computer::new(&release, &work.join("first-library"))?;
    run_step(
        "Importing the photos into a first library (not timed)",
        first.picup(&["import"]).arg(&photos).stdout(Stdio::null()),
    )?;
    first.connect(&url)?;
    run_step(
        "Sending them to the server (not timed)",
        first.picup(&["cloud", "sync"]).stdout(Stdio::null()),
    )?;

    let mut runs = Vec::new();
    for transfers in [4, 1] {
        let to = work.join(format!("rclone-{transfers}"));
        runs.push(rclone_copy(s3_port, transfers, &to, server_pid)?);
        let (files, bytes) = files_and_bytes(&to)?;
        ensure!(
            files == PHOTOS && bytes == originals,
            "rclone fetched {files} files of {bytes} bytes, expected {PHOTOS} of {originals}"
        );
        std::fs::remove_dir_all(&to)?;
    }

    let new = Computer::new(&release, &work.join("new-library"))?;
    new.connect(&url)?;
    let restored = work.join("restored");
    let (fetch, whole) = restore(&new, &restored, server_pid)?;
    let (files, bytes) = files_and_bytes(&restored)?;
    ensure!(
        files == PHOTOS && bytes == originals,
        "picup restored {files} files of {bytes} bytes, expected {PHOTOS} of {originals}"
    );
    let listed: serde_json::Value =
        serde_json::from_slice(&new.picup(&["photos", "--json"]).output()?.stdout)?;
    let in_library = listed.as_array().map_or(0, Vec::len) as u64;
    ensure!(
        in_library == PHOTOS,
        "the new library shows {in_library} photos, expected {PHOTOS}"
    );
    runs.push(fetch);
    runs.push(whole);

    eprintln!(
        "\nFetching {PHOTOS} photos ({megabytes:.0} MB of originals) from the embedded \
         server on this machine to a local folder:"
    );
    eprintln!(
        "{:<52} {:>7} {:>7} {:>9} {:>10} {:>10}",
        "", "seconds", "MB/s", "vs rclone", "client CPU", "server CPU"
    );
    let reference = megabytes / runs[0].seconds;
    for run in &runs {
        let rate = megabytes / run.seconds;
        eprintln!(
            "{:<52} {:>7.1} {:>7.1} {:>9.2} {:>9.1}s {:>9.1}s",
            run.what,
            run.seconds,
            rate,
            rate / reference,
            run.client_cpu,
            run.server_cpu
        );
    }
    eprintln!(
        "\nrclone reads the S3 objects directly; ours goes through the server's edge \
         (signed addresses, as CloudFront would serve them), checks SHA-256, fsyncs every \
         file and links it under its name; both fetch four files at once."
    );
    let (shelf_seconds, covers) = crate::bench_shelf::time_to_shelf(&release, &work, &url)?;
    eprintln!(
        "\nA new computer, from signing in on an empty library to a shelf of the cloud's 50 \
         albums (10,000 photos) with {covers} covers: {shelf_seconds:.2} s"
    );
    // The server's copy and the restored one are no use once measured (a failed run
    // keeps them to look at).
    drop(server);
    std::fs::remove_dir_all(&work)?;
    Ok(())
}

/// A library of its own, signed in through a keyring of its own.
pub(crate) struct Computer {
    picup: std::path::PathBuf,
    library: std::path::PathBuf,
    keyring: PrivateKeyring,
}

impl Computer {
    pub(crate) fn new(release: &Path, library: &Path) -> Result<Computer> {
        Ok(Computer {
            picup: release.join("picup"),
            library: library.to_owned(),
            keyring: PrivateKeyring::start()?,
        })
    }

    pub(crate) fn picup(&self, args: &[&str]) -> Command {
        let mut command = program(&self.picup);
        command
            .arg("--library")
            .arg(&self.library)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.keyring.bus_address);
        command
    }

    pub(crate) fn connect(&self, url: &str) -> Result<()> {
        self.connect_as(url, EMAIL)
    }

    pub(crate) fn connect_as(&self, url: &str, email: &str) -> Result<()> {
        let mut connect = self
            .picup(&["cloud", "connect", "--server", url, "--email", email])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        writeln!(connect.stdin.as_mut().expect("piped"), "{PASSWORD}")?;
        if !connect.wait()?.success() {
            bail!("picup cloud connect failed");
        }
        Ok(())
    }
}

/// `rclone copy` of every original in the bucket into `to`.
fn rclone_copy(s3_port: u16, transfers: usize, to: &Path, server_pid: u32) -> Result<Run> {
    let server_before = cpu_seconds(server_pid)?;
    let children_before = children_cpu_seconds();
    let started = Instant::now();
    let status = rclone(s3_port)
        .args(["copy", "--transfers", &transfers.to_string()])
        .arg("--include")
        .arg(format!("/*/{}", ObjectName::Original.as_str()))
        .arg("bench:picup")
        .arg(to)
        .status()
        .context("running rclone (cargo xtask deps installs it)")?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("rclone copy failed");
    }
    Ok(Run {
        what: format!("rclone copy --transfers {transfers} (S3, originals only)"),
        seconds,
        client_cpu: children_cpu_seconds() - children_before,
        server_cpu: cpu_seconds(server_pid)? - server_before,
    })
}

/// A progress line of `picup cloud restore`, heard at a moment, with the CPU seconds
/// used by then by the command and by the server.
struct Heard {
    at: Instant,
    line: String,
    client_cpu: f64,
    server_cpu: f64,
}

/// `picup cloud restore --to to` on `computer`, timed twice: until every original is
/// fetched (its progress line says so), and to its end (the folder added too).
fn restore(computer: &Computer, to: &Path, server_pid: u32) -> Result<(Run, Run)> {
    let server_before = cpu_seconds(server_pid)?;
    let started = Instant::now();
    let mut child = computer
        .picup(&["cloud", "restore", "--to"])
        .arg(to)
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("picup has an output")?;
    let pid = child.id();
    let (tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let heard = Heard {
                at: Instant::now(),
                client_cpu: cpu_seconds(pid).unwrap_or(0.0),
                server_cpu: cpu_seconds(server_pid).unwrap_or(0.0),
                line,
            };
            if tx.send(heard).is_err() {
                break;
            }
        }
    });
    let children_before = children_cpu_seconds();
    let status = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let client_cpu = children_cpu_seconds() - children_before;
    let server_cpu = cpu_seconds(server_pid)? - server_before;
    let _ = reader.join();
    let heard: Vec<Heard> = lines.try_iter().collect();
    if !status.success() {
        let said: Vec<&str> = heard.iter().map(|heard| heard.line.as_str()).collect();
        bail!("picup cloud restore failed; it said:\n{}", said.join("\n"));
    }
    let fetched = heard
        .iter()
        .find(|heard| counts_every_file(&heard.line))
        .context("picup cloud restore never said every file was fetched")?;
    let planned = heard
        .iter()
        .find(|heard| heard.line.starts_with("Fetched 0 of"))
        .map_or(0.0, |heard| heard.at.duration_since(started).as_secs_f64());
    eprintln!("    (listing the cloud album and planning the downloads: {planned:.1} s)");
    Ok((
        Run {
            what: "picup cloud restore: fetch only".into(),
            seconds: fetched.at.duration_since(started).as_secs_f64(),
            client_cpu: fetched.client_cpu,
            server_cpu: fetched.server_cpu - server_before,
        },
        Run {
            what: "picup cloud restore: fetch + add to library".into(),
            seconds,
            client_cpu,
            server_cpu,
        },
    ))
}

/// Whether a progress line (`Fetched 300 of 300 files (…`) counts every file.
fn counts_every_file(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    matches!(
        words.as_slice(),
        ["Fetched", done, "of", total, ..] if done == total && *total != "0"
    )
}

/// CPU seconds (user + system) of this process's children that have been waited for.
fn children_cpu_seconds() -> f64 {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a local.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// How many files are under `dir` (hidden ones too, so a partial file left behind
/// shows), at any depth, and their bytes.
fn files_and_bytes(dir: &Path) -> Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            let (f, b) = files_and_bytes(&entry.path())?;
            files += f;
            bytes += b;
        } else {
            files += 1;
            bytes += entry.metadata()?.len();
        }
    }
    Ok((files, bytes))
}
