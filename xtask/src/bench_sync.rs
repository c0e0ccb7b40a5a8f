//! `cargo xtask bench sync`: the desktop's upload of a folder of 300 camera-like photos of
//! about 4 MB to the embedded sync server (release builds, the in-process S3 endpoint on
//! the local disk), beside `rclone copy` of the same folder to the same endpoint, in one
//! run. Ours reserves each item, hashes it (SHA-256, signed into the upload URL), sends
//! the original, thumbnail and preview, and completes; rclone sends the originals only.
//! Both are timed from start to finish; MB/s counts the originals' bytes for both.
//!
//! Our sync is measured at several concurrencies (items sent at once) to show where the
//! default of 4 sits. Each run uses a fresh account, so nothing is deduplicated.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, deps, run_step, target_dir};

const PHOTOS: u64 = 300;
const PASSWORD: &str = "benchmark password";
const S3_KEY_ID: &str = "bench";
const S3_SECRET: &str = "bench-secret-key-for-rclone";
const CONCURRENCIES: [usize; 3] = [2, 4, 8];

/// A child process (group) killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: signalling our own child's process group.
        unsafe {
            libc::kill(-(self.0.id() as i32), libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// gnome-keyring on a private D-Bus session: `picup cloud connect` keeps its token there.
fn private_keyring(dir: &Path) -> Result<(Running, String)> {
    use std::os::unix::process::CommandExt;
    let runtime = dir.join("run");
    std::fs::create_dir_all(&runtime)?;
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )?;
    let mut child = Command::new("dbus-run-session")
        .args([
            "--",
            "sh",
            "-c",
            "printf %s bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
             && echo \"$DBUS_SESSION_BUS_ADDRESS\" && exec sleep 100000",
        ])
        .env("HOME", dir)
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting gnome-keyring")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    Ok((Running(child), line.trim().to_owned()))
}

pub fn run() -> Result<()> {
    deps::install()?;
    run_step(
        "Building picup, picup-server and the photo generator (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "picup-core",
            "--bin",
            "picup",
            "--example",
            "bench_photos",
            "-p",
            "picup-server",
            "--bin",
            "picup-server",
        ]),
    )?;
    let release = target_dir().join("release");
    let bench = target_dir().join("bench");
    // 3,200 × 2,400 noisy camera-like JPEGs at quality 90 come out at about 4 MB.
    let photos = bench.join(format!("photos-sync-4mb-{PHOTOS}"));
    run_step(
        &format!("Generating {PHOTOS} camera-like photos of about 4 MB (kept for later runs)"),
        Command::new(release.join("examples").join("bench_photos"))
            .arg(&photos)
            .arg(PHOTOS.to_string())
            .args(["3200", "2400"]),
    )?;
    let originals: u64 = std::fs::read_dir(&photos)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let megabytes = originals as f64 / 1e6;
    eprintln!(
        "\n{PHOTOS} photos, {megabytes:.0} MB ({:.1} MB each on average)",
        megabytes / PHOTOS as f64
    );

    let work = bench.join("sync");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let (_keyring, bus) = private_keyring(&work)?;

    let server_bin = release.join("picup-server");
    let data = work.join("server");
    let port = free_port()?;
    let s3_port = free_port()?;
    let server_env = [
        ("PICUP_S3_LISTEN", format!("127.0.0.1:{s3_port}")),
        ("PICUP_S3_ACCESS_KEY_ID", S3_KEY_ID.to_owned()),
        ("PICUP_S3_SECRET_ACCESS_KEY", S3_SECRET.to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let add_account = |email: &str| -> Result<()> {
        let mut add = Command::new(&server_bin)
            .arg("--data")
            .arg(&data)
            .args([
                "user",
                "add",
                email,
                "--quota",
                "1000GB",
                "--password-stdin",
            ])
            .env("PICUP_S3_LISTEN", "127.0.0.1:0")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        writeln!(add.stdin.as_mut().expect("piped"), "{PASSWORD}")?;
        if !add.wait()?.success() {
            bail!("could not create the benchmark account {email}");
        }
        Ok(())
    };
    let emails: Vec<String> = CONCURRENCIES
        .iter()
        .map(|n| format!("sync-{n}@picup.localhost"))
        .collect();
    for email in &emails {
        add_account(email)?;
    }
    let _server = {
        use std::os::unix::process::CommandExt;
        Running(
            Command::new(&server_bin)
                .arg("--data")
                .arg(&data)
                .args(["serve", "--embedded", "--listen"])
                .arg(format!("127.0.0.1:{port}"))
                .envs(server_env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .process_group(0)
                .spawn()
                .context("starting picup-server")?,
        )
    };
    let url = format!("http://127.0.0.1:{port}");
    wait_until_ready(&url)?;

    // rclone first, on its own prefix of the same bucket.
    let started = Instant::now();
    let status = Command::new("rclone")
        .args(["copy", "--transfers", "4", "--s3-no-check-bucket"])
        .arg(&photos)
        .arg("bench:picup/rclone")
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
        .env("RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE", "true")
        .status()
        .context("running rclone (cargo xtask deps installs it)")?;
    if !status.success() {
        bail!("rclone copy failed");
    }
    let rclone_seconds = started.elapsed().as_secs_f64();

    // Ours: import once (not timed), then sync the library to a fresh account per run.
    let library = work.join("library");
    let picup = |args: &[&str]| {
        let mut command = Command::new(release.join("picup"));
        command
            .arg("--library")
            .arg(&library)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus);
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

fn wait_until_ready(url: &str) -> Result<()> {
    for _ in 0..300 {
        if let Ok(mut stream) = std::net::TcpStream::connect(url.trim_start_matches("http://")) {
            let _ = write!(stream, "GET /readyz HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!("the sync server did not become ready")
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
