//! `picup-server backup` and `restore` for a single-machine (embedded) install: SQLite and
//! the objects directory in one data directory, backed up while the server runs.
//!
//! A backup is a directory: `picup.db` (a snapshot taken with SQLite's `VACUUM INTO`,
//! never a copy of the live file), `objects/` (the store's files, kept across runs),
//! `data/` (the CDN key and any other file of the data directory), `config/` (the config
//! file) and `manifest.json`, written last.
//!
//! The order is what makes it consistent. The snapshot comes first; the objects copied
//! are those it accounts for (its photos and pending uploads), and an upload completes
//! only after its objects are in the store, so every object the snapshot's photos name
//! is already there when the objects are walked. Objects are immutable under their key
//! (each upload writes under a fresh random prefix, and the store writes a file under a
//! temporary name and renames it), so one already in the backup with the same size and
//! modification time is not copied again. Every file is written under a temporary name
//! and renamed; the snapshot takes its name only once the objects are in, and the
//! manifest after it, so an interrupted run leaves the previous backup restorable.
//!
//! PostgreSQL + S3 installs are refused: their database's own dumps and the bucket's
//! versioning do this job there.

mod files;
mod restore;

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64::Engine;
use picup_api::ObjectName;

use crate::clock::Clock;
use crate::config::{Config, DATABASE_FILE};
use crate::db::{Db, DbError};
use crate::library::rfc3339;
use crate::store::object_key;
use files::{Entry, copy_file, files_under, partial_name, private_dir, size_and_time};
pub use files::{MANIFEST_FILE, Manifest};
pub use restore::{RestoreSummary, restore};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    NotEmbedded(String),
    #[error("{0}")]
    Refused(String),
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot read the database: {0}")]
    Db(#[from] DbError),
    #[error(
        "the backup is not complete: {what}. It was probably interrupted or changed since; \
         make a new backup"
    )]
    Damaged { what: String },
}

impl BackupError {
    fn io(path: &Path, source: std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The directory `backup --to` names, refused in plain words when there is none: the
/// package's daily backup passes `PICUP_BACKUP_TO` from `/etc/picup/backup.env`, which
/// ships empty.
pub fn named_target(dir: OsString) -> Result<PathBuf, BackupError> {
    if dir.to_string_lossy().trim().is_empty() {
        return Err(BackupError::Refused(
            "no backup directory is named. For the daily backup (picup-server-backup.timer), \
             set PICUP_BACKUP_TO in /etc/picup/backup.env"
                .into(),
        ));
    }
    Ok(PathBuf::from(dir))
}

/// What one run of `backup` did.
#[derive(Debug)]
pub struct BackupSummary {
    pub photos: usize,
    pub objects: usize,
    pub objects_copied: usize,
    pub objects_removed: usize,
    pub schema_version: i64,
}

/// Backs up the embedded install `config` describes into `to`. `config_file` is the
/// file the config was read from, if any; it goes into the backup too.
pub async fn backup(
    config: &Config,
    config_file: Option<&Path>,
    to: &Path,
    clock: &Clock,
) -> Result<BackupSummary, BackupError> {
    let data = embedded_data_dir(config)?;
    let database = data.join(DATABASE_FILE);
    if !database.is_file() {
        return Err(BackupError::Refused(format!(
            "there is no database at {}: is --data the server's data directory?",
            database.display()
        )));
    }
    let data = data.canonicalize().map_err(|e| BackupError::io(&data, e))?;
    private_dir(to)?;
    let to = to.canonicalize().map_err(|e| BackupError::io(to, e))?;
    if to.starts_with(&data) || data.starts_with(&to) {
        return Err(BackupError::Refused(format!(
            "the backup ({}) and the data directory ({}) must not be inside one another",
            to.display(),
            data.display()
        )));
    }

    // 1. The database, as of one moment.
    let made_at = rfc3339(clock.now_ms());
    let snapshot = partial_name(&to.join(DATABASE_FILE));
    remove_leftovers(&snapshot)?;
    let live = Db::connect(&config.database_url()?).await?;
    let taken = live.snapshot_into(&snapshot).await;
    live.close().await;
    taken?;
    let snapshot_db = Db::connect(&format!("sqlite://{}", snapshot.display())).await?;
    let read = async {
        let version = snapshot_db.schema_version().await?;
        let photos = snapshot_db.all_photos().await?;
        let pending = snapshot_db.pending_upload_ids().await?;
        Ok::<_, DbError>((version, photos, pending))
    }
    .await;
    snapshot_db.close().await;
    let (schema_version, photos, pending) = read?;

    // 2. The objects it accounts for; they are all in the store by now.
    let accounted: HashSet<&str> = photos
        .iter()
        .map(|p| p.object_prefix.as_str())
        .chain(pending.iter().map(String::as_str))
        .collect();
    let bucket = &config.s3_bucket;
    let store_dir = data.join("objects");
    let backup_objects = to.join("objects");
    let mut objects = Vec::new();
    let mut objects_copied = 0;
    for key in files_under(&store_dir.join(bucket))? {
        let prefix = key.split('/').next().unwrap_or_default();
        if !accounted.contains(prefix) {
            continue;
        }
        for file in std::iter::once(format!("{bucket}/{key}")).chain(sidecars(bucket, &key)) {
            match mirror(&store_dir.join(&file), &backup_objects.join(&file))? {
                Mirrored::Gone => {}
                Mirrored::Kept(size) => objects.push(entry(file, size)),
                Mirrored::Copied(size) => {
                    objects_copied += 1;
                    objects.push(entry(file, size));
                }
            }
        }
    }
    check_photos_complete(&photos, bucket, &objects)?;

    // 3. Keys and the config: small, copied whenever they changed.
    let mut data_files = Vec::new();
    for file in files_under(&data)? {
        if file.starts_with(DATABASE_FILE) || file.starts_with("objects/") {
            continue;
        }
        if let Mirrored::Copied(size) | Mirrored::Kept(size) =
            mirror(&data.join(&file), &to.join("data").join(&file))?
        {
            data_files.push(entry(file, size));
        }
    }
    let mut config_files = Vec::new();
    let outside_key = config
        .cdn_private_key
        .as_deref()
        .filter(|key| !key.starts_with(&data));
    for source in config_file.into_iter().chain(outside_key) {
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "config".into());
        if let Mirrored::Copied(size) | Mirrored::Kept(size) =
            mirror(source, &to.join("config").join(&name))?
        {
            config_files.push(entry(name, size));
        }
    }

    // 4. The snapshot takes its name, then the manifest says what the backup holds.
    let database_entry = Entry {
        path: DATABASE_FILE.into(),
        size: std::fs::metadata(&snapshot)
            .map_err(|e| BackupError::io(&snapshot, e))?
            .len(),
        sha256: Some(files::sha256_of(&snapshot)?),
    };
    std::fs::rename(&snapshot, to.join(DATABASE_FILE))
        .map_err(|e| BackupError::io(&to.join(DATABASE_FILE), e))?;
    let manifest = Manifest {
        format: files::MANIFEST_FORMAT,
        made_at,
        schema_version,
        bucket: bucket.clone(),
        database: database_entry,
        objects,
        data_files,
        config_files,
        objects_copied,
    };
    manifest.write(&to)?;

    // 5. Objects no photo of this snapshot needs any more (deleted since the last run).
    let listed: HashSet<&str> = manifest.objects.iter().map(|e| e.path.as_str()).collect();
    let mut objects_removed = 0;
    for file in files_under(&backup_objects)? {
        if !listed.contains(file.as_str()) {
            let path = backup_objects.join(&file);
            std::fs::remove_file(&path).map_err(|e| BackupError::io(&path, e))?;
            objects_removed += 1;
        }
    }
    Ok(BackupSummary {
        photos: photos.len(),
        objects: manifest.objects.len(),
        objects_copied,
        objects_removed,
        schema_version,
    })
}

/// The data directory of an embedded install, or the reason this is not one.
fn embedded_data_dir(config: &Config) -> Result<PathBuf, BackupError> {
    if !config.database_url.is_empty() || config.s3_endpoint.is_some() {
        return Err(BackupError::NotEmbedded(
            "this server keeps its data in an external database or S3 bucket, which \
             picup-server backup cannot copy consistently. Back up PostgreSQL with its own \
             tools (pg_dump, or continuous archiving), turn on versioning for the bucket, \
             and run picup-server fsck after a restore to check the two agree."
                .into(),
        ));
    }
    config.data_dir.clone().ok_or_else(|| {
        BackupError::Refused("say which data directory to back up with --data DIR".into())
    })
}

/// The store's own notes beside an object (its content type, its checksums), named as
/// s3s-fs names them: `.bucket-<b64 bucket>.object-<b64 key>.<what>.json`.
fn sidecars(bucket: &str, key: &str) -> impl Iterator<Item = String> {
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let stem = format!(".bucket-{}.object-{}", encode(bucket), encode(key));
    ["metadata", "internal"]
        .into_iter()
        .map(move |what| format!("{stem}.{what}.json"))
}

enum Mirrored {
    /// The source does not exist (deleted meanwhile, or an object without notes).
    Gone,
    /// Already in the backup: same size and modification time.
    Kept(u64),
    Copied(u64),
}

fn mirror(from: &Path, to: &Path) -> Result<Mirrored, BackupError> {
    let Some(source) = size_and_time(from)? else {
        return Ok(Mirrored::Gone);
    };
    if size_and_time(to)? == Some(source) {
        return Ok(Mirrored::Kept(source.0));
    }
    Ok(match copy_file(from, to)? {
        true => Mirrored::Copied(size_and_time(to)?.map_or(0, |(size, _)| size)),
        false => Mirrored::Gone,
    })
}

fn entry(path: String, size: u64) -> Entry {
    Entry {
        path,
        size,
        sha256: None,
    }
}

/// Every object the snapshot's photos name is in the backup at its recorded size. One
/// can be missing only if its photo was deleted (and purged) after the snapshot.
fn check_photos_complete(
    photos: &[crate::db::Photo],
    bucket: &str,
    objects: &[Entry],
) -> Result<(), BackupError> {
    let sizes: BTreeMap<&str, u64> = objects.iter().map(|e| (e.path.as_str(), e.size)).collect();
    let mut missing = Vec::new();
    for photo in photos {
        for (name, size) in [
            (ObjectName::Original, Some(photo.size)),
            (ObjectName::Thumbnail, photo.thumbnail_size),
            (ObjectName::Preview, photo.preview_size),
            (ObjectName::WebCopy, photo.web_copy_size),
        ] {
            let Some(size) = size else { continue };
            let file = format!("{bucket}/{}", object_key(&photo.object_prefix, name));
            if sizes.get(file.as_str()).map(|s| *s as i64) != Some(size) {
                missing.push(file);
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(BackupError::Refused(format!(
        "{} photo files the database names were not in the store or had another size \
         (first: {}); photos were probably deleted while the backup ran. Run the backup \
         again",
        missing.len(),
        missing[0]
    )))
}

/// Removes what an interrupted run left of the snapshot.
fn remove_leftovers(snapshot: &Path) -> Result<(), BackupError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = snapshot.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(BackupError::io(Path::new(&name), e));
            }
            _ => {}
        }
    }
    Ok(())
}
