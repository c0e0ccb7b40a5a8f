//! Presigned PUT addresses, signed here with AWS Signature Version 4 (query-string form).
//!
//! The SDK's presigning runs its whole request pipeline for every address (endpoint
//! rules, interceptors, a request built and thrown away). A reservation presigns three
//! addresses, and under `cargo xtask bench server` that pipeline was a fifth of the
//! server's CPU. What is signed here is exactly what the SDK signs: the tests compare
//! both, signature for signature, on the same inputs.
//!
//! Where an address points (scheme, host, path-style or virtual-host bucket) stays the
//! SDK's decision: it presigns one probe key once ([`Base::from_probe`]), and every
//! other key's address is that one with the key put in its place.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::Presigned;

/// The key presigned through the SDK to learn where addresses point.
pub(super) const PROBE_KEY: &str = "picup-presign-probe";

/// What SigV4 leaves unencoded in a query component: letters, digits and `-_.~`.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same for an object key in the path, where `/` separates segments.
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// The address of the bucket, learnt from the SDK: everything before the key.
#[derive(Debug, Clone)]
pub(super) struct Base {
    /// `scheme://authority`.
    origin: String,
    /// The `host` header: the authority, port included when the address has one.
    host: String,
    /// The path up to the key, ending in `/` (`/bucket/` path-style, `/` otherwise).
    path: String,
}

impl Base {
    /// Reads the base out of the SDK's address for [`PROBE_KEY`].
    pub(super) fn from_probe(url: &str) -> Option<Base> {
        let uri: http::Uri = url.parse().ok()?;
        let path = uri.path().strip_suffix(PROBE_KEY)?;
        if !path.ends_with('/') {
            return None;
        }
        let authority = uri.authority()?.as_str();
        Some(Base {
            origin: format!("{}://{authority}", uri.scheme_str()?),
            host: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// One address to sign.
pub(super) struct PutRequest<'a> {
    pub key: &'a str,
    pub size: i64,
    pub content_type: Option<&'a str>,
    /// Base64 SHA-256 the store must check the bytes against.
    pub checksum_sha256: Option<&'a str>,
    /// `(upload id, part number)` for one part of a multipart upload.
    pub part: Option<(&'a str, i32)>,
    pub valid_for: Duration,
    pub signed_at: SystemTime,
}

/// The credentials and the day's signing key.
pub(super) struct Signer {
    access_key_id: String,
    secret_access_key: String,
    region: String,
    /// `(yyyymmdd, key)`: the key is derived from the secret by four HMACs and changes
    /// only with the date.
    day_key: Mutex<Option<(String, [u8; 32])>>,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl Signer {
    pub(super) fn new(access_key_id: &str, secret_access_key: &str, region: &str) -> Signer {
        Signer {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            region: region.to_owned(),
            day_key: Mutex::new(None),
        }
    }

    fn key_for(&self, day: &str) -> [u8; 32] {
        let mut cached = self.day_key.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached_day, key)) = cached.as_ref()
            && cached_day == day
        {
            return *key;
        }
        let secret = format!("AWS4{}", self.secret_access_key);
        let key = [self.region.as_bytes(), b"s3", b"aws4_request"]
            .iter()
            .fold(hmac(secret.as_bytes(), day.as_bytes()), |key, part| {
                hmac(&key, part)
            });
        *cached = Some((day.to_owned(), key));
        key
    }

    /// The signed PUT address for `request` under `base`, and the headers the client
    /// must send with it.
    pub(super) fn presign(&self, base: &Base, request: &PutRequest<'_>) -> Presigned {
        let time: DateTime<Utc> = request.signed_at.into();
        let stamp = time.format("%Y%m%dT%H%M%SZ").to_string();
        let day = &stamp[..8];
        let scope = format!("{day}/{}/s3/aws4_request", self.region);

        // Headers, sorted by name: every one the client sends is signed.
        let size = request.size.to_string();
        let mut headers: Vec<(&str, &str)> = vec![("content-length", &size)];
        if let Some(content_type) = request.content_type {
            headers.push(("content-type", content_type));
        }
        headers.push(("host", &base.host));
        if let Some(checksum) = request.checksum_sha256 {
            headers.push(("x-amz-checksum-sha256", checksum));
        }
        let signed_headers = headers
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(";");

        // The SDK names the operation in every address, first: kept, in the same order,
        // because SeaweedFS answers a presigned PUT whose `x-id` comes after the
        // `X-Amz-…` parameters with a 500 (the signature is the same either way).
        let mut query: Vec<(&str, String)> = match request.part {
            Some((upload_id, number)) => vec![
                ("x-id", "UploadPart".to_owned()),
                ("partNumber", number.to_string()),
                ("uploadId", upload_id.to_owned()),
            ],
            None => vec![("x-id", "PutObject".to_owned())],
        };
        query.extend([
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            (
                "X-Amz-Credential",
                format!("{}/{scope}", self.access_key_id),
            ),
            ("X-Amz-Date", stamp.clone()),
            ("X-Amz-Expires", request.valid_for.as_secs().to_string()),
            ("X-Amz-SignedHeaders", signed_headers.clone()),
        ]);
        let encoded: Vec<String> = query
            .iter()
            .map(|(name, value)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(name, QUERY),
                    utf8_percent_encode(value, QUERY)
                )
            })
            .collect();
        let in_order = encoded.join("&");
        let mut sorted = encoded;
        sorted.sort_unstable();
        let canonical_query = sorted.join("&");

        let path = format!("{}{}", base.path, utf8_percent_encode(request.key, PATH));
        let canonical_headers: String = headers
            .iter()
            .map(|(name, value)| format!("{name}:{}\n", canonical_value(value)))
            .collect();
        let canonical_request = format!(
            "PUT\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\nUNSIGNED-PAYLOAD"
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let signature = hex::encode(hmac(&self.key_for(day), string_to_sign.as_bytes()));

        Presigned {
            method: "PUT".to_owned(),
            url: format!(
                "{}{path}?{in_order}&X-Amz-Signature={signature}",
                base.origin
            ),
            headers: headers
                .into_iter()
                .filter(|(name, _)| *name != "host")
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }
}

/// A header value as SigV4 signs it: trimmed, inner runs of spaces made one.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
