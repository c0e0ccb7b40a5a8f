//! Every video plays in every browser (issue 18): the worker looks at each stored video
//! once and, for one a browser may not play, makes a copy that every browser plays,
//! on SQLite with the embedded S3 endpoint and on PostgreSQL with SeaweedFS. Real ffmpeg
//! makes the phone-like fixtures (HEVC by libx265, a turned QuickTime file) and the
//! copies; ffprobe checks what came out: H.264 in 8-bit 4:2:0, AAC, MP4 with its index
//! first, at most 1080p, upright. An H.264 MP4 gets no copy. The copy counts against the
//! owner's space, "Download" still gives the original, and emptying the Trash erases the
//! copy with the rest.

mod support;

use std::path::Path;
use std::sync::Arc;

use picup_api::ObjectName;
use picup_server::metrics::Metrics;
use picup_server::worker::{Worker, WorkerSettings};
use picup_testkit::fixtures::{Video, ffmpeg, turned_video};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

const GB: i64 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn videos_get_copies_browsers_play_on_sqlite_and_the_embedded_s3_endpoint() {
    web_copies(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn videos_get_copies_browsers_play_on_postgres_and_seaweedfs() {
    let (postgres, seaweed) = (Postgres::start(), Seaweed::start());
    web_copies(InProcess::on_postgres_and_seaweed(&postgres, &seaweed).await).await;
}

/// The phone-like videos the test sends, made by ffmpeg.
struct Clips {
    /// HEVC with AAC sound in MP4, 2560 × 1440: copied, and made 1080p.
    hevc: Vec<u8>,
    /// H.264 in a QuickTime file, stored landscape with a display matrix that turns it
    /// a quarter: copied, upright.
    turned_mov: Vec<u8>,
    /// H.264 with AAC in MP4: every browser plays it, no copy.
    plain_mp4: Vec<u8>,
}

fn clips(dir: &Path) -> Clips {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let sound = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
    let hevc = path("hevc.mp4");
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=2560x1440:duration=1:rate=5",
    ];
    args.extend(sound);
    args.extend(["-c:v", "libx265", "-preset", "ultrafast", "-x265-params"]);
    args.extend([
        "log-level=error",
        "-tag:v",
        "hvc1",
        "-c:a",
        "aac",
        "-shortest",
    ]);
    args.push(&hevc);
    ffmpeg(&args).unwrap();
    let turned = dir.join("turned.mov");
    let landscape = dir.join("landscape.mp4");
    Video::new(320, 240).write(&landscape).unwrap();
    turned_video(&landscape, 90, &turned).unwrap();
    let plain = path("plain.mp4");
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:duration=1:rate=10",
    ];
    args.extend(sound);
    args.extend(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]);
    args.extend(["-shortest", "-movflags", "+faststart"]);
    args.push(&plain);
    ffmpeg(&args).unwrap();
    Clips {
        hevc: std::fs::read(&hevc).unwrap(),
        turned_mov: std::fs::read(&turned).unwrap(),
        plain_mp4: std::fs::read(&plain).unwrap(),
    }
}

async fn web_copies(server: InProcess) {
    let work = tempfile::tempdir().unwrap();
    let clips = clips(work.path());
    let owner = server.account("anna@example.org", GB).await;
    let album = owner.album("Summer").await;
    let hevc = owner.upload(&album, &clips.hevc).await;
    let turned = owner.upload(&album, &clips.turned_mov).await;
    let plain = owner.upload(&album, &clips.plain_mp4).await;
    let used_before = owner.me().await.used_bytes;
    let before = by_id(&owner.all_photos(&album, 50).await);
    for id in [&hevc, &turned, &plain] {
        assert!(before[id]["urls"]["web"].is_null(), "not made yet");
    }

    // Two workers at once: each video is looked at once, each copy made once.
    let metrics = (Arc::new(Metrics::new()), Arc::new(Metrics::new()));
    let (first, second) = (
        worker(&server, metrics.0.clone()),
        worker(&server, metrics.1.clone()),
    );
    let (a, b) = tokio::join!(first.run_until_idle(), second.run_until_idle());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.jobs_done + b.jobs_done, 3, "one look per video");
    assert_eq!(a.jobs_failed + b.jobs_failed, 0);
    let made = |m: &Metrics| count_in(&m.render(), "picup_web_copies_made_total");
    assert_eq!(made(&metrics.0) + made(&metrics.1), 2.0, "two copies made");

    let after = by_id(&owner.all_photos(&album, 50).await);
    assert!(
        after[&plain]["urls"]["web"].is_null(),
        "an H.264 MP4 plays everywhere as it is: {}",
        after[&plain]
    );
    let mut copies_bytes = 0;
    let big = fetch_copy(&owner, &after[&hevc], work.path(), "big").await;
    copies_bytes += big.bytes;
    assert_eq!((big.width, big.height), (1920, 1080), "at most 1080p");
    assert_eq!(big.audio.as_deref(), Some("aac"));
    let upright = fetch_copy(&owner, &after[&turned], work.path(), "upright").await;
    copies_bytes += upright.bytes;
    assert_eq!(
        (upright.width, upright.height),
        (240, 320),
        "the turn applied to the pictures themselves"
    );
    assert_eq!(
        upright.rotation, None,
        "and no display matrix left to apply"
    );
    assert_eq!(upright.audio, None, "no sound made up");

    // The copies count against the owner's space; the original is still the download.
    assert_eq!(owner.me().await.used_bytes, used_before + copies_bytes);
    let download = after[&hevc]["urls"]["download"].as_str().unwrap();
    let original = owner.http.get(download).send().await.unwrap();
    assert_eq!(original.status(), StatusCode::OK);
    assert_eq!(original.bytes().await.unwrap(), clips.hevc.as_slice());
    // Streamed with ranges like every object.
    let web = after[&hevc]["urls"]["web"].as_str().unwrap();
    let part = owner
        .http
        .get(web)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap().len(), 100);

    // A run again changes nothing; the store and the database agree.
    let again = worker(&server, Arc::new(Metrics::new()))
        .run_until_idle()
        .await
        .unwrap();
    assert_eq!(again.jobs_done, 0);
    let report = picup_server::fsck::check(&server.backends.db, &server.backends.store)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // A client cannot send a "web" copy of its own: only the server makes them.
    let forged = owner
        .post(
            "/v1/uploads",
            json!({
                "album_id": album, "sha256": sha256_hex(b"x"), "size": 1,
                "content_type": "video/mp4",
                "variants": [{"name": "web", "size": 10}],
            }),
        )
        .await;
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        forged.body
    );
    assert!(
        forged.body["message"]
            .as_str()
            .unwrap()
            .contains("thumbnail and preview")
    );

    // Emptying the Trash erases the copies with the originals, and gives the space back.
    let removed = owner.delete(&format!("/v1/albums/{album}")).await;
    assert!(removed.status.is_success(), "{:?}", removed.body);
    let emptied = owner.delete("/v1/trash").await;
    assert!(emptied.status.is_success(), "{:?}", emptied.body);
    worker(&server, Arc::new(Metrics::new()))
        .run_until_idle()
        .await
        .unwrap();
    let objects = server.backends.store.list_all().await.unwrap();
    assert!(
        !objects.iter().any(|o| o
            .key
            .ends_with(&format!("/{}", ObjectName::WebCopy.as_str()))),
        "no web copy left: {:?}",
        objects.iter().map(|o| &o.key).collect::<Vec<_>>()
    );
    assert_eq!(owner.me().await.used_bytes, 0);
}

/// What ffprobe says about a fetched web copy.
struct Copy {
    bytes: i64,
    width: i64,
    height: i64,
    audio: Option<String>,
    rotation: Option<f64>,
}

/// Fetches `item`'s web copy through its signed URL and checks what every copy must be:
/// H.264 in 8-bit 4:2:0, in MP4 (not QuickTime), its index before its data.
async fn fetch_copy(owner: &Client, item: &Value, dir: &Path, name: &str) -> Copy {
    let url = item["urls"]["web"]
        .as_str()
        .unwrap_or_else(|| panic!("a web copy: {item}"));
    let answer = owner.http.get(url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "video/mp4");
    let bytes = answer.bytes().await.unwrap().to_vec();
    let moov = find(&bytes, b"moov").expect("an index");
    let mdat = find(&bytes, b"mdat").expect("the data");
    assert!(moov < mdat, "the index first, so playback starts at once");
    let path = dir.join(format!("{name}.mp4"));
    std::fs::write(&path, &bytes).unwrap();
    let probe = ffprobe(&path);
    let streams = probe["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
    assert_eq!(video["codec_name"], "h264", "{video}");
    assert_eq!(video["pix_fmt"], "yuv420p", "{video}");
    assert_eq!(
        probe["format"]["tags"]["major_brand"]
            .as_str()
            .map(str::trim),
        Some("isom"),
        "an MP4, not a QuickTime file"
    );
    let rotation = video["side_data_list"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|side| side["rotation"].as_f64())
        .filter(|r| *r != 0.0);
    Copy {
        bytes: bytes.len() as i64,
        width: video["width"].as_i64().unwrap(),
        height: video["height"].as_i64().unwrap(),
        audio: streams
            .iter()
            .find(|s| s["codec_type"] == "audio")
            .map(|s| s["codec_name"].as_str().unwrap().to_owned()),
        rotation,
    }
}

fn ffprobe(path: &Path) -> Value {
    let output = picup_testkit::program("ffprobe")
        .args(["-v", "error", "-print_format", "json"])
        .args(["-show_format", "-show_streams"])
        .arg(path)
        .output()
        .unwrap();
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).unwrap()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn by_id(items: &[Value]) -> std::collections::HashMap<String, Value> {
    items
        .iter()
        .map(|item| (item["id"].as_str().unwrap().to_owned(), item.clone()))
        .collect()
}

/// A counter's value in the Prometheus text.
fn count_in(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

fn worker(server: &InProcess, metrics: Arc<Metrics>) -> Worker {
    Worker::new(
        server.backends.db.clone(),
        server.backends.store.clone(),
        WorkerSettings::from_config(&server.config),
        metrics,
    )
    .with_clock(server.backends.clock.clone())
}
