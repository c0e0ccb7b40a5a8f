//! What the client declares about an item before anything is held: checked and
//! normalised (its SHA-256, size, type hint, sides, time and derived images).

use picup_api as api;
use picup_api::{ErrorCode, ObjectName};

use super::{MAX_VARIANT_BYTES, UploadRules};
use crate::error::{ServiceError, ServiceResult};

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(ErrorCode::InvalidUpload, message)
}

/// A declared time, RFC 3339, as milliseconds since 1970.
fn declared_time(field: &str, text: Option<&str>) -> ServiceResult<Option<i64>> {
    text.map(|text| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|time| time.timestamp_millis())
            .map_err(|_| {
                invalid(format!(
                    "{field} must be an RFC 3339 time, like 2024-05-01T10:00:00Z."
                ))
            })
    })
    .transpose()
}

/// What the client declared about the item, checked and normalised.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Declared {
    pub sha256: String,
    pub taken_at: Option<i64>,
    pub thumbnail: Option<i64>,
    pub preview: Option<i64>,
    pub file_name: Option<String>,
    pub file_modified_at: Option<i64>,
}

/// Checks and normalises what the client declared about the item.
pub(super) fn checked(request: &api::NewUpload, rules: &UploadRules) -> ServiceResult<Declared> {
    let sha256 = request.sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("sha256 must be 64 hexadecimal digits."));
    }
    if request.size <= 0 || request.size > rules.max_object_bytes {
        return Err(invalid(format!(
            "size must be between 1 and {} bytes.",
            rules.max_object_bytes
        )));
    }
    // Only a hint (the bytes decide at completion), but a type that can carry script
    // is refused at once.
    let content_type = request.content_type.trim().to_ascii_lowercase();
    let plausible_type = content_type.len() <= 100
        && !["svg", "xml", "html", "script"]
            .iter()
            .any(|word| content_type.contains(word))
        && content_type.split_once('/').is_some_and(|(kind, sub)| {
            matches!(kind, "image" | "video")
                && !sub.is_empty()
                && sub
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
    if !plausible_type {
        return Err(invalid(
            "content_type must be a photo or video type (image/… or video/…, not SVG).",
        ));
    }
    for side in [request.width, request.height].into_iter().flatten() {
        if !(1..=1_000_000).contains(&side) {
            return Err(invalid("width and height must be between 1 and 1,000,000."));
        }
    }
    let taken_at = declared_time("taken_at", request.taken_at.as_deref())?;
    let file_name = request
        .file_name
        .as_deref()
        .map(crate::library::checked_file_name)
        .transpose()?;
    let file_modified_at = declared_time("file_modified_at", request.file_modified_at.as_deref())?;
    let (mut thumbnail, mut preview) = (None, None);
    for variant in &request.variants {
        let slot = match variant.name {
            ObjectName::Thumbnail => &mut thumbnail,
            ObjectName::Preview => &mut preview,
            // The web copy is the server's own work, never sent.
            ObjectName::Original | ObjectName::WebCopy => {
                return Err(invalid("variants may only be named thumbnail and preview."));
            }
        };
        if slot.is_some() {
            return Err(invalid(format!(
                "the {} variant is listed twice.",
                variant.name
            )));
        }
        if variant.size <= 0 || variant.size > MAX_VARIANT_BYTES {
            return Err(invalid(format!(
                "a variant's size must be between 1 and {MAX_VARIANT_BYTES} bytes."
            )));
        }
        *slot = Some(variant.size);
    }
    Ok(Declared {
        sha256,
        taken_at,
        thumbnail,
        preview,
        file_name,
        file_modified_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::Semaphore;

    fn request() -> api::NewUpload {
        api::NewUpload {
            album_id: "a".into(),
            sha256: "ab".repeat(32),
            size: 1000,
            content_type: "image/jpeg".into(),
            taken_at: Some("2024-05-01T10:00:00+02:00".into()),
            width: Some(4000),
            height: Some(3000),
            variants: vec![api::VariantSize {
                name: ObjectName::Thumbnail,
                size: 10,
            }],
            file_name: Some("IMG_0042.JPG".into()),
            file_modified_at: Some("2024-05-01T10:00:05Z".into()),
        }
    }

    #[test]
    fn declared_items_are_checked_before_anything_is_held() {
        let rules = UploadRules {
            max_object_bytes: 10_000,
            ttl: Duration::from_secs(60),
            url_ttl: Duration::from_secs(30),
            verifying: Semaphore::new(1),
            multipart_threshold: 5_000,
            part_size: 1_000,
        };
        assert_eq!(
            checked(&request(), &rules).unwrap(),
            Declared {
                sha256: "ab".repeat(32),
                taken_at: Some(1_714_550_400_000),
                thumbnail: Some(10),
                preview: None,
                file_name: Some("IMG_0042.JPG".into()),
                file_modified_at: Some(1_714_557_605_000),
            }
        );
        type Breakage = Box<dyn Fn(&mut api::NewUpload)>;
        let broken: Vec<Breakage> = vec![
            Box::new(|r| r.sha256 = "xyz".into()),
            Box::new(|r| r.size = -1),
            Box::new(|r| r.size = 0),
            Box::new(|r| r.size = 10_001),
            Box::new(|r| r.content_type = "text/html".into()),
            Box::new(|r| r.content_type = "image/<script>".into()),
            Box::new(|r| r.content_type = "image/svg+xml".into()),
            Box::new(|r| r.content_type = "Image/SVG+XML".into()),
            Box::new(|r| r.width = Some(0)),
            Box::new(|r| r.taken_at = Some("yesterday".into())),
            Box::new(|r| r.file_modified_at = Some("last week".into())),
            Box::new(|r| r.file_name = Some("../../etc/passwd".into())),
            Box::new(|r| r.file_name = Some("Holiday/IMG_1.JPG".into())),
            Box::new(|r| r.file_name = Some("C:\\photos\\IMG_1.JPG".into())),
            Box::new(|r| r.file_name = Some("..".into())),
            Box::new(|r| r.file_name = Some(String::new())),
            Box::new(|r| r.file_name = Some("a".repeat(256))),
            Box::new(|r| r.file_name = Some("IMG\u{0}.JPG".into())),
            Box::new(|r| r.file_name = Some("gpj.\u{202E}exe".into())),
            Box::new(|r| {
                r.variants.push(api::VariantSize {
                    name: ObjectName::Thumbnail,
                    size: 5,
                })
            }),
            Box::new(|r| r.variants[0].name = ObjectName::Original),
            Box::new(|r| r.variants[0].size = i64::MAX),
        ];
        for (i, breaks) in broken.iter().enumerate() {
            let mut r = request();
            breaks(&mut r);
            assert!(checked(&r, &rules).is_err(), "case {i} was accepted");
        }
    }
}
