//! `cargo xtask bench server`: the sync server (release build, embedded mode: SQLite and
//! the in-process S3 endpoint) under `wrk` with 500 connections for 30 s on two routes,
//! the album page listing (100 items) and the upload reservation. Server and load
//! generator share this machine's cores, which bounds the figures; they are printed beside
//! the reference load test of the service Pic-up replaces (500 virtual users: mean 138 ms,
//! median 125 ms, p95 160 ms).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{cargo, deps, run_step, target_dir};

const EMAIL: &str = "bench@picup.localhost";
const PASSWORD: &str = "benchmark password";
const CONNECTIONS: u32 = 500;
const SECONDS: u32 = 30;
/// The reference service's p95 under the same 500-user load, in milliseconds.
const REFERENCE_P95_MS: f64 = 160.0;
const REFERENCE_MEDIAN_MS: f64 = 125.0;

struct Figures {
    requests: u64,
    errors: u64,
    seconds: f64,
    p50: f64,
    p95: f64,
    p99: f64,
}

pub fn run() -> Result<()> {
    deps::install()?;
    run_step(
        "Building picup-server and the benchmark's seeder (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "picup-server",
            "--bin",
            "picup-server",
            "--example",
            "bench_seed",
        ]),
    )?;
    let release = target_dir().join("release");
    let server_bin = release.join("picup-server");
    let data = target_dir().join("bench").join("server");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;

    let mut add = Command::new(&server_bin)
        .arg("--data")
        .arg(&data)
        .args([
            "user",
            "add",
            EMAIL,
            "--quota",
            "1000TB",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    writeln!(add.stdin.as_mut().expect("piped"), "{PASSWORD}")?;
    if !add.wait()?.success() {
        bail!("could not create the benchmark account");
    }

    let mut server = Command::new(&server_bin)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--embedded", "--listen", "127.0.0.1:0"])
        .env("PICUP_S3_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting picup-server")?;
    let url = BufReader::new(server.stdout.take().expect("piped"))
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned))
        .context("picup-server did not say where it listens")?;
    let result = measure(&release, &url, &data);
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(server.id() as i32, libc::SIGTERM);
    }
    let _ = server.wait();
    result
}

fn measure(release: &Path, url: &str, data: &Path) -> Result<()> {
    let seeded = Command::new(release.join("examples").join("bench_seed"))
        .args([url, EMAIL, PASSWORD])
        .output()?;
    if !seeded.status.success() {
        bail!(
            "seeding failed: {}",
            String::from_utf8_lossy(&seeded.stderr)
        );
    }
    let seeded = String::from_utf8(seeded.stdout)?;
    let mut words = seeded.split_whitespace();
    let (Some(token), Some(album)) = (words.next(), words.next()) else {
        bail!("the seeder printed {seeded:?}");
    };
    let report = r#"done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("picup-bench %d %d %.3f %.3f %.3f %.3f\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"#;
    let listing = format!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n{report}");
    let reserve = format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.body = '{{\"album_id\":\"{album}\",\"sha256\":\"{sha}\",\"size\":3000000,\
         \"content_type\":\"image/jpeg\",\"taken_at\":\"2024-06-01T10:00:00Z\",\"width\":4000,\
         \"height\":3000,\"variants\":[{{\"name\":\"thumbnail\",\"size\":40000}},\
         {{\"name\":\"preview\",\"size\":400000}}]}}'\n{report}",
        sha = "5d".repeat(32)
    );
    let routes = [
        (
            "album page, 100 photos (GET /v1/albums/{id}/photos)",
            format!("{url}/v1/albums/{album}/photos?limit=100"),
            listing,
            "listing.lua",
        ),
        (
            "upload reservation (POST /v1/uploads)",
            format!("{url}/v1/uploads"),
            reserve,
            "reserve.lua",
        ),
    ];
    let mut results = Vec::new();
    for (name, target, script, file) in routes {
        let script_path = data.join(file);
        std::fs::write(&script_path, script)?;
        eprintln!("\n==> wrk: {name}, {CONNECTIONS} connections, {SECONDS} s");
        let out = Command::new("wrk")
            .args([
                "-t2",
                &format!("-c{CONNECTIONS}"),
                &format!("-d{SECONDS}s"),
                "--timeout",
                "10s",
                "-s",
            ])
            .arg(&script_path)
            .arg(&target)
            .output()
            .context("running wrk")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("picup-bench "))
            .with_context(|| format!("wrk printed no summary:\n{text}"))?;
        let n: Vec<f64> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        if n.len() != 6 {
            bail!("unexpected wrk summary {line:?}");
        }
        results.push((
            name,
            Figures {
                requests: n[0] as u64,
                errors: n[1] as u64,
                seconds: n[2],
                p50: n[3],
                p95: n[4],
                p99: n[5],
            },
        ));
    }
    println!(
        "\nSync server under {CONNECTIONS} connections for {SECONDS} s (wrk and the server share this machine):"
    );
    println!(
        "{:<52} {:>9} {:>8} {:>8} {:>8} {:>7} {:>22}",
        "route", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "reference p95 / ours"
    );
    for (name, f) in &results {
        println!(
            "{:<52} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>21.2}",
            name,
            f.requests as f64 / f.seconds,
            f.p50,
            f.p95,
            f.p99,
            f.errors,
            REFERENCE_P95_MS / f.p95.max(0.001)
        );
    }
    println!(
        "Reference: the original Java service's load test, 500 virtual users: mean 138 ms, \
         median {REFERENCE_MEDIAN_MS} ms, p95 {REFERENCE_P95_MS} ms (quoted, not run here)."
    );
    Ok(())
}
