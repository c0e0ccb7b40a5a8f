//! `cargo xtask bench server`: the sync server (release build, embedded mode: SQLite and
//! the in-process S3 endpoint) under `wrk` with 500 connections for 30 s on two routes,
//! the album page listing (100 items) and the upload reservation. Server and load
//! generator share this machine's cores, which bounds the figures; they are printed beside
//! the reference load test of the service Pic-up replaces (500 virtual users: mean 138 ms,
//! median 125 ms, p95 160 ms).

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use picup_testkit::server::Server;
use picup_testkit::{PASSWORD, Process, free_port, program};

use crate::{cargo, deps, run_step, target_dir};

const EMAIL: &str = "bench@picup.localhost";
const CONNECTIONS: u32 = 500;
const SECONDS: u32 = 30;
/// The edge against nginx: this many turns each, of this many seconds.
const ROUNDS: usize = 3;
const ROUND_SECONDS: u32 = 15;
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

/// A release server in embedded mode on a free port, with the benchmark account.
struct BenchServer {
    server: Server,
    release: std::path::PathBuf,
    /// The benchmark's folder: the server's data and logs, the files nginx serves
    /// (`www`) and wrk's scripts.
    work: std::path::PathBuf,
}

/// What the seeder made: a session, an album of 100 photos, a share link to it, and a
/// signed URL of a 200 KB object (written to `www/edge.jpg` too).
struct Seeded {
    token: String,
    album: String,
    share_url: String,
    edge_url: String,
}

fn start_server(examples: &[&str]) -> Result<BenchServer> {
    deps::install()?;
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "picup-server",
        "--bin",
        "picup-server",
    ]);
    for example in examples {
        build.args(["--example", example]);
    }
    run_step(
        "Building picup-server and the benchmark's helpers (release)",
        &mut build,
    )?;
    let release = target_dir().join("release");
    let work = target_dir().join("bench").join("server");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("www"))?;
    let mut server = Server::embedded_in(release.join("picup-server"), &work.join("data"), &work)
        .with_env("PICUP_S3_LISTEN", "127.0.0.1:0")
        // The family pages' per-address budget stays on (its cost is measured) but
        // high enough that one load generator on one address is not turned away.
        .with_env("PICUP_SHARE_REQUESTS_PER_MINUTE", "100000000")
        // wrk's connections all come from one address; under the default cap (256) the
        // rest would be closed on arrival and reopened in a loop, measuring that churn.
        .with_env("PICUP_MAX_CONNECTIONS_PER_ADDRESS", "100000")
        .with_env("RUST_LOG", "warn");
    server.add_account(EMAIL, "1000TB")?;
    server.start().context("starting picup-server")?;
    Ok(BenchServer {
        server,
        release,
        work,
    })
}

fn seed(server: &BenchServer) -> Result<Seeded> {
    let seeded = program(server.release.join("examples").join("bench_seed"))
        .args([server.server.url(), EMAIL, PASSWORD])
        .arg(server.work.join("www").join("edge.jpg"))
        .output()?;
    if !seeded.status.success() {
        bail!(
            "seeding failed: {}",
            String::from_utf8_lossy(&seeded.stderr)
        );
    }
    let text = String::from_utf8(seeded.stdout)?;
    let words: Vec<&str> = text.split_whitespace().collect();
    let [token, album, share_url, edge_url] = words.as_slice() else {
        bail!("the seeder printed {text:?}");
    };
    Ok(Seeded {
        token: token.to_string(),
        album: album.to_string(),
        share_url: share_url.to_string(),
        edge_url: edge_url.to_string(),
    })
}

const REPORT: &str = r#"done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("picup-bench %d %d %.3f %.3f %.3f %.3f\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"#;

/// Runs wrk with `script` against `target` for [`SECONDS`] and reads the summary line.
fn wrk(name: &str, target: &str, script: &str, file: &Path) -> Result<Figures> {
    wrk_for(name, target, script, file, SECONDS)
}

/// [`wrk`] for `seconds`.
fn wrk_for(name: &str, target: &str, script: &str, file: &Path, seconds: u32) -> Result<Figures> {
    std::fs::write(file, script)?;
    eprintln!("\n==> wrk: {name}, {CONNECTIONS} connections, {seconds} s");
    let out = program("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(file)
        .arg(target)
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
    Ok(Figures {
        requests: n[0] as u64,
        errors: n[1] as u64,
        seconds: n[2],
        p50: n[3],
        p95: n[4],
        p99: n[5],
    })
}

fn print_header() {
    println!(
        "{:<52} {:>9} {:>8} {:>8} {:>8} {:>7}",
        "route", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"
    );
}

fn print_row(name: &str, f: &Figures) {
    println!(
        "{:<52} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>7}",
        name,
        f.requests as f64 / f.seconds,
        f.p50,
        f.p95,
        f.p99,
        f.errors
    );
}

pub fn run() -> Result<()> {
    let server = start_server(&["bench_seed"])?;
    let seeded = seed(&server)?;
    measure(server.server.url(), &seeded, &server.work)
}

/// `cargo xtask bench share`.
pub fn run_share() -> Result<()> {
    let server = start_server(&["bench_seed", "bench_sign"])?;
    let seeded = seed(&server)?;
    let data = &server.work;
    let page = wrk(
        "family page JSON, 100 photos with signed URLs",
        &format!("{}/photos?limit=100", seeded.share_url),
        REPORT,
        &data.join("share.lua"),
    )?;
    // The edge and nginx take turns, so a burst of other work on the machine falls on
    // both sides; the ratio printed is the median of the rounds'.
    let (edges, nginxes) = with_nginx(data, |url| {
        let (mut edges, mut nginxes) = (Vec::new(), Vec::new());
        for round in 1..=ROUNDS {
            edges.push(wrk_for(
                &format!("the edge: a signed 200 KB object, round {round}"),
                &seeded.edge_url,
                REPORT,
                &data.join("edge.lua"),
                ROUND_SECONDS,
            )?);
            nginxes.push(wrk_for(
                &format!("nginx: the same 200 KB file from disk, round {round}"),
                &format!("{url}/edge.jpg"),
                REPORT,
                &data.join("nginx.lua"),
                ROUND_SECONDS,
            )?);
        }
        Ok((edges, nginxes))
    })?;
    let signing = program(server.release.join("examples").join("bench_sign")).output()?;
    let signing = String::from_utf8_lossy(&signing.stdout).into_owned();
    let rates: Vec<f64> = signing
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();

    println!(
        "\nSharing under {CONNECTIONS} connections, the page for {SECONDS} s, the edge and nginx \
         in turns of {ROUND_SECONDS} s (wrk and the server share this machine):"
    );
    print_header();
    print_row("family page JSON, 100 photos with signed URLs", &page);
    let mut ratios = Vec::new();
    for (round, (edge, nginx)) in edges.iter().zip(&nginxes).enumerate() {
        print_row(
            &format!("edge: signed 200 KB object, round {}", round + 1),
            edge,
        );
        print_row(
            &format!("nginx: the same file from disk, round {}", round + 1),
            nginx,
        );
        if nginx.errors > 0 || edge.errors > 0 {
            bail!(
                "the comparison is void: nginx answered {} and the edge {} requests with an error",
                nginx.errors,
                edge.errors
            );
        }
        ratios
            .push((edge.requests as f64 / edge.seconds) / (nginx.requests as f64 / nginx.seconds));
    }
    ratios.sort_by(f64::total_cmp);
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "edge requests/s ÷ nginx requests/s (every request checked): median {:.2} of {}",
        ratios[ratios.len() / 2],
        shown.join(", ")
    );
    if let [uncached, cached] = rates.as_slice() {
        println!(
            "URL signing, one core: {uncached:.0} signatures/s without the cache (RSA-2048), \
             {cached:.0} URLs/s from the cache ({:.0}x)",
            cached / uncached
        );
    }
    Ok(())
}

/// Runs `work` with nginx serving `data/www` on a free port.
fn with_nginx<T>(data: &Path, work: impl FnOnce(&str) -> Result<T>) -> Result<T> {
    let port = free_port();
    let prefix = data.join("nginx");
    std::fs::create_dir_all(prefix.join("tmp"))?;
    let conf = prefix.join("nginx.conf");
    // Under root nginx hands its workers to `nobody`, who cannot read a folder under
    // root's home: they would answer 403 and wrk would count errors, not files served.
    use std::os::unix::fs::MetadataExt;
    let as_root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    std::fs::write(
        &conf,
        format!(
            "{user}worker_processes 2;\ndaemon off;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\n\
             events {{ worker_connections 2048; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {p}/tmp;\n  proxy_temp_path {p}/tmp;\n\
               fastcgi_temp_path {p}/tmp;\n  uwsgi_temp_path {p}/tmp;\n  scgi_temp_path {p}/tmp;\n\
               server {{ listen 127.0.0.1:{port}; root {www}; }}\n}}\n",
            user = if as_root { "user root;\n" } else { "" },
            p = prefix.display(),
            www = data.join("www").display(),
        ),
    )?;
    let mut nginx = Process::start(
        "nginx",
        program("nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null()),
        &prefix.join("stderr.log"),
    )?;
    nginx.wait_for_port(port)?;
    work(&format!("http://127.0.0.1:{port}"))
}

fn measure(url: &str, seeded: &Seeded, data: &Path) -> Result<()> {
    let (token, album) = (&seeded.token, &seeded.album);
    let report = REPORT;
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
        results.push((name, wrk(name, &target, &script, &data.join(file))?));
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
