//! `picup-server fsck`: does the database agree with itself and with the bucket?
//!
//! It checks that each account's `used_bytes` equals the bytes of its photos, that
//! `reserved_bytes` equals its pending uploads, that every photo's objects are in the
//! bucket with the recorded sizes, and that every object in the bucket belongs to a photo
//! or a pending upload. A photo in the Trash is still stored and counted, as it should be;
//! what is wrong is a stored photo that no album holds, shown or in the Trash (nothing
//! would show or ever erase it), a purged photo without the job that erases it, and
//! places kept in a purged album. It reports; `--repair` only recounts the counters.

use std::collections::{BTreeMap, HashSet};

use picup_api::ObjectName;

use crate::db::{Db, DbError};
use crate::store::{ObjectStore, StoreError, object_key};

#[derive(Debug, Default)]
pub struct FsckReport {
    pub accounts: usize,
    pub photos: usize,
    pub objects: usize,
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FsckError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn check(db: &Db, store: &ObjectStore) -> Result<FsckReport, FsckError> {
    let mut report = FsckReport::default();
    for account in db.usage().await? {
        report.accounts += 1;
        if account.used_bytes != account.counted_photo_bytes {
            report.problems.push(format!(
                "{}: used_bytes is {} but its photos add up to {}",
                account.email, account.used_bytes, account.counted_photo_bytes
            ));
        }
        if account.reserved_bytes != account.counted_reservations {
            report.problems.push(format!(
                "{}: reserved_bytes is {} but its pending uploads add up to {}",
                account.email, account.reserved_bytes, account.counted_reservations
            ));
        }
    }
    for photo_id in db.photos_held_by_nothing().await? {
        report.problems.push(format!(
            "photo {photo_id} is stored but no album holds it, neither shown nor in the Trash"
        ));
    }
    for photo_id in db.deleted_photos_without_job().await? {
        report.problems.push(format!(
            "photo {photo_id} is purged but no job will erase its objects"
        ));
    }
    let stale = db.places_in_deleted_albums().await?;
    if stale > 0 {
        report.problems.push(format!(
            "{stale} photos' places are kept in albums that were purged"
        ));
    }
    let objects: BTreeMap<String, i64> = store
        .list_all()
        .await?
        .into_iter()
        .map(|o| (o.key, o.size))
        .collect();
    report.objects = objects.len();
    let mut accounted: HashSet<String> = db.pending_upload_ids().await?.into_iter().collect();
    for photo in db.all_photos().await? {
        report.photos += 1;
        let expected = [
            (ObjectName::Original, Some(photo.size)),
            (ObjectName::Thumbnail, photo.thumbnail_size),
            (ObjectName::Preview, photo.preview_size),
            (ObjectName::WebCopy, photo.web_copy_size),
        ];
        for (name, size) in expected {
            let Some(size) = size else { continue };
            let key = object_key(&photo.object_prefix, name);
            match objects.get(&key) {
                None => report
                    .problems
                    .push(format!("photo {}: {key} is missing", photo.id)),
                Some(found) if *found != size => report.problems.push(format!(
                    "photo {}: {key} has {found} bytes, {size} recorded",
                    photo.id
                )),
                Some(_) => {}
            }
        }
        accounted.insert(photo.object_prefix);
    }
    for key in objects.keys() {
        let prefix = key.split('/').next().unwrap_or_default();
        if !accounted.contains(prefix) {
            report.problems.push(format!(
                "object {key} is stored but not counted by any photo or upload"
            ));
        }
    }
    Ok(report)
}
