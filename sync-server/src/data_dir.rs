//! The data directory of a single-machine install is private to the server's user: it
//! holds the database (password and session hashes), every photo and the CDN signing
//! key. Directories are made 0700 and the database (with its `-wal` and `-shm`) and the
//! key 0600; what an older version left readable by others is tightened at start.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::cdn::PRIVATE_KEY_FILE;
use crate::config::{Config, DATABASE_FILE};

#[derive(Debug, thiserror::Error)]
#[error("cannot make {path} private to this user: {source}")]
pub struct DataDirError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Creates `config`'s data directory if need be and makes what it holds private: the
/// directory, the embedded S3 directory, the SQLite database and the CDN key. Files
/// that do not exist yet are left to whoever makes them, except the database, which is
/// created empty and private here so SQLite's `-wal` and `-shm` inherit its mode.
pub fn prepare(config: &Config) -> Result<(), DataDirError> {
    let Some(dir) = &config.data_dir else {
        return Ok(());
    };
    create_private_dir(dir)?;
    if let Some(objects) = config.embedded_s3_dir() {
        create_private_dir(&objects)?;
    }
    if config.database_url.is_empty() {
        let database = dir.join(DATABASE_FILE);
        create_private_file(&database)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = database.clone().into_os_string();
            name.push(suffix);
            tighten(Path::new(&name), 0o600)?;
        }
    }
    tighten(&dir.join(PRIVATE_KEY_FILE), 0o600)
}

/// Creates `dir` (and missing parents) as 0700, or tightens it to 0700 if it exists.
pub fn create_private_dir(dir: &Path) -> Result<(), DataDirError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| DataDirError {
            path: dir.to_owned(),
            source,
        })?;
    tighten(dir, 0o700)
}

fn create_private_file(path: &Path) -> Result<(), DataDirError> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|source| DataDirError {
            path: path.to_owned(),
            source,
        })?;
    tighten(path, 0o600)
}

/// Takes away the group's and others' access, if `path` exists and has any.
fn tighten(path: &Path, mode: u32) -> Result<(), DataDirError> {
    let error = |source| DataDirError {
        path: path.to_owned(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(found) if found.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, Permissions::from_mode(mode)).map_err(error)
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(error(e)),
    }
}

/// Writes `bytes` to `path`, readable by this user only, whole or not at all: into
/// `PATH.partial` (0600, flushed to disk), then renamed over `path`. The folder is made
/// private if need be. For small files that hold keys: the ACME account and
/// certificates, a backup's manifest. An error names the file it is about.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let error = |path: &Path| {
        let path = path.to_owned();
        move |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    };
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|e| error(&e.path)(e.source))?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .map_err(error(&partial))?;
    // An earlier partial file may have been made with other modes.
    file.set_permissions(Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all())
        .map_err(error(&partial))?;
    std::fs::rename(&partial, path).map_err(error(path))
}
