//! Finding the photos and videos under the folders and files a parent drops.
//!
//! The scan only looks at names and file metadata; it never reads file contents. It
//! follows symbolic links (a parent's "Pictures" may well be one), notices links that
//! lead nowhere or back into themselves, and silently passes over hidden files and the
//! clutter other systems leave behind (`.DS_Store`, `Thumbs.db`, `@eaDir`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::UNIX_EPOCH;

use crate::media::MediaKind;

/// A file that looks like a photo or video by its name, with what the index needs to
/// tell whether it changed since the last import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// The folder whose album this file belongs to.
    pub album_folder: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    pub kind: MediaKind,
}

/// Something the scan could not use, with a reason in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanProblem {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct ScanResult {
    pub candidates: Vec<Candidate>,
    pub problems: Vec<ScanProblem>,
    /// The folders that were dropped (to be remembered as the parent's folders).
    pub folders: Vec<PathBuf>,
}

const PHOTO_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "tif", "tiff", "heic", "heif", "hif", "bmp",
];
const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "mov", "m4v", "avi", "mkv", "3gp", "3g2", "webm", "mts", "m2ts",
];

/// Names that other systems leave in photo folders and that nobody wants to see.
const CLUTTER: &[&str] = &[
    "thumbs.db",
    "desktop.ini",
    "@eadir",
    "__macosx",
    "$recycle.bin",
    "system volume information",
    "lost+found",
];

/// What a file is by its name: a photo, a video, or neither.
pub fn kind_by_name(path: &Path) -> Option<MediaKind> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    if PHOTO_EXTENSIONS.contains(&extension.as_str()) {
        Some(MediaKind::Photo)
    } else if VIDEO_EXTENSIONS.contains(&extension.as_str()) {
        Some(MediaKind::Video)
    } else {
        None
    }
}

/// Whether a file or folder name is hidden or known clutter, to be passed over silently.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.') || CLUTTER.contains(&name.to_ascii_lowercase().as_str())
}

/// Modification time in nanoseconds since 1970, as the index stores it.
pub fn mtime_ns(metadata: &std::fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// Scans `paths` (folders recursively, files as given), skipping anything under
/// `exclude` (the library itself, should a parent drop the folder that holds it).
/// `on_found` is told the running count of candidates, for the page's "Looking for
/// photos… 1,204" line.
pub fn scan(
    paths: &[PathBuf],
    exclude: &Path,
    cancel: &AtomicBool,
    mut on_found: impl FnMut(usize),
) -> ScanResult {
    let mut result = ScanResult::default();
    for path in paths {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        match std::fs::metadata(&path) {
            Err(error) => result.problems.push(ScanProblem {
                reason: io_reason(&path, &error),
                path,
            }),
            Ok(metadata) if metadata.is_dir() => {
                result.folders.push(path.clone());
                scan_folder(&path, exclude, cancel, &mut result, &mut on_found);
            }
            Ok(metadata) => match kind_by_name(&path) {
                Some(kind) => {
                    let album_folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
                    result.candidates.push(Candidate {
                        size: metadata.len(),
                        mtime_ns: mtime_ns(&metadata),
                        path,
                        album_folder,
                        kind,
                    });
                    on_found(result.candidates.len());
                }
                None => result.problems.push(ScanProblem {
                    path,
                    reason: "This is not a photo or video that Pic-up can show.".into(),
                }),
            },
        }
    }
    result
}

fn scan_folder(
    root: &Path,
    exclude: &Path,
    cancel: &AtomicBool,
    result: &mut ScanResult,
    on_found: &mut impl FnMut(usize),
) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let hidden =
                entry.depth() > 0 && entry.file_name().to_str().is_some_and(is_ignored_name);
            !hidden && !entry.path().starts_with(exclude)
        });
    for entry in walker {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(root).to_path_buf();
                let reason = if error.loop_ancestor().is_some() {
                    "This folder shortcut leads back into a folder that holds it, so it was \
                     not followed."
                        .to_string()
                } else if let Some(io) = error.io_error() {
                    io_reason(&path, io)
                } else {
                    "Pic-up could not look inside this folder.".to_string()
                };
                result.problems.push(ScanProblem { path, reason });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(kind) = kind_by_name(entry.path()) else {
            continue;
        };
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(error) => {
                let path = entry.path().to_path_buf();
                let reason = error
                    .io_error()
                    .map(|io| io_reason(&path, io))
                    .unwrap_or_else(|| "Pic-up could not read this file.".into());
                result.problems.push(ScanProblem { path, reason });
                continue;
            }
        };
        let path = entry.path().to_path_buf();
        let album_folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        result.candidates.push(Candidate {
            path,
            album_folder,
            size: metadata.len(),
            mtime_ns: mtime_ns(&metadata),
            kind,
        });
        on_found(result.candidates.len());
    }
}

/// A plain sentence for a file-system error on `path`.
pub fn io_reason(path: &Path, error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match error.kind() {
        ErrorKind::NotFound if is_link => {
            "This shortcut points to a file or folder that no longer exists.".into()
        }
        ErrorKind::NotFound => "This file or folder no longer exists.".into(),
        ErrorKind::PermissionDenied => {
            "Pic-up is not allowed to open this (check who may read it).".into()
        }
        _ if error.raw_os_error() == Some(libc::ELOOP) => {
            "This shortcut leads round in a circle, so it was not followed.".into()
        }
        _ => "Pic-up could not read this file.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_kind_case_insensitively() {
        assert_eq!(kind_by_name(Path::new("a/B.JPG")), Some(MediaKind::Photo));
        assert_eq!(kind_by_name(Path::new("clip.MoV")), Some(MediaKind::Video));
        assert_eq!(kind_by_name(Path::new("notes.txt")), None);
        assert_eq!(kind_by_name(Path::new("no-extension")), None);
    }

    #[test]
    fn clutter_and_hidden_names_are_ignored() {
        for name in [
            ".DS_Store",
            "Thumbs.db",
            "@eaDir",
            ".hidden.jpg",
            "__MACOSX",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        assert!(!is_ignored_name("Holiday 2024"));
    }
}
