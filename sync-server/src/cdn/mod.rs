//! CloudFront-format signed URLs: signing (for the album pages and share links) and
//! verifying (for the embedded edge route, `/cdn/{key}`).
//!
//! The format is Amazon CloudFront's, so a production install can put CloudFront in front
//! of the bucket with no code change:
//! - a custom policy, `{"Statement":[{"Resource":R,"Condition":{"DateLessThan":
//!   {"AWS:EpochTime":E},"IpAddress":{"AWS:SourceIp":"a.b.c.d/32"}}}]}`, compact JSON;
//! - or a canned policy (`Expires=E`), whose text is rebuilt from the URL;
//! - `Policy`, `Signature` and `Key-Pair-Id` query parameters in CloudFront's URL-safe
//!   base64 (`+`→`-`, `=`→`_`, `/`→`~`);
//! - RSA PKCS#1 v1.5 over SHA-1 (the classic scheme), or SHA-256 with
//!   `Hash-Algorithm=SHA256`, for RSA and ECDSA P-256 keys.
//!
//! Signing and verifying use OpenSSL (constant-time RSA with blinding; the pure-Rust `rsa`
//! crate has a known timing side channel, RUSTSEC-2023-0071).
//!
//! Signatures are cached per (viewer network, object, time window) and expire at the end
//! of the window after next, so a page of 100 photos costs almost no signing and the same
//! URL comes back while the window lasts: the browser's cache works.
//!
//! The edge checks each signature's RSA or ECDSA arithmetic once and remembers the good
//! ones (`verified`); the resource, times and viewer address are checked on every request.
//!
//! Query parameters other than the signature's are part of the signed resource, as on
//! CloudFront (`https://host/cdn/KEY?response-content-disposition=…` is what the policy
//! names); the only one used is the download name, from `disposition`.
//!
//! Here: the keys and the server's `Cdn`; `sign` makes URLs, `verify` checks them,
//! `verified` keeps the signatures found good.

mod disposition;
mod sign;
#[cfg(test)]
mod tests;
mod verified;
mod verify;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use openssl::hash::MessageDigest;
use std::net::IpAddr;

use openssl::pkey::PKey;

pub use sign::CdnSigner;
pub use verify::{CdnVerifier, Denied, SignedParams, SignedRequest, cidr_contains, wildcard_match};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the CDN key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the CDN key {path} is not an RSA or ECDSA P-256 key in PEM form: {message}")]
    Parse { path: String, message: String },
    #[error("cannot make a key: {0}")]
    Generate(String),
}

/// Which digest a signature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// CloudFront's classic scheme (RSA only); no `Hash-Algorithm` parameter.
    Sha1,
    /// `Hash-Algorithm=SHA256`; the only choice for ECDSA keys.
    Sha256,
}

impl HashAlgorithm {
    fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "SHA1",
            HashAlgorithm::Sha256 => "SHA256",
        }
    }

    fn digest(self) -> MessageDigest {
        match self {
            HashAlgorithm::Sha1 => MessageDigest::sha1(),
            HashAlgorithm::Sha256 => MessageDigest::sha256(),
        }
    }
}

/// CloudFront's URL-safe variant of standard base64.
pub fn cloudfront_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .replace('+', "-")
        .replace('=', "_")
        .replace('/', "~")
}

pub fn cloudfront_base64_decode(text: &str) -> Option<Vec<u8>> {
    let standard = text.replace('-', "+").replace('_', "=").replace('~', "/");
    base64::engine::general_purpose::STANDARD
        .decode(standard)
        .ok()
}

/// The viewer network a URL is bound to: the address as /32, or its /64 for IPv6 (phones
/// move between addresses inside their /64).
pub fn viewer_network(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("{v4}/32"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("{v4}/32"),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                format!("{}/64", std::net::Ipv6Addr::from(segments))
            }
        },
    }
}

/// The custom policy text, compact, exactly as CloudFront expects it.
pub fn custom_policy(resource: &str, expires: u64, source_ip: Option<&str>) -> String {
    let resource = serde_json::to_string(resource).expect("a string serialises");
    match source_ip {
        Some(ip) => format!(
            "{{\"Statement\":[{{\"Resource\":{resource},\"Condition\":{{\"DateLessThan\":\
             {{\"AWS:EpochTime\":{expires}}},\"IpAddress\":{{\"AWS:SourceIp\":\"{ip}\"}}}}}}]}}"
        ),
        None => format!(
            "{{\"Statement\":[{{\"Resource\":{resource},\"Condition\":{{\"DateLessThan\":\
             {{\"AWS:EpochTime\":{expires}}}}}}}]}}"
        ),
    }
}

/// The canned policy text for `resource` (what a URL with `Expires=` was signed over).
pub fn canned_policy(resource: &str, expires: u64) -> String {
    custom_policy(resource, expires, None)
}

/// Generates an RSA-2048 key pair: (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM,
/// the form CloudFront's key groups take).
pub fn generate_rsa_pem() -> Result<(String, String), KeyError> {
    let generate = || -> Result<(String, String), openssl::error::ErrorStack> {
        let rsa = openssl::rsa::Rsa::generate(2048)?;
        let key = PKey::from_rsa(rsa)?;
        let private = String::from_utf8_lossy(&key.private_key_to_pem_pkcs8()?).into_owned();
        let public = String::from_utf8_lossy(&key.public_key_to_pem()?).into_owned();
        Ok((private, public))
    };
    generate().map_err(|e| KeyError::Generate(e.to_string()))
}

/// A key pair id in CloudFront's style: `K` and 13 upper-case letters and digits.
pub fn new_key_pair_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bytes = [0u8; 13];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("K{tail}")
}

fn read_pem(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a new RSA-2048 key pair into `dir` (made 0700 if new) as `cdn-private.pem`
/// (readable by its owner only) and `cdn-public.pem`, and returns a new key pair id.
pub fn write_key_files(dir: &Path) -> Result<String, KeyError> {
    let io = |source: std::io::Error| KeyError::Read {
        path: dir.display().to_string(),
        source,
    };
    {
        use std::os::unix::fs::DirBuilderExt;
        // A directory made here is private; an existing one is the operator's choice.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    let (private, public) = generate_rsa_pem()?;
    let private_path = dir.join(PRIVATE_KEY_FILE);
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&private_path)
            .map_err(io)?;
        file.write_all(private.as_bytes()).map_err(io)?;
    }
    std::fs::write(dir.join(PUBLIC_KEY_FILE), public).map_err(io)?;
    Ok(new_key_pair_id())
}

pub const PRIVATE_KEY_FILE: &str = "cdn-private.pem";
pub const PUBLIC_KEY_FILE: &str = "cdn-public.pem";
const KEY_PAIR_ID_FILE: &str = "cdn-key-pair-id";

/// The server's CDN: how it signs URLs and which signatures its edge accepts.
pub struct Cdn {
    /// Signs URLs for the account's own devices.
    pub signer: CdnSigner,
    /// The same key with a shorter window, for URLs handed out through share links: they
    /// stop working soon after a link is revoked.
    pub share_signer: CdnSigner,
    pub verifier: CdnVerifier,
}

impl Cdn {
    /// The key the config names; or, with a data directory and no key configured, one
    /// made on first start and kept in the data directory; or none (no signed URLs).
    pub fn open(
        config: &crate::config::Config,
        default_base_url: &str,
    ) -> Result<Option<Cdn>, KeyError> {
        let base_url = config.cdn_base_url.as_deref().unwrap_or(default_base_url);
        let window = Duration::from_secs(config.cdn_url_window_secs);
        let (key_file, key_pair_id) = match (
            &config.cdn_private_key,
            &config.cdn_key_pair_id,
            &config.data_dir,
        ) {
            (Some(file), Some(id), _) => (file.clone(), id.clone()),
            (Some(file), None, _) => {
                return Err(KeyError::Parse {
                    path: file.display().to_string(),
                    message: "cdn_key_pair_id must be set along with cdn_private_key".into(),
                });
            }
            (None, _, Some(dir)) => {
                let id_file = dir.join(KEY_PAIR_ID_FILE);
                let id = match std::fs::read_to_string(&id_file) {
                    Ok(id) => id.trim().to_owned(),
                    Err(_) => {
                        let id = write_key_files(dir)?;
                        std::fs::write(&id_file, &id).map_err(|source| KeyError::Read {
                            path: id_file.display().to_string(),
                            source,
                        })?;
                        tracing::info!(key = %dir.join(PRIVATE_KEY_FILE).display(), key_pair_id = %id,
                            "made a CDN signing key for this installation");
                        id
                    }
                };
                (dir.join(PRIVATE_KEY_FILE), id)
            }
            (None, _, None) => return Ok(None),
        };
        let signer = CdnSigner::from_file(&key_file, &key_pair_id, base_url, window)?;
        let share_window = Duration::from_secs(config.share_url_window_secs);
        let share_signer = CdnSigner::from_file(&key_file, &key_pair_id, base_url, share_window)?;
        let mut verifier = CdnVerifier::new();
        verifier.trust(&key_pair_id, signer.public_key());
        Ok(Some(Cdn {
            signer,
            share_signer,
            verifier,
        }))
    }
}
