//! What the import tests share: a library and a photo folder in a temporary directory,
//! and camera-like photos to put in it.

use std::path::{Path, PathBuf};

use picup_core::Library;
use picup_core::fixtures::{self, ExifFields};

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn photo_jpeg(seed: u64, taken: Option<&str>) -> Vec<u8> {
    fixtures::jpeg(
        &fixtures::camera_like_picture(320, 240, seed),
        85,
        &ExifFields {
            taken: taken.map(str::to_string),
            offset: Some("+02:00".into()),
            ..ExifFields::default()
        },
    )
}

pub struct Setup {
    /// Kept for its lifetime: the folders go when the test ends.
    pub _dir: tempfile::TempDir,
    pub photos: PathBuf,
    pub library: Library,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("Pictures");
    std::fs::create_dir_all(&photos).unwrap();
    let library = Library::open(dir.path().join("library")).unwrap();
    Setup {
        _dir: dir,
        photos,
        library,
    }
}
