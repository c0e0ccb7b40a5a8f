//! Reconciling a scope: what is on disk under a folder (or at one path) against what
//! the index holds there. Moves are followed without reading the file again, new and
//! changed files go through the import pipeline, vanished ones are forgotten. Both the
//! start-up catch-up and the live watcher call this.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::SystemTime;

use serde::Serialize;

use crate::import::{self, ImportOptions, ImportProgress, ImportSummary};
use crate::index::KnownFile;
use crate::library::Library;
use crate::scan::{self, Candidate, ScanResult};

use super::{Change, QUIET, WatchError};

/// What one reconciliation did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileSummary {
    pub changes: Vec<Change>,
    pub import: ImportSummary,
    /// Files looked at on disk.
    pub files_seen: usize,
    /// Files modified moments ago (perhaps still being copied), left for a later look.
    #[serde(skip)]
    pub deferred: Vec<PathBuf>,
}

/// Compares `scopes` (folders or single paths inside watched folders) on disk with the
/// index and applies the difference. `roots` are the watched folders; a scope whose root
/// is missing is left alone, so an unplugged disk never empties an album.
pub fn reconcile(
    library: &Library,
    scopes: &[PathBuf],
    cancel: &AtomicBool,
    progress: impl FnMut(&ImportProgress),
) -> Result<ReconcileSummary, WatchError> {
    reconcile_knowing_whole(library, scopes, &HashSet::new(), cancel, progress)
}

/// [`reconcile`], told which files are known to be whole (their writer closed them
/// after writing, as the watcher saw): those are read at once, however fresh their
/// times; other fresh files are left for a later look.
pub fn reconcile_knowing_whole(
    library: &Library,
    scopes: &[PathBuf],
    whole: &HashSet<PathBuf>,
    cancel: &AtomicBool,
    progress: impl FnMut(&ImportProgress),
) -> Result<ReconcileSummary, WatchError> {
    let mut changes = Vec::new();
    let mut summary = reconcile_reporting(library, scopes, whole, cancel, progress, |news| {
        changes.extend(news)
    })?;
    summary.changes = changes;
    Ok(summary)
}

/// [`reconcile_knowing_whole`], telling `on_changes` what changed as it happens (moves
/// and removals at once, then each imported file as soon as the index holds it) rather
/// than in the summary, whose `changes` stay empty.
pub fn reconcile_reporting(
    library: &Library,
    scopes: &[PathBuf],
    whole: &HashSet<PathBuf>,
    cancel: &AtomicBool,
    progress: impl FnMut(&ImportProgress),
    mut on_changes: impl FnMut(Vec<Change>),
) -> Result<ReconcileSummary, WatchError> {
    let mut summary = ReconcileSummary::default();
    let index = library.index()?;
    let roots: Vec<PathBuf> = index.folders()?.into_iter().map(PathBuf::from).collect();

    let mut on_disk: HashMap<String, Candidate> = HashMap::new();
    let mut known: HashMap<String, KnownFile> = HashMap::new();
    let mut problems = Vec::new();
    for scope in collapse(scopes) {
        let Some(root) = roots.iter().find(|root| scope.starts_with(root)) else {
            continue;
        };
        if !root.is_dir() {
            continue;
        }
        let scope_key = scope.to_string_lossy().into_owned();
        known.extend(index.files_under(&scope_key)?);
        if std::fs::symlink_metadata(&scope).is_err() {
            continue; // The whole scope is gone: everything known there vanished.
        }
        let found = scan::scan(std::slice::from_ref(&scope), library.root(), cancel, |_| {});
        for candidate in found.candidates {
            on_disk.insert(candidate.path.to_string_lossy().into_owned(), candidate);
        }
        // A single non-photo path (a text file saved beside the photos) is not a problem.
        problems.extend(
            found
                .problems
                .into_iter()
                .filter(|p| p.path != scope || scan::kind_by_name(&p.path).is_some()),
        );
    }
    summary.files_seen = on_disk.len();

    // Vanished: known here, not on disk. Appeared: on disk, unknown or changed.
    let mut vanished: Vec<(String, KnownFile)> = known
        .iter()
        .filter(|(path, _)| !on_disk.contains_key(*path))
        .map(|(p, k)| (p.clone(), *k))
        .collect();
    vanished.sort_by(|a, b| a.0.cmp(&b.0));
    let hidden = index.hidden_folders()?;
    // Files of items the parent removed (in the Trash or gone for good) stay out too.
    let hidden_files = index.hidden_files()?;
    let mut appeared: Vec<Candidate> = on_disk
        .into_values()
        .filter(|c| !hidden.contains(c.album_folder.to_string_lossy().as_ref()))
        .filter(|c| !hidden_files.contains(c.path.to_string_lossy().as_ref()))
        .filter(|c| {
            known
                .get(c.path.to_string_lossy().as_ref())
                .is_none_or(|k| k.size != c.size as i64 || k.mtime_ns != c.mtime_ns)
        })
        .collect();
    appeared.sort_by(|a, b| a.path.cmp(&b.path));

    // A vanished file and an appeared one with the same size and time are one file
    // moved. Prefer the same file name when several match (copies of one photo).
    let mut moves = Vec::new();
    let mut by_identity: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, (_, k)) in vanished.iter().enumerate() {
        by_identity.entry((k.size, k.mtime_ns)).or_default().push(i);
    }
    let mut moved_from = HashSet::new();
    appeared.retain(|candidate| {
        if known.contains_key(candidate.path.to_string_lossy().as_ref()) {
            return true; // Changed in place: import it again.
        }
        let Some(options) = by_identity.get_mut(&(candidate.size as i64, candidate.mtime_ns))
        else {
            return true;
        };
        let name = candidate.path.file_name();
        let pick = options
            .iter()
            .position(|&i| Path::new(&vanished[i].0).file_name() == name)
            .unwrap_or(0);
        let Some(&i) = options.get(pick) else {
            return true;
        };
        options.remove(pick);
        moved_from.insert(i);
        moves.push((vanished[i].0.clone(), candidate.clone()));
        false
    });

    // A new or changed file written to moments ago may still be being copied: look again
    // later rather than read half of it (a catch-up can run while a copy is under way),
    // unless its writer has been seen closing it. Moves were matched above: they never
    // read a file, so they need not wait.
    let now_ns = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let (fresh, settled): (Vec<Candidate>, Vec<Candidate>) = appeared.into_iter().partition(|c| {
        // A time in the future (a camera's wrong clock) is not "being written".
        let age = now_ns.saturating_sub(c.mtime_ns);
        (0..QUIET.as_nanos() as i64).contains(&age) && !whole.contains(&c.path)
    });
    let appeared = settled;
    summary.deferred = fresh.into_iter().map(|c| c.path).collect();

    let mut index = library.index()?;
    let mut orphans = Vec::new();
    {
        let w = index.write()?;
        for (from, candidate) in &moves {
            let folder = candidate.album_folder.to_string_lossy();
            let (album, _) =
                w.album_for_folder(&folder, &import::album_title(&candidate.album_folder))?;
            let to = candidate.path.to_string_lossy();
            w.move_file(from, &to, album)?;
            summary.changes.push(Change::Moved {
                from: from.clone(),
                to: to.into_owned(),
            });
        }
        for (i, (path, _)) in vanished.iter().enumerate() {
            if moved_from.contains(&i) {
                continue;
            }
            orphans.extend(w.forget_file(path)?);
            summary.changes.push(Change::Removed { path: path.clone() });
        }
        w.commit()?;
    }
    for hash in orphans {
        library.remove_derived(&hash);
    }

    on_changes(std::mem::take(&mut summary.changes));

    let updated: HashSet<String> = appeared
        .iter()
        .map(|c| c.path.to_string_lossy().into_owned())
        .filter(|p| known.contains_key(p))
        .collect();
    let scanned = ScanResult {
        candidates: appeared,
        problems,
        folders: Vec::new(),
    };
    // Each file is told by what the index now says about it.
    let mut unreadable = None;
    let told = |path: String| -> Result<Change, crate::index::IndexError> {
        Ok(if let Some(reason) = index.skipped_reason(&path)? {
            Change::Skipped { path, reason }
        } else if updated.contains(&path) {
            Change::Updated { path }
        } else if index.download_path_taken(&path)? {
            Change::Fetched { path }
        } else {
            Change::Added { path }
        })
    };
    summary.import = import::import_scanned_reporting(
        library,
        scanned,
        &ImportOptions::default(),
        cancel,
        progress,
        |paths| {
            let news: Result<Vec<Change>, _> = paths
                .iter()
                .map(|path| told(path.to_string_lossy().into_owned()))
                .collect();
            match news {
                Ok(news) => on_changes(news),
                Err(e) => unreadable = Some(e),
            }
        },
    )?;
    if let Some(error) = unreadable {
        return Err(error.into());
    }
    Ok(summary)
}

/// Drops scopes inside other scopes: reconciling a folder covers everything below it.
pub(super) fn collapse(scopes: &[PathBuf]) -> Vec<PathBuf> {
    let mut sorted: Vec<PathBuf> = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for scope in sorted {
        if !kept.iter().any(|k| scope.starts_with(k)) {
            kept.push(scope);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_inside_other_scopes_are_dropped() {
        let scopes = [
            PathBuf::from("/p/A/b.jpg"),
            PathBuf::from("/p/A"),
            PathBuf::from("/p/AB/c.jpg"),
            PathBuf::from("/p/A"),
        ];
        assert_eq!(
            collapse(&scopes),
            [PathBuf::from("/p/A"), PathBuf::from("/p/AB/c.jpg")]
        );
    }
}
