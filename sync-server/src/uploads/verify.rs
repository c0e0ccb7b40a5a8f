//! What `complete` checks before it records anything: an original sent in parts is
//! joined, every object is in the store with its declared size, the original's bytes
//! have the declared SHA-256, and each object is what its bytes say it is.

use base64::Engine;
use picup_api as api;
use picup_api::{ErrorCode, MediaType, ObjectName};
use sha2::{Digest, Sha256};

use super::UploadRules;
use crate::db::Upload;
use crate::error::{ServiceError, ServiceResult};
use crate::media_type::{SNIFF_BYTES, sniff};
use crate::store::{ObjectStore, object_key};

/// Joins an original sent in parts, unless that already happened.
pub(super) async fn join_parts(
    store: &ObjectStore,
    upload: &Upload,
    parts: &[api::CompletedPart],
) -> ServiceResult<()> {
    let Some(multipart_id) = &upload.multipart_id else {
        return Ok(());
    };
    let key = object_key(&upload.id, ObjectName::Original);
    if store
        .head(&key)
        .await?
        .is_some_and(|o| o.size == upload.size)
    {
        return Ok(()); // joined by an earlier call whose answer was lost
    }
    let part_size = upload.part_size.unwrap_or(1).max(1);
    let expected = (upload.size + part_size - 1) / part_size;
    let in_order = parts
        .iter()
        .enumerate()
        .all(|(i, p)| p.number as i64 == i as i64 + 1 && !p.etag.is_empty());
    if parts.len() as i64 != expected || !in_order {
        return Err(ServiceError::UploadIncomplete(format!(
            "The original goes in {expected} parts; send the ETag of each, in order."
        )));
    }
    let parts: Vec<(i32, String)> = parts.iter().map(|p| (p.number, p.etag.clone())).collect();
    store
        .complete_multipart(&key, multipart_id, &parts)
        .await
        .map_err(|e| {
            tracing::info!(upload = %upload.id, error = %e, "joining parts failed");
            ServiceError::UploadIncomplete(
                "The original's parts have not all arrived yet. Send them, then try again.".into(),
            )
        })
}

/// Checks every declared object against what the store holds, and returns what the
/// original is, as its bytes show it.
pub(super) async fn verify_objects(
    store: &ObjectStore,
    rules: &UploadRules,
    upload: &Upload,
) -> ServiceResult<MediaType> {
    let objects = [
        (ObjectName::Original, Some(upload.size), "The original"),
        (
            ObjectName::Thumbnail,
            upload.thumbnail_size,
            "The thumbnail",
        ),
        (ObjectName::Preview, upload.preview_size, "The preview"),
    ];
    let mut original = None;
    for (name, size, label) in objects {
        let Some(size) = size else { continue };
        let key = object_key(&upload.id, name);
        let info = match store.head(&key).await? {
            None => {
                return Err(ServiceError::UploadIncomplete(format!(
                    "{label} has not arrived yet. Send it, then try again."
                )));
            }
            Some(info) if info.size != size => {
                return Err(ServiceError::UploadIncomplete(format!(
                    "{label} arrived with {} bytes instead of {size}.",
                    info.size
                )));
            }
            Some(info) => info,
        };
        if name == ObjectName::Original {
            // Bytes that are not the declared ones are "send it again", whatever they are.
            verify_sha256(store, rules, &key, info.checksum_sha256, &upload.sha256).await?;
        }
        let kind = sniff(&store.read_prefix(&key, SNIFF_BYTES).await?);
        if name == ObjectName::Original {
            let Some(kind) = kind else {
                return Err(ServiceError::invalid(
                    ErrorCode::UnsupportedMedia,
                    "This file is not a photo or video the family cloud keeps (JPEG, PNG, GIF, \
                     WebP, TIFF, BMP, HEIC, AVIF, MP4, MOV, 3GP, WebM, MKV, AVI, MTS).",
                ));
            };
            original = Some(kind);
        } else if kind != Some(MediaType::Jpeg) {
            return Err(ServiceError::invalid(
                ErrorCode::UnsupportedMedia,
                format!("{label} must be a JPEG image."),
            ));
        }
    }
    Ok(original.expect("every upload declares its original"))
}

/// The original must be the bytes whose SHA-256 the client declared. The store's own
/// checksum is taken when it kept one for the whole object; when it did not (a
/// multipart upload, a store that does not keep checksums, or s3s-fs after it refused a
/// PUT but kept the bytes) the object is read back and hashed here. A missing checksum
/// never counts as a match.
async fn verify_sha256(
    store: &ObjectStore,
    rules: &UploadRules,
    key: &str,
    kept: Option<String>,
    expected_hex: &str,
) -> ServiceResult<()> {
    let expected = hex::decode(expected_hex).unwrap_or_default();
    let matches = match kept {
        // "…-3" is a checksum of the parts' checksums, not of the bytes.
        Some(checksum) if !checksum.contains('-') => {
            checksum == base64::engine::general_purpose::STANDARD.encode(&expected)
        }
        _ => {
            let _turn = rules.verifying.acquire().await.expect("never closed");
            let mut hasher = Sha256::new();
            store
                .read_each_chunk(key, |chunk| hasher.update(chunk))
                .await?;
            hasher.finalize().as_slice() == expected.as_slice()
        }
    };
    if matches {
        Ok(())
    } else {
        tracing::warn!(key, "an original did not match its declared SHA-256");
        Err(ServiceError::UploadIncomplete(
            "The original's content does not match its SHA-256. Send it again.".into(),
        ))
    }
}
