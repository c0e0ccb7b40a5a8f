//! One original, fetched so that nothing half-done is ever seen under its real name.
//!
//! The bytes go to a hidden partial file beside the final one (`.NAME.picup-part`, which
//! the scanner passes over), so a second run resumes with a `Range` request where the
//! first stopped. Both hashes are taken as the bytes arrive (the prefix already on disk
//! is read again on resume): SHA-256 is checked against what the server says the file
//! is, BLAKE3 is the library's name for the content. Only a file that matches is
//! fsynced, given its modification time, and linked under its final name (a hard link
//! never replaces anything); the folder is fsynced after.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use sha2::Digest;

use crate::cloud::CloudError;
use crate::index::Download;

/// Why a file is not in place yet.
#[derive(Debug)]
pub(super) enum FetchError {
    /// The signed address ran out: ask the server for fresh ones.
    AddressExpired,
    /// The bytes did not hash to what the server said; the partial file is gone.
    Mismatch,
    /// This computer's disk is full. The partial file is kept for the next try.
    DiskFull,
    /// The network or the server; the partial file is kept.
    Cloud(CloudError),
    /// Something on this computer that waiting will not fix, in plain words.
    Here(String),
}

/// The hidden name the bytes arrive under.
pub fn partial_path_for(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}.picup-part"))
}

fn is_disk_full(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull
        || matches!(
            error.raw_os_error(),
            Some(libc::ENOSPC) | Some(libc::EDQUOT)
        )
}

fn here(what: &str, path: &Path, error: std::io::Error) -> FetchError {
    if is_disk_full(&error) {
        return FetchError::DiskFull;
    }
    crate::diagnostics::problem(&format!("{what} {}: {error}", path.display()));
    FetchError::Here(format!(
        "Pic-up could not save \u{201c}{}\u{201d} on this computer. If its folder is on a disk \
         that is not plugged in, plug it in; Pic-up will try again.",
        super::super::client::shown_name(path)
            .trim_start_matches('.')
            .trim_end_matches(".picup-part")
    ))
}

/// Both hashes of the bytes so far.
struct Hashes {
    sha256: sha2::Sha256,
    blake3: blake3::Hasher,
}

impl Hashes {
    fn new() -> Self {
        Hashes {
            sha256: sha2::Sha256::new(),
            blake3: blake3::Hasher::new(),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        self.blake3.update(bytes);
    }
}

/// Fetches `item` from `url` and puts it in place. `on_bytes` hears each chunk written
/// (it may sleep, to keep to a speed limit), with `true` for the bytes already on disk
/// from an earlier try, reported once at the start. Returns the content's BLAKE3.
pub(super) fn fetch(
    client: &crate::cloud::CloudClient,
    url: &str,
    item: &Download,
    on_bytes: &mut dyn FnMut(u64, bool),
) -> Result<String, FetchError> {
    let final_path = Path::new(&item.path);
    let Some(expected) = item.sha256.as_deref() else {
        return Err(FetchError::Here(
            "The family cloud did not say what this file should contain, so it could not \
             be checked. It was not kept."
                .into(),
        ));
    };
    let partial = partial_path_for(final_path);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&partial)
        .map_err(|e| here("Could not write", &partial, e))?;
    let size = item.size.max(0) as u64;
    let mut have = file
        .metadata()
        .map_err(|e| here("Could not read", &partial, e))?
        .len();
    if have > size {
        file.set_len(0)
            .map_err(|e| here("Could not write", &partial, e))?;
        have = 0;
    }
    let mut hashes = Hashes::new();
    if have > 0 {
        let mut buffer = vec![0u8; 1 << 20];
        let mut prefix = (&mut file).take(have);
        loop {
            let n = prefix
                .read(&mut buffer)
                .map_err(|e| here("Could not read", &partial, e))?;
            if n == 0 {
                break;
            }
            hashes.update(&buffer[..n]);
        }
        on_bytes(have, true);
    }
    if have < size {
        have = receive(
            client,
            url,
            size,
            have,
            &mut file,
            &partial,
            &mut hashes,
            on_bytes,
        )?;
    }
    let sha256 = hex(&hashes.sha256.finalize());
    if have != size || !sha256.eq_ignore_ascii_case(expected) {
        drop(file);
        let _ = std::fs::remove_file(&partial);
        return Err(FetchError::Mismatch);
    }
    // The time first, so the one fsync makes both the bytes and the time durable.
    if let Some(ms) = item.modified_at_ms {
        let when = SystemTime::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
        file.set_modified(when)
            .map_err(|e| here("Could not set the time of", &partial, e))?;
    }
    file.sync_all()
        .map_err(|e| here("Could not write", &partial, e))?;
    drop(file);
    put_in_place(&partial, final_path, expected)?;
    Ok(hashes.blake3.finalize().to_hex().to_string())
}

/// Streams the rest of the object after `have` bytes into `file`; returns the new
/// length. A server that ignores the range sends the whole object: the file starts over.
#[allow(clippy::too_many_arguments)]
fn receive(
    client: &crate::cloud::CloudClient,
    url: &str,
    size: u64,
    mut have: u64,
    file: &mut File,
    partial: &Path,
    hashes: &mut Hashes,
    on_bytes: &mut dyn FnMut(u64, bool),
) -> Result<u64, FetchError> {
    let mut response = client
        .fetch_signed(url, have, size)
        .map_err(FetchError::Cloud)?;
    match response.status() {
        StatusCode::PARTIAL_CONTENT => {
            let starts_here = response
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|range| range.starts_with(&format!("bytes {have}-")));
            if !starts_here {
                return Err(FetchError::Cloud(CloudError::Unreachable(format!(
                    "storage answered another part than bytes {have}-"
                ))));
            }
        }
        StatusCode::OK => {
            if have > 0 {
                file.set_len(0)
                    .map_err(|e| here("Could not write", partial, e))?;
                *hashes = Hashes::new();
                have = 0;
            }
        }
        StatusCode::FORBIDDEN => return Err(FetchError::AddressExpired),
        StatusCode::NOT_FOUND => {
            return Err(FetchError::Cloud(CloudError::NotFound(
                "This photo is no longer in the family cloud.".into(),
            )));
        }
        status if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
            return Err(FetchError::Cloud(CloudError::Unreachable(format!(
                "storage answered {status}"
            ))));
        }
        status => {
            return Err(FetchError::Cloud(CloudError::Trouble(format!(
                "storage refused the download: {status}"
            ))));
        }
    }
    file.seek(SeekFrom::Start(have))
        .map_err(|e| here("Could not write", partial, e))?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = match response.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => {
                return Err(FetchError::Cloud(CloudError::Unreachable(
                    "storage stopped sending the file".into(),
                )));
            }
        };
        // More than the listing said: the file is not the one we were told of.
        let n = n.min((size - have) as usize + 1);
        file.write_all(&buffer[..n])
            .map_err(|e| here("Could not write", partial, e))?;
        hashes.update(&buffer[..n]);
        have += n as u64;
        on_bytes(n as u64, false);
        if have > size {
            break;
        }
    }
    Ok(have)
}

/// Links the checked partial file under its final name and removes the partial one.
/// A file already there is kept: it counts as this one only if it has the same content
/// (a run stopped between the link and the clean-up).
fn put_in_place(partial: &Path, final_path: &Path, sha256: &str) -> Result<(), FetchError> {
    match std::fs::hard_link(partial, final_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if sha256_of(final_path).is_none_or(|found| !found.eq_ignore_ascii_case(sha256)) {
                return Err(FetchError::Here(format!(
                    "A different file named \u{201c}{}\u{201d} is already in the folder; it was \
                     left alone.",
                    super::super::client::shown_name(final_path)
                )));
            }
        }
        // Some disks (FAT on a USB stick) have no hard links: rename, after looking.
        Err(_) if !final_path.exists() => {
            std::fs::rename(partial, final_path)
                .map_err(|e| here("Could not name", final_path, e))?;
        }
        Err(e) => return Err(here("Could not name", final_path, e)),
    }
    if partial.exists() {
        std::fs::remove_file(partial).map_err(|e| here("Could not tidy", partial, e))?;
    }
    if let Some(dir) = final_path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| here("Could not write", dir, e))?;
    }
    Ok(())
}

fn sha256_of(path: &Path) -> Option<String> {
    let mut file = File::open(path).ok()?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    //! Against a small HTTP server on loopback that serves one body, honouring `Range`
    //! or not, so the checks can be shown to fail closed: wrong bytes, no checksum, a
    //! file already at the final name.
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::cloud::CloudClient;

    /// Serves `body` to every request; records each request's `Range` header.
    fn serve(body: Vec<u8>, honour_range: bool) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/cdn/object", listener.local_addr().unwrap());
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&ranges);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut range = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                        range = Some(value.trim().trim_end_matches('-').to_owned());
                    }
                }
                seen.lock().unwrap().push(range.clone());
                let from = range
                    .filter(|_| honour_range)
                    .and_then(|r| r.parse::<usize>().ok());
                let head = match from {
                    Some(from) => format!(
                        "HTTP/1.1 206 Partial Content\r\ncontent-length: {}\r\n\
                         content-range: bytes {from}-{}/{}\r\nconnection: close\r\n\r\n",
                        body.len() - from,
                        body.len() - 1,
                        body.len()
                    ),
                    None => format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    ),
                };
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body[from.unwrap_or(0)..]);
            }
        });
        (url, ranges)
    }

    fn item(dir: &Path, body: &[u8], sha256: Option<String>) -> Download {
        Download {
            remote_album_id: "album".into(),
            remote_photo_id: "photo".into(),
            album_id: 1,
            path: dir.join("IMG_1.jpg").to_string_lossy().into_owned(),
            size: body.len() as i64,
            sha256,
            modified_at_ms: Some(1_700_000_000_123),
        }
    }

    fn sha(bytes: &[u8]) -> String {
        hex(&sha2::Sha256::digest(bytes))
    }

    fn client() -> CloudClient {
        CloudClient::new("http://127.0.0.1:9", None).unwrap()
    }

    #[test]
    fn a_partial_file_is_resumed_with_a_range_and_named_only_when_whole() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
        let (url, ranges) = serve(body.clone(), true);
        let item = item(dir.path(), &body, Some(sha(&body)));
        let final_path = Path::new(&item.path);
        std::fs::write(partial_path_for(final_path), &body[..100_000]).unwrap();
        let mut reported = Vec::new();
        let blake3 = fetch(&client(), &url, &item, &mut |n, before| {
            reported.push((n, before))
        })
        .unwrap();
        assert_eq!(std::fs::read(final_path).unwrap(), body);
        assert_eq!(blake3, blake3::hash(&body).to_hex().to_string());
        assert_eq!(*ranges.lock().unwrap(), [Some("100000".to_owned())]);
        assert_eq!(
            reported[0],
            (100_000, true),
            "what was on disk is told first"
        );
        let total: u64 = reported.iter().map(|(n, _)| n).sum();
        assert_eq!(total, body.len() as u64);
        assert!(!partial_path_for(final_path).exists());
        let modified = std::fs::metadata(final_path).unwrap().modified().unwrap();
        assert_eq!(
            modified
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
            1_700_000_000_123
        );
    }

    #[test]
    fn a_server_that_ignores_the_range_starts_the_file_over() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![42u8; 50_000];
        let (url, _) = serve(body.clone(), false);
        let item = item(dir.path(), &body, Some(sha(&body)));
        std::fs::write(partial_path_for(Path::new(&item.path)), [42u8; 20_000]).unwrap();
        fetch(&client(), &url, &item, &mut |_, _| {}).unwrap();
        assert_eq!(std::fs::read(&item.path).unwrap(), body);
    }

    #[test]
    fn bytes_that_do_not_match_are_never_kept() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![1u8; 10_000];
        let (url, _) = serve(body.clone(), true);
        let item = item(dir.path(), &body, Some(sha(b"something else")));
        let result = fetch(&client(), &url, &item, &mut |_, _| {});
        assert!(matches!(result, Err(FetchError::Mismatch)), "{result:?}");
        assert!(!Path::new(&item.path).exists());
        assert!(!partial_path_for(Path::new(&item.path)).exists());
    }

    #[test]
    fn without_a_checksum_nothing_is_fetched_or_kept() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![1u8; 10_000];
        let (url, ranges) = serve(body.clone(), true);
        let item = item(dir.path(), &body, None);
        let result = fetch(&client(), &url, &item, &mut |_, _| {});
        assert!(matches!(result, Err(FetchError::Here(_))), "{result:?}");
        assert!(ranges.lock().unwrap().is_empty(), "nothing was asked for");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_different_file_at_the_final_name_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![5u8; 10_000];
        let (url, _) = serve(body.clone(), true);
        let item = item(dir.path(), &body, Some(sha(&body)));
        std::fs::write(&item.path, b"the parent's own file").unwrap();
        let result = fetch(&client(), &url, &item, &mut |_, _| {});
        assert!(matches!(result, Err(FetchError::Here(_))), "{result:?}");
        assert_eq!(std::fs::read(&item.path).unwrap(), b"the parent's own file");
        // The same content already there (a run stopped after linking) counts as done.
        std::fs::write(&item.path, &body).unwrap();
        fetch(&client(), &url, &item, &mut |_, _| {}).unwrap();
        assert!(!partial_path_for(Path::new(&item.path)).exists());
    }
}
