//! Videos reach the page over plain HTTP on 127.0.0.1, because WebKitGTK's media player
//! cannot read from an app's custom URI scheme (the `picup:` protocol serves every
//! picture; a `<video>` pointed at it fails with "source not supported").
//!
//! The server answers only `GET /{secret}/{photo id}` for videos the index knows, with
//! Range support so the player can seek, and `GET /{secret}/cloud/{cloud id}` for videos
//! in the family cloud the window has listed, streamed through their signed address
//! with the player's range passed on. The secret is 128 random bits made at start-up,
//! so other programs on the computer cannot guess their way to the library's videos.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

use picup_core::{Library, MediaKind};

use crate::media_protocol::{parse_range, video_type};
use crate::state::CloudState;

/// The running server: the base URL the page puts before a video's id.
pub struct VideoServer {
    pub base_url: String,
}

impl VideoServer {
    /// Binds a free port on the loopback interface and serves on a background thread.
    pub fn start(library: Library, cloud: Arc<CloudState>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let secret = random_secret()?;
        let base_url = format!("http://127.0.0.1:{port}/{secret}");
        std::thread::Builder::new()
            .name("picup-videos".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let (library, secret) = (library.clone(), secret.clone());
                    let cloud = Arc::clone(&cloud);
                    // One thread per connection: a player opens one or two at a time.
                    std::thread::spawn(move || {
                        let _ = serve(stream, &library, &cloud, &secret);
                    });
                }
            })?;
        Ok(VideoServer { base_url })
    }
}

fn random_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn serve(
    stream: TcpStream,
    library: &Library,
    cloud: &CloudState,
    secret: &str,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut stream = stream;
    let behind_secret = target
        .strip_prefix('/')
        .and_then(|t| t.strip_prefix(secret))
        .and_then(|t| t.strip_prefix('/'));
    if let Some(cloud_id) = behind_secret.and_then(|rest| rest.strip_prefix("cloud/"))
        && method == "GET"
    {
        return send_cloud_video(&mut stream, cloud, cloud_id, range.as_deref());
    }
    let path = behind_secret
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| library.index().ok()?.photo(id).ok()?)
        .filter(|photo| photo.kind == MediaKind::Video)
        .map(|photo| photo.path);
    match (method, path) {
        ("GET" | "HEAD", Some(path)) => send_file(
            &mut stream,
            Path::new(&path),
            range.as_deref(),
            method == "HEAD",
        ),
        _ => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}

/// A cloud video through its signed address: the status, length and range the cloud
/// answered, the body as it arrives.
fn send_cloud_video(
    stream: &mut TcpStream,
    cloud: &CloudState,
    cloud_id: &str,
    range: Option<&str>,
) -> std::io::Result<()> {
    const NOT_FOUND: &[u8] =
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let Ok(client) = cloud.client() else {
        return stream.write_all(NOT_FOUND);
    };
    let Some(mut answer) = cloud.images.open_video(&client, cloud_id, range) else {
        return stream.write_all(NOT_FOUND);
    };
    let mut head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nAccept-Ranges: bytes\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n",
        if answer.partial {
            "206 Partial Content"
        } else {
            "200 OK"
        },
        answer.content_type
    );
    if let Some(length) = &answer.content_length {
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    if let Some(range) = &answer.content_range {
        head.push_str(&format!("Content-Range: {range}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // The player may close the connection once it has what it needs: not an error.
    let _ = std::io::copy(&mut answer.body, stream);
    Ok(())
}

fn send_file(
    stream: &mut TcpStream,
    path: &Path,
    range: Option<&str>,
    head_only: bool,
) -> std::io::Result<()> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let len = file.metadata()?.len();
    let (status, start, end) = match range {
        Some(range) => match parse_range(range, len) {
            Some((start, end)) => ("206 Partial Content", start, end),
            None => {
                let answer = format!(
                    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
                return stream.write_all(answer.as_bytes());
            }
        },
        None => ("200 OK", 0, len.saturating_sub(1)),
    };
    let length = if len == 0 { 0 } else { end - start + 1 };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {length}\r\n\
         Accept-Ranges: bytes\r\nCache-Control: no-store\r\nConnection: close\r\n",
        video_type(path)
    );
    if status.starts_with("206") {
        head.push_str(&format!("Content-Range: bytes {start}-{end}/{len}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if head_only || length == 0 {
        return Ok(());
    }
    file.seek(SeekFrom::Start(start))?;
    // The player may close the connection once it has what it needs: not an error.
    let _ = std::io::copy(&mut file.take(length), stream);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str, path: &str) -> String {
        let address = url.trim_start_matches("http://").split('/').next().unwrap();
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nRange: bytes=0-3\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn only_known_videos_behind_the_secret_are_served_with_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path().join("library")).unwrap();
        let clip = dir.path().join("Clips/clip.mp4");
        picup_testkit::fixtures::Video::new(64, 48)
            .write(&clip)
            .expect("ffmpeg makes a test clip (cargo xtask deps installs it)");
        picup_core::import::import(
            &library,
            &[clip.parent().unwrap().to_path_buf()],
            &Default::default(),
            &std::sync::atomic::AtomicBool::new(false),
            |_| {},
        )
        .unwrap();
        let id = library.index().unwrap().photos(None).unwrap()[0].id;
        let server = VideoServer::start(library, Arc::default()).unwrap();
        let base_path = server.base_url.splitn(4, '/').nth(3).unwrap().to_string();

        let answer = get(&server.base_url, &format!("/{base_path}/{id}"));
        assert!(answer.starts_with("HTTP/1.1 206"), "{answer}");
        let len = std::fs::metadata(&clip).unwrap().len();
        assert!(
            answer.contains(&format!("Content-Range: bytes 0-3/{len}")),
            "{answer}"
        );
        assert!(
            answer.ends_with(
                &String::from_utf8_lossy(&std::fs::read(&clip).unwrap()[..4]).to_string()
            )
        );

        for wrong in [
            format!("/0123456789abcdef0123456789abcdef/{id}"),
            format!("/{base_path}/999"),
            // Signed out, and never listed: no cloud video either.
            format!("/{base_path}/cloud/{id}"),
            format!("/{base_path}/cloud/../{id}"),
            "/".into(),
        ] {
            let answer = get(&server.base_url, &wrong);
            assert!(answer.starts_with("HTTP/1.1 404"), "{wrong}: {answer}");
        }
    }
}
