//! What an import already knows before it reads a file: the files indexed (unchanged
//! ones need no reading), the files skipped before, the files the parent put in the
//! Trash, and the contents the library holds (a copy is not decoded again).
//!
//! A big import loads each of these whole, once. A few files (a watched folder's latest
//! arrivals, a reconcile of one path) ask the index about just those files and hashes:
//! loading every path and hash of a 100,000-file library would cost far more than the
//! files themselves, on every burst a watcher sees.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use crate::index::{Index, IndexError, KnownFile};
use crate::library::Library;
use crate::scan::Candidate;

/// Up to this many files, an import asks about each rather than loading the library's.
pub const ASK_UP_TO: usize = 64;

/// What the index knows about the paths an import was handed.
pub struct KnownPaths {
    pub files: HashMap<String, KnownFile>,
    /// Skipped before, with the size and time the file had then.
    pub skipped: HashMap<String, (i64, i64)>,
    /// Files of items in the Trash: they stay out until restored.
    pub removed: HashSet<String>,
}

impl KnownPaths {
    /// The library's whole knowledge, or for a few `candidates` only theirs.
    pub fn for_candidates(index: &Index, candidates: &[Candidate]) -> Result<Self, IndexError> {
        if candidates.len() > ASK_UP_TO {
            return Ok(KnownPaths {
                files: index.known_files()?,
                skipped: index.known_skipped()?,
                removed: index.hidden_files()?,
            });
        }
        let mut known = KnownPaths {
            files: HashMap::new(),
            skipped: HashMap::new(),
            removed: HashSet::new(),
        };
        for candidate in candidates {
            let path = candidate.path.to_string_lossy().into_owned();
            if let Some(file) = index.known_file(&path)? {
                known.files.insert(path.clone(), file);
            }
            if let Some(skipped) = index.skipped_with_time(&path)? {
                known.skipped.insert(path.clone(), skipped);
            }
            if index.is_hidden_file(&path)? {
                known.removed.insert(path);
            }
        }
        Ok(known)
    }
}

/// The contents (hashes) the library holds, and those this import added so far.
pub enum KnownHashes {
    /// Every hash, loaded at the start.
    Loaded(RwLock<HashSet<String>>),
    /// Asked of the index hash by hash, through a connection of its own shared by the
    /// workers (each question is one indexed lookup). It sees what this import has
    /// recorded, since each batch is committed before its hashes would be noted.
    Asked(Mutex<Index>),
}

impl KnownHashes {
    /// Loaded whole for a big import, asked for a few files.
    pub fn for_import(library: &Library, index: &Index, files: usize) -> Result<Self, IndexError> {
        Ok(if files > ASK_UP_TO {
            KnownHashes::Loaded(RwLock::new(index.known_hashes()?))
        } else {
            KnownHashes::Asked(Mutex::new(library.index()?))
        })
    }

    /// Whether the library holds this content. A question the index cannot answer counts
    /// as "no": the file is then decoded, and recording it finds the copy all the same.
    pub fn contains(&self, hash: &str) -> bool {
        match self {
            KnownHashes::Loaded(all) => {
                all.read().unwrap_or_else(|e| e.into_inner()).contains(hash)
            }
            KnownHashes::Asked(index) => index
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .photo_id_for_hash(hash)
                .is_ok_and(|found| found.is_some()),
        }
    }

    /// Notes contents this import has recorded (and committed).
    pub fn extend(&self, hashes: Vec<String>) {
        if let KnownHashes::Loaded(all) = self {
            all.write()
                .unwrap_or_else(|e| e.into_inner())
                .extend(hashes);
        }
    }
}
