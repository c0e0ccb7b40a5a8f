//! The transfer protocol for one item, run on the sender threads: reserve (or resume an
//! open upload), PUT the original, thumbnail and preview (or the original's parts) to
//! the presigned targets, then complete. Senders only talk to the network and report
//! each step to the coordinator, which records it in the queue.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use picup_api as api;
use picup_api::{MediaType, ObjectName, UNKNOWN_PHOTO_MIME, UNKNOWN_VIDEO_MIME};
use sha2::{Digest, Sha256};

use super::{Message, Outcome};
use crate::cloud::client::{CloudClient, CloudError, Reserved};
use crate::index::DueItem;
use crate::library::{Derived, Library};

/// A sender thread: takes items until the channel closes.
pub(super) fn sender(
    jobs: Arc<Mutex<Receiver<DueItem>>>,
    client: CloudClient,
    library: Arc<Library>,
    report: Sender<Message>,
) {
    loop {
        let item = {
            let Ok(jobs) = jobs.lock() else { return };
            match jobs.recv() {
                Ok(item) => item,
                Err(_) => return,
            }
        };
        let key = (item.album_id, item.photo_id);
        let outcome = send_item(&client, &library, item, &report);
        let _ = report.send(Message::Finished(key, outcome));
    }
}

/// The MIME type the desktop declares for an original, from its name; the server
/// records the type the bytes show.
pub fn content_type(path: &Path, is_video: bool) -> &'static str {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match MediaType::from_extension(extension) {
        Some(kind) => kind.mime(),
        None if is_video => UNKNOWN_VIDEO_MIME,
        None => UNKNOWN_PHOTO_MIME,
    }
}

/// SHA-256 of a file, read in large blocks.
fn sha256_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((hex(&hasher.finalize()), total))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends one item: reserve (or resume), PUT everything in parallel, complete.
fn send_item(
    client: &CloudClient,
    library: &Library,
    item: DueItem,
    report: &Sender<Message>,
) -> Outcome {
    let key = (item.album_id, item.photo_id);
    let path = PathBuf::from(&item.path);
    let unreadable = |e: std::io::Error| {
        Outcome::Unreadable(crate::cloud::client::unreadable_here(&path, &e).plain_message())
    };
    let size = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(e) => return unreadable(e),
    };
    if size as i64 != item.byte_size {
        return Outcome::Unreadable(format!(
            "\u{201c}{}\u{201d} changed since it was added; it will be copied once Pic-up has \
             looked at it again.",
            crate::cloud::client::shown_name(&path)
        ));
    }
    let sha256 = match &item.sha256 {
        Some(sha) => sha.clone(),
        None => match sha256_of(&path) {
            Ok((sha, _)) => {
                let _ = report.send(Message::Hashed(item.photo_id, sha.clone()));
                sha
            }
            Err(e) => return unreadable(e),
        },
    };
    let derived: Vec<(ObjectName, PathBuf, u64)> = [
        (
            ObjectName::Thumbnail,
            library.derived_path(&item.hash, Derived::Thumbnail),
        ),
        (
            ObjectName::Preview,
            library.derived_path(&item.hash, Derived::Preview),
        ),
    ]
    .into_iter()
    .filter_map(|(name, path)| {
        let size = std::fs::metadata(&path).ok()?.len();
        (size > 0).then_some((name, path, size))
    })
    .collect();

    let mut part_etags = item.part_etags.clone();
    let resumed = match &item.upload_id {
        Some(upload_id) => match client.upload_targets(upload_id) {
            Ok(ticket) => Some(ticket),
            Err(CloudError::UploadGone | CloudError::NotFound(_)) => {
                let _ = report.send(Message::Upload(key, None));
                part_etags.clear();
                None
            }
            Err(e) => return Outcome::Failed(e),
        },
        None => None,
    };
    let ticket = match resumed {
        Some(ticket) => ticket,
        None => {
            let request = api::NewUpload {
                album_id: item.remote_album_id.clone().unwrap_or_default(),
                sha256,
                size: size as i64,
                content_type: content_type(&path, item.is_video).into(),
                taken_at: item.taken_at.clone(),
                width: Some(item.width).filter(|w| *w > 0),
                height: Some(item.height).filter(|h| *h > 0),
                variants: derived
                    .iter()
                    .map(|(name, _, size)| api::VariantSize {
                        name: *name,
                        size: *size as i64,
                    })
                    .collect(),
                file_name: path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .map(str::to_owned),
                file_modified_at: std::fs::metadata(&path)
                    .and_then(|meta| meta.modified())
                    .ok()
                    .map(|time| chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339()),
            };
            match client.reserve(&request) {
                Ok(Reserved::AlreadyStored(stored)) => return Outcome::Stored(stored.photo_id),
                Ok(Reserved::Ticket(ticket)) => {
                    let _ = report.send(Message::Upload(key, Some(ticket.upload_id.clone())));
                    ticket
                }
                Err(e) => return Outcome::Failed(e),
            }
        }
    };

    // Everything not yet sent, in parallel (three at a time: a big video's parts and
    // the small images together keep one connection's latency from idling the line).
    let pending: Vec<&api::UploadTarget> = ticket
        .targets
        .iter()
        .filter(|t| t.part.is_none_or(|p| !part_etags.contains_key(&p.number)))
        .collect();
    let results: Mutex<Vec<SendResult>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3.min(pending.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = pending.get(i) else { break };
                    let result = send_target(client, target, &path, &derived);
                    let failed = result.is_err();
                    if let Ok(Some((number, etag))) = &result {
                        let _ = report.send(Message::Part(key, *number, etag.clone()));
                    }
                    results.lock().expect("not poisoned").push(result);
                    if failed {
                        // Leave the rest for the retry: the line or the store is unwell.
                        next.store(usize::MAX / 2, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    for result in results.into_inner().expect("not poisoned") {
        match result {
            Ok(Some((number, etag))) => {
                part_etags.insert(number, etag);
            }
            Ok(None) => {}
            Err(e) => return Outcome::Failed(e),
        }
    }
    let parts: Vec<api::CompletedPart> = part_etags_in_order(&part_etags);
    match client.complete(&ticket.upload_id, parts) {
        Ok(done) => Outcome::Stored(done.photo_id),
        Err(e) => Outcome::Failed(e),
    }
}

fn part_etags_in_order(etags: &BTreeMap<i32, String>) -> Vec<api::CompletedPart> {
    etags
        .iter()
        .map(|(number, etag)| api::CompletedPart {
            number: *number,
            etag: etag.clone(),
        })
        .collect()
}

/// A part's number and ETag, or nothing for a whole object.
type SendResult = Result<Option<(i32, String)>, CloudError>;

/// PUTs one target; a part answers with its number and ETag.
fn send_target(
    client: &CloudClient,
    target: &api::UploadTarget,
    original: &Path,
    derived: &[(ObjectName, PathBuf, u64)],
) -> SendResult {
    if let Some(part) = target.part {
        let etag = client.put_file(target, original, part.offset as u64, part.length as u64)?;
        if etag.is_empty() {
            return Err(CloudError::Trouble(format!(
                "storage answered part {} without an ETag",
                part.number
            )));
        }
        return Ok(Some((part.number, etag)));
    }
    let (file, length) = if target.name == ObjectName::Original {
        let length = std::fs::metadata(original)
            .map_err(|e| crate::cloud::client::unreadable_here(original, &e))?
            .len();
        (original.to_path_buf(), length)
    } else {
        let Some((_, path, size)) = derived.iter().find(|(name, _, _)| *name == target.name) else {
            return Err(CloudError::Trouble(format!(
                "the server asked for a {} this item does not have",
                target.name
            )));
        };
        (path.clone(), *size)
    };
    client.put_file(target, &file, 0, length)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_come_from_the_name_and_stay_image_or_video() {
        assert_eq!(content_type(Path::new("a/IMG_1.JPG"), false), "image/jpeg");
        assert_eq!(content_type(Path::new("b.heic"), false), "image/heic");
        assert_eq!(content_type(Path::new("c.MOV"), true), "video/quicktime");
        assert_eq!(content_type(Path::new("d.xyz"), true), "video/x-unknown");
        assert_eq!(content_type(Path::new("noext"), false), "image/x-unknown");
    }
}
