//! `picup-server restore --from BACKUP --data NEWDIR`: a data directory rebuilt from a
//! backup. Everything the manifest lists is checked (the database's SHA-256, each
//! file's size) as it is copied into a directory beside NEWDIR, which takes NEWDIR's name
//! only when complete, so a server is never started on half a restore.

use std::fs;
use std::path::{Path, PathBuf};

use super::files::{Entry, copy_file, private_dir, sha256_of};
use super::{BackupError, Manifest};
use crate::config::DATABASE_FILE;

/// What `restore` put back.
#[derive(Debug)]
pub struct RestoreSummary {
    pub made_at: String,
    pub schema_version: i64,
    pub objects: usize,
    pub data_files: usize,
    /// Config files the backup holds, for the operator to put back where they keep them.
    pub config_files: Vec<PathBuf>,
}

pub fn restore(from: &Path, new_data: &Path) -> Result<RestoreSummary, BackupError> {
    let manifest = Manifest::read(from)?;
    if new_data.exists() {
        let mut entries = fs::read_dir(new_data).map_err(|e| BackupError::io(new_data, e))?;
        if entries.next().is_some() {
            return Err(BackupError::Refused(format!(
                "{} is not empty; restore into a new directory so nothing is mixed or \
                 overwritten",
                new_data.display()
            )));
        }
    }
    let staging = staging_dir(new_data)?;
    let restored = fill(from, &manifest, &staging);
    if restored.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    restored?;
    if new_data.exists() {
        fs::remove_dir(new_data).map_err(|e| BackupError::io(new_data, e))?;
    }
    fs::rename(&staging, new_data).map_err(|e| BackupError::io(new_data, e))?;
    Ok(RestoreSummary {
        made_at: manifest.made_at,
        schema_version: manifest.schema_version,
        objects: manifest.objects.len(),
        data_files: manifest.data_files.len(),
        config_files: manifest
            .config_files
            .iter()
            .map(|e| from.join("config").join(&e.path))
            .collect(),
    })
}

/// A fresh directory next to `new_data`, on the same file system so it can be renamed.
fn staging_dir(new_data: &Path) -> Result<PathBuf, BackupError> {
    let name = new_data
        .file_name()
        .ok_or_else(|| {
            BackupError::Refused(format!(
                "{} is not a directory name to restore into",
                new_data.display()
            ))
        })?
        .to_string_lossy();
    let parent = match new_data.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let staging = parent.join(format!(".{name}.restoring-{}", crate::ids::random_id()));
    private_dir(&staging)?;
    Ok(staging)
}

fn fill(from: &Path, manifest: &Manifest, into: &Path) -> Result<(), BackupError> {
    let database = from.join(DATABASE_FILE);
    check_size(&database, &manifest.database)?;
    if Some(sha256_of(&database)?) != manifest.database.sha256 {
        return Err(BackupError::Damaged {
            what: format!(
                "{} is not the database the manifest describes",
                database.display()
            ),
        });
    }
    copy_checked(&database, &into.join(DATABASE_FILE), &manifest.database)?;
    private_dir(&into.join("objects"))?;
    for object in &manifest.objects {
        let path = safe_relative(&object.path)?;
        copy_checked(
            &from.join("objects").join(path),
            &into.join("objects").join(path),
            object,
        )?;
    }
    for file in &manifest.data_files {
        let path = safe_relative(&file.path)?;
        copy_checked(&from.join("data").join(path), &into.join(path), file)?;
    }
    Ok(())
}

fn copy_checked(from: &Path, to: &Path, entry: &Entry) -> Result<(), BackupError> {
    check_size(from, entry)?;
    if !copy_file(from, to)? {
        return Err(missing(from));
    }
    check_size(to, entry)
}

fn check_size(path: &Path, entry: &Entry) -> Result<(), BackupError> {
    match fs::metadata(path) {
        Ok(m) if m.len() == entry.size => Ok(()),
        Ok(m) => Err(BackupError::Damaged {
            what: format!(
                "{} has {} bytes, the manifest says {}",
                path.display(),
                m.len(),
                entry.size
            ),
        }),
        Err(_) => Err(missing(path)),
    }
}

fn missing(path: &Path) -> BackupError {
    BackupError::Damaged {
        what: format!("{} is missing", path.display()),
    }
}

/// A path from the manifest, refused if it could reach outside the backup.
fn safe_relative(path: &str) -> Result<&Path, BackupError> {
    let relative = Path::new(path);
    if relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        Ok(relative)
    } else {
        Err(BackupError::Damaged {
            what: format!("the manifest names {path:?}, outside the backup"),
        })
    }
}
