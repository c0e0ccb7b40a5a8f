//! The upload engine running for real — a library of imported photos, the coordinator and
//! sender threads, HTTP to a listener on this computer — on a manual clock, so the
//! circuit breaker's pauses are walked through without waiting them out. It proves what
//! the family's server sees when it is unwell: after three refused uploads in a row
//! nothing more arrives for as long as the pause lasts (photos imported meanwhile wait
//! too), the end of the pause lets exactly one probe through, a refused probe makes the
//! next pause longer, and an accepted one sends everything that waited, each photo once.
//!
//! Nothing sleeps. Every wait is for a condition with a deadline: a status the engine
//! publishes (it computes one after each look at the queue), or the countdown the page
//! shows. "Nothing was sent" is checked once the engine has published two statuses at the
//! manual time in question (the countdown, then photos imported meanwhile), so it has
//! looked at the queue then and let nothing go, and anything it had handed its senders at
//! the first look has had the time of an import to reach the server.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use picup_api as api;
use picup_core::cloud::engine::{self, SyncHandle};
use picup_core::cloud::{Clock, CloudClient, SyncOptions, SyncState, SyncStatus};
use picup_core::fixtures::{self, ExifFields};
use picup_core::{ImportOptions, Library};

/// The longest any condition is waited for.
const DEADLINE: Duration = Duration::from_secs(20);

/// The first pause of the breaker; with the engine's jitter it lasts 45 to 75 s.
const BREAKER_BASE: Duration = Duration::from_secs(60);
const LONGEST_FIRST_PAUSE: u64 = 75;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// One request the listener answered: `"POST /v1/uploads"`, the SHA-256 an upload named,
/// and the status it got.
#[derive(Clone)]
struct Seen {
    request: String,
    sha256: Option<String>,
    status: u16,
}

/// `POST /v1/uploads 71709cea… → 503`, so a failure lists what the server saw readably.
impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let photo = self.sha256.as_deref().map(|sha| &sha[..8]);
        match photo {
            Some(photo) => write!(f, "{} {photo}… → {}", self.request, self.status),
            None => write!(f, "{} → {}", self.request, self.status),
        }
    }
}

/// The requests in order, a run of the same one written once with its count:
/// `["GET /v1/me → 200", "3 × POST /v1/uploads 71709cea… → 503"]`.
fn log(seen: &[Seen]) -> Vec<String> {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for request in seen.iter().map(|s| format!("{s:?}")) {
        match runs.last_mut() {
            Some((last, n)) if *last == request => *n += 1,
            _ => runs.push((request, 1)),
        }
    }
    let runs = runs.into_iter();
    runs.map(|(r, n)| if n == 1 { r } else { format!("{n} × {r}") })
        .collect()
}

/// What the listener knows and does, shared with its threads.
#[derive(Default)]
struct ServerState {
    /// `POST /v1/uploads` answers "already stored" (200) rather than 503.
    accept_uploads: AtomicBool,
    stop: AtomicBool,
    seen: Mutex<Vec<Seen>>,
}

/// The sync server's endpoints the engine calls, answered from threads on a port of this
/// computer: `GET /v1/me` and `POST /v1/albums` work; `POST /v1/uploads` is refused with
/// 503 until [`FakeServer::accept_uploads`]. Every request is written down.
struct FakeServer {
    base: String,
    state: Arc<ServerState>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(ServerState::default());
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        FakeServer {
            base,
            state,
            thread: Some(thread),
        }
    }

    fn accept_uploads(&self) {
        self.state.accept_uploads.store(true, Ordering::SeqCst);
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn uploads(&self) -> Vec<Seen> {
        let uploads = self.seen().into_iter();
        uploads
            .filter(|s| s.request == "POST /v1/uploads")
            .collect()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // One more connection wakes the accepting thread so it sees the stop.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one HTTP/1.1 request, answers it and closes the connection.
fn serve(stream: TcpStream, state: &ServerState) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    stream.set_read_timeout(Some(secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let request = format!(
        "{} {}",
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default()
    );
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;

    let mut sha256 = None;
    let (status, answer) = match request.as_str() {
        "GET /v1/me" => (
            200,
            serde_json::to_string(&api::Account {
                email: "family@example.org".into(),
                quota_bytes: 1 << 40,
                used_bytes: 0,
                reserved_bytes: 0,
                trash_bytes: 0,
                family_digest: false,
                mail_available: false,
                display_name: None,
            }),
        ),
        "POST /v1/albums" => {
            let album: api::NewAlbum = serde_json::from_slice(&body).unwrap();
            (
                201,
                serde_json::to_string(&api::Album {
                    id: "album-1".into(),
                    title: album.title,
                    created_at: "2024-06-01T10:00:00Z".into(),
                    photo_count: 0,
                    video_count: 0,
                    folder_name: album.folder_name,
                    cover: None,
                }),
            )
        }
        "POST /v1/uploads" => {
            let upload: api::NewUpload = serde_json::from_slice(&body).unwrap();
            sha256 = Some(upload.sha256.clone());
            if state.accept_uploads.load(Ordering::SeqCst) {
                let stored = api::AlreadyStored {
                    photo_id: format!("photo-{}", &upload.sha256[..12]),
                    deduplicated: false,
                };
                (200, serde_json::to_string(&stored))
            } else {
                let unwell = api::ErrorBody {
                    error: api::ErrorCode::StorageUnavailable,
                    message: "The storage is not answering.".into(),
                };
                (503, serde_json::to_string(&unwell))
            }
        }
        _ => {
            let missing = api::ErrorBody {
                error: api::ErrorCode::NotFound,
                message: format!("No {request} here."),
            };
            (404, serde_json::to_string(&missing))
        }
    };
    let answer = answer.unwrap();
    state.seen.lock().unwrap().push(Seen {
        request,
        sha256,
        status,
    });
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )?;
    stream.flush()
}

/// Writes photos `IMG_<n>.jpg` for each `n` in `numbers` into `folder` and imports the
/// folder, as a parent adding pictures would (one album, named after the folder).
fn add_photos(library: &Library, folder: &Path, numbers: std::ops::Range<u64>) {
    std::fs::create_dir_all(folder).unwrap();
    for n in numbers {
        let picture = fixtures::camera_like_picture(320, 240, n);
        let bytes = fixtures::jpeg(&picture, 85, &ExifFields::default());
        std::fs::write(folder.join(format!("IMG_{n:04}.jpg")), bytes).unwrap();
    }
    picup_core::import::import(
        library,
        &[folder.to_path_buf()],
        &ImportOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .unwrap();
}

/// The running engine and a bell that rings whenever it publishes a status.
struct Engine {
    handle: SyncHandle,
    published: Receiver<()>,
}

impl Engine {
    fn start(library: &Library, server: &FakeServer, clock: &Clock) -> Engine {
        let client = CloudClient::new(&server.base, Some("test-session-token".into())).unwrap();
        let options = SyncOptions {
            concurrency: 4,
            // Retries of an item's own failures are due at once, so the three failures
            // that open the breaker come from one photo, one after another.
            retry_base: Duration::ZERO,
            breaker_base: BREAKER_BASE,
            breaker_max: secs(600),
            clock: clock.clone(),
            ..SyncOptions::default()
        };
        let (bell, published) = mpsc::channel();
        let handle = engine::start(
            library.clone(),
            client,
            options,
            Box::new(move |_| {
                let _ = bell.send(());
            }),
        )
        .unwrap();
        Engine { handle, published }
    }

    /// Waits until the engine's status is `what`. The engine publishes at most four times
    /// a second and only after looking at the queue, so while waiting it is woken now and
    /// then, as an import or "Try again" does. Panics with the last status at the deadline.
    fn wait_for(&self, what: &str, wanted: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let status = self.handle.status();
            if wanted(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "waited {DEADLINE:?} for the engine to be {what}; its status: {status:?}"
            );
            match self.published.recv_timeout(Duration::from_millis(50)) {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => self.handle.wake(),
                Err(RecvTimeoutError::Disconnected) => panic!("the engine stopped"),
            }
        }
    }
}

/// The seconds the page says are left before the engine tries again, while offline.
fn countdown(status: &SyncStatus) -> Option<u64> {
    if status.state != SyncState::Offline {
        return None;
    }
    let rest = status.message.split("trying again in ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

#[test]
fn an_unwell_server_gets_one_probe_per_pause_and_then_everything_that_waited() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Pictures").join("Summer");
    let library = Library::open(dir.path().join("library")).unwrap();
    add_photos(&library, &folder, 0..1);
    let server = FakeServer::start();
    let clock = Clock::manual();
    let engine = Engine::start(&library, &server, &clock);

    // Three refused uploads in a row open the breaker: the page says offline.
    let opened = engine.wait_for("offline", |s| s.state == SyncState::Offline);
    let first_photo = server.uploads()[0].sha256.clone().unwrap();
    assert_eq!(
        log(&server.seen()),
        [
            "GET /v1/me → 200".to_owned(),
            "POST /v1/albums → 201".to_owned(),
            format!("3 × POST /v1/uploads {}… → 503", &first_photo[..8]),
        ],
        "three refused uploads of the one photo, then nothing"
    );
    let pause = countdown(&opened).unwrap();
    assert!((45..=LONGEST_FIRST_PAUSE).contains(&pause), "{opened:?}");

    // For as long as the pause lasts nothing is sent: move to its last second, and import
    // four more photos meanwhile; the engine shows them waiting, at that same time. (Each
    // wait also ends as soon as the server sees a request too many, so a broken breaker
    // fails here with what was sent rather than at the deadline.)
    let sent_too_much = |most: usize| server.seen().len() > most;
    clock.advance(secs(pause - 1));
    engine.wait_for("offline with 1 s left", |s| {
        countdown(s) == Some(1) || sent_too_much(5)
    });
    add_photos(&library, &folder, 1..5);
    engine.handle.wake();
    engine.wait_for("offline with 5 photos waiting and 1 s left", |s| {
        (countdown(s) == Some(1) && s.counts.waiting == 5) || sent_too_much(5)
    });
    assert_eq!(
        server.seen().len(),
        5,
        "nothing may be sent during the pause; the server saw {:?}",
        log(&server.seen())
    );

    // The end of the pause lets one probe through. The server refuses it, so the breaker
    // opens again, for longer than any first pause.
    clock.advance(secs(2));
    let reopened = engine.wait_for("offline again after the probe", |s| {
        countdown(s).is_some_and(|left| left > 1)
    });
    let longer = countdown(&reopened).unwrap();
    assert!(longer > LONGEST_FIRST_PAUSE, "{reopened:?}");
    clock.advance(secs(longer - 1));
    engine.wait_for("offline with 1 s left of the longer pause", |s| {
        countdown(s) == Some(1) || sent_too_much(6)
    });
    let uploads = server.uploads();
    assert_eq!(
        uploads.len(),
        4,
        "the end of the pause must let exactly one probe through, not the 5 waiting \
         photos; the server saw {:?}",
        log(&uploads)
    );

    // The server is well again: the next probe is accepted, the breaker closes, and every
    // photo that waited is sent, each once.
    server.accept_uploads();
    clock.advance(secs(2));
    let done = engine.wait_for("idle with all 5 photos in the cloud", |s| {
        s.state == SyncState::Idle && s.counts.done == 5
    });
    assert_eq!(done.message, "Everything is in the family cloud.");
    assert_eq!((done.counts.waiting, done.counts.failed), (0, 0));
    let uploads = server.uploads();
    let accepted: Vec<&Seen> = uploads.iter().filter(|s| s.status == 200).collect();
    let photos: std::collections::BTreeSet<_> = accepted.iter().map(|s| s.sha256.clone()).collect();
    assert_eq!(
        (uploads.len(), accepted.len(), photos.len()),
        (9, 5, 5),
        "four refused, then each photo once; the server saw {:?}",
        log(&uploads)
    );
    let albums = server.seen().into_iter();
    let albums = albums.filter(|s| s.request == "POST /v1/albums").count();
    assert_eq!(albums, 1, "the album is made once");
    engine.handle.stop();
}
