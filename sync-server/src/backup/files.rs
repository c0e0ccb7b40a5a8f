//! File steps shared by `backup` and `restore`: copying a file under a temporary name
//! and renaming it into place (so a name that exists is always complete), private
//! modes (0700 directories, 0600 files, like `data_dir`), and the manifest.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BackupError;

/// The manifest's name inside a backup; written last, so its presence means the backup
/// it describes is complete.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The format `restore` understands.
pub const MANIFEST_FORMAT: u32 = 1;

/// What a backup holds, written after everything it lists.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the database snapshot was taken (RFC 3339).
    pub made_at: String,
    /// The highest migration the snapshot's database had applied.
    pub schema_version: i64,
    /// The bucket the objects belong to (the `objects/<bucket>/` directory).
    pub bucket: String,
    pub database: Entry,
    /// Files under `objects/`: each object the snapshot accounts for, with the store's
    /// note of its checksums where there is one.
    pub objects: Vec<Entry>,
    /// Keys and other files of the data directory, by their path inside it.
    pub data_files: Vec<Entry>,
    /// The config file (and a CDN key kept outside the data directory), under `config/`.
    pub config_files: Vec<Entry>,
    /// Objects this run copied; the rest were already in the backup.
    pub objects_copied: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the part of the backup it belongs to.
    pub path: String,
    pub size: u64,
    /// Only for the database: the check that it is the snapshot this manifest describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl Manifest {
    pub fn read(dir: &Path) -> Result<Manifest, BackupError> {
        let path = dir.join(MANIFEST_FILE);
        let text = fs::read(&path).map_err(|source| BackupError::io(&path, source))?;
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|e| BackupError::Damaged {
                what: format!("{} cannot be read: {e}", path.display()),
            })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(BackupError::Damaged {
                what: format!(
                    "{} is in format {}, which this version does not know",
                    path.display(),
                    manifest.format
                ),
            });
        }
        Ok(manifest)
    }

    pub fn write(&self, dir: &Path) -> Result<(), BackupError> {
        let text = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        write_atomically(&dir.join(MANIFEST_FILE), &text)
    }
}

/// The name a file is written under before it is renamed into place.
pub fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Creates `dir` and its missing parents as 0700.
pub fn private_dir(dir: &Path) -> Result<(), BackupError> {
    crate::data_dir::create_private_dir(dir).map_err(|e| BackupError::io(&e.path, e.source))
}

/// Copies `from` to `to` through a temporary name, 0600, flushed to disk, keeping the
/// modification time (so the next backup can tell the file is already there). Returns
/// false, copying nothing, when `from` is gone (an object deleted meanwhile).
pub fn copy_file(from: &Path, to: &Path) -> Result<bool, BackupError> {
    let mut source = match File::open(from) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(BackupError::io(from, e)),
    };
    let modified = source
        .metadata()
        .and_then(|m| m.modified())
        .map_err(|e| BackupError::io(from, e))?;
    if let Some(parent) = to.parent() {
        private_dir(parent)?;
    }
    let partial = partial_name(to);
    let mut target = create_private(&partial)?;
    io::copy(&mut source, &mut target).map_err(|e| BackupError::io(&partial, e))?;
    target
        .set_modified(modified)
        .and_then(|()| target.sync_all())
        .map_err(|e| BackupError::io(&partial, e))?;
    fs::rename(&partial, to).map_err(|e| BackupError::io(to, e))?;
    Ok(true)
}

/// Writes `bytes` to `path` through a temporary name, 0600, flushed to disk.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    crate::data_dir::write_private(path, bytes).map_err(|e| BackupError::io(path, e))
}

fn create_private(path: &Path) -> Result<File, BackupError> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| BackupError::io(path, e))?;
    // An earlier partial copy may have been made with other modes.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| BackupError::io(path, e))?;
    Ok(file)
}

/// Size and modification time, or None when `path` does not exist.
pub fn size_and_time(path: &Path) -> Result<Option<(u64, SystemTime)>, BackupError> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some((
            m.len(),
            m.modified().map_err(|e| BackupError::io(path, e))?,
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BackupError::io(path, e)),
    }
}

pub fn sha256_of(path: &Path) -> Result<String, BackupError> {
    let mut file = File::open(path).map_err(|e| BackupError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| BackupError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Every regular file under `dir`, as paths relative to it, sorted.
pub fn files_under(dir: &Path) -> Result<Vec<String>, BackupError> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let entries = match fs::read_dir(dir.join(&relative)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BackupError::io(&dir.join(&relative), e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| BackupError::io(dir, e))?;
            let kind = entry.file_type().map_err(|e| BackupError::io(dir, e))?;
            let path = relative.join(entry.file_name());
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                found.push(path.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    Ok(found)
}
