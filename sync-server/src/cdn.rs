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

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use serde::Deserialize;

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

/// Signs URLs for one key pair.
pub struct CdnSigner {
    key: PKey<Private>,
    key_pair_id: String,
    hash: HashAlgorithm,
    /// `https://cdn.example.org` or the server's own address; objects are `/cdn/<key>`
    /// below it.
    base_url: String,
    window: Duration,
    cache: Mutex<SignatureCache>,
    /// URLs kept per window at most; past it the cache starts over, so memory stays
    /// bounded however many viewers and photos a window sees (about 300 bytes each).
    max_cached: usize,
}

#[derive(Default)]
struct SignatureCache {
    window: u64,
    urls: HashMap<(String, String), String>,
    signatures_made: u64,
}

impl CdnSigner {
    pub fn from_pem(
        pem: &[u8],
        key_pair_id: &str,
        base_url: &str,
        window: Duration,
    ) -> Result<CdnSigner, KeyError> {
        let key = PKey::private_key_from_pem(pem).map_err(|e| KeyError::Parse {
            path: "(given)".into(),
            message: e.to_string(),
        })?;
        let hash = match key.id() {
            Id::RSA => HashAlgorithm::Sha1,
            Id::EC => HashAlgorithm::Sha256,
            _ => {
                return Err(KeyError::Parse {
                    path: "(given)".into(),
                    message: "only RSA and ECDSA keys can sign CloudFront URLs".into(),
                });
            }
        };
        Ok(CdnSigner {
            key,
            key_pair_id: key_pair_id.to_owned(),
            hash,
            base_url: base_url.trim_end_matches('/').to_owned(),
            window: window.max(Duration::from_secs(60)),
            cache: Mutex::new(SignatureCache::default()),
            max_cached: 200_000,
        })
    }

    pub fn from_file(
        path: &Path,
        key_pair_id: &str,
        base_url: &str,
        window: Duration,
    ) -> Result<CdnSigner, KeyError> {
        let pem = read_pem(path)?;
        CdnSigner::from_pem(&pem, key_pair_id, base_url, window).map_err(|e| match e {
            KeyError::Parse { message, .. } => KeyError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Uses SHA-256 even for an RSA key (`Hash-Algorithm=SHA256`).
    pub fn with_sha256(mut self) -> CdnSigner {
        self.hash = HashAlgorithm::Sha256;
        self
    }

    /// `scheme://host[:port]` of the signed URLs, for a page's Content-Security-Policy.
    pub fn origin(&self) -> String {
        match self.base_url.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.split('/').next().unwrap_or_default())
            }
            None => self.base_url.clone(),
        }
    }

    pub fn resource_url(&self, object_key: &str) -> String {
        format!("{}/cdn/{}", self.base_url, object_key)
    }

    /// How many signatures this signer has computed (the cache's misses).
    pub fn signatures_made(&self) -> u64 {
        self.cache.lock().expect("signer cache").signatures_made
    }

    fn signature(&self, text: &[u8]) -> Vec<u8> {
        let mut signer =
            Signer::new(self.hash.digest(), &self.key).expect("OpenSSL makes a signer for our key");
        signer.update(text).expect("hashing cannot fail");
        signer
            .sign_to_vec()
            .expect("signing with a valid key cannot fail")
    }

    /// A URL for `object_key` that works only from `viewer`'s network and only until the
    /// end of the window after the current one (`now_secs` is seconds since 1970).
    pub fn sign(&self, object_key: &str, viewer: IpAddr, now_secs: u64) -> String {
        let window_secs = self.window.as_secs();
        let window = now_secs / window_secs;
        let network = viewer_network(viewer);
        let cache_key = (network.clone(), object_key.to_owned());
        {
            let mut cache = self.cache.lock().expect("signer cache");
            if cache.window != window {
                cache.window = window;
                cache.urls.clear();
            }
            if let Some(url) = cache.urls.get(&cache_key) {
                return url.clone();
            }
        }
        let expires = (window + 2) * window_secs;
        let resource = self.resource_url(object_key);
        let policy = custom_policy(&resource, expires, Some(&network));
        let signature = self.signature(policy.as_bytes());
        let mut url = format!(
            "{resource}?Policy={}&Signature={}&Key-Pair-Id={}",
            cloudfront_base64(policy.as_bytes()),
            cloudfront_base64(&signature),
            self.key_pair_id
        );
        if self.hash == HashAlgorithm::Sha256 {
            url.push_str("&Hash-Algorithm=SHA256");
        }
        let mut cache = self.cache.lock().expect("signer cache");
        cache.signatures_made += 1;
        if cache.window == window {
            if cache.urls.len() >= self.max_cached {
                cache.urls.clear();
            }
            cache.urls.insert(cache_key, url.clone());
        }
        url
    }

    /// The public half of this signer's key, for the edge.
    pub fn public_key(&self) -> PKey<Public> {
        let der = self
            .key
            .public_key_to_der()
            .expect("a private key has a public half");
        PKey::public_key_from_der(&der).expect("OpenSSL reads what it wrote")
    }
}

/// Why the edge refused a request. Never shown to the requester in detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("the signature parameters are missing or malformed")]
    Malformed,
    #[error("unknown key pair id")]
    UnknownKey,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the policy does not cover this address")]
    WrongResource,
    #[error("the URL has expired")]
    Expired,
    #[error("the URL is not valid yet")]
    NotYetValid,
    #[error("the URL is for another viewer address")]
    WrongAddress,
}

/// The query parameters of a signed URL.
#[derive(Debug, Default, Deserialize)]
pub struct SignedParams {
    #[serde(rename = "Policy")]
    pub policy: Option<String>,
    #[serde(rename = "Expires")]
    pub expires: Option<String>,
    #[serde(rename = "Signature")]
    pub signature: Option<String>,
    #[serde(rename = "Key-Pair-Id")]
    pub key_pair_id: Option<String>,
    #[serde(rename = "Hash-Algorithm")]
    pub hash_algorithm: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Policy {
    #[serde(rename = "Statement")]
    statement: Vec<Statement>,
}

#[derive(Debug, Deserialize)]
struct Statement {
    #[serde(rename = "Resource")]
    resource: Option<String>,
    #[serde(rename = "Condition")]
    condition: Conditions,
}

#[derive(Debug, Deserialize)]
struct Conditions {
    #[serde(rename = "DateLessThan")]
    date_less_than: EpochTime,
    #[serde(rename = "DateGreaterThan")]
    date_greater_than: Option<EpochTime>,
    #[serde(rename = "IpAddress")]
    ip_address: Option<SourceIp>,
}

#[derive(Debug, Deserialize)]
struct EpochTime {
    #[serde(rename = "AWS:EpochTime")]
    epoch: u64,
}

#[derive(Debug, Deserialize)]
struct SourceIp {
    #[serde(rename = "AWS:SourceIp")]
    source_ip: String,
}

/// Verifies signed URLs against the public keys it trusts.
#[derive(Default)]
pub struct CdnVerifier {
    keys: HashMap<String, PKey<Public>>,
}

impl CdnVerifier {
    pub fn new() -> CdnVerifier {
        CdnVerifier::default()
    }

    pub fn trust(&mut self, key_pair_id: &str, key: PKey<Public>) {
        self.keys.insert(key_pair_id.to_owned(), key);
    }

    /// Checks a request for `resource` (the full URL without its query) from `viewer` at
    /// `now_secs`. Returns the time the grant ends (seconds since 1970).
    pub fn verify(
        &self,
        resource: &str,
        params: &SignedParams,
        viewer: IpAddr,
        now_secs: u64,
    ) -> Result<u64, Denied> {
        let key_id = params.key_pair_id.as_deref().ok_or(Denied::Malformed)?;
        let key = self.keys.get(key_id).ok_or(Denied::UnknownKey)?;
        let signature = params
            .signature
            .as_deref()
            .and_then(cloudfront_base64_decode)
            .ok_or(Denied::Malformed)?;
        let hash = match params.hash_algorithm.as_deref() {
            None | Some("SHA1") => HashAlgorithm::Sha1,
            Some("SHA256") => HashAlgorithm::Sha256,
            Some(_) => return Err(Denied::Malformed),
        };
        let (policy_text, canned) = match (&params.policy, &params.expires) {
            (Some(policy), None) => (
                cloudfront_base64_decode(policy).ok_or(Denied::Malformed)?,
                false,
            ),
            (None, Some(expires)) => {
                let expires: u64 = expires.parse().map_err(|_| Denied::Malformed)?;
                (canned_policy(resource, expires).into_bytes(), true)
            }
            _ => return Err(Denied::Malformed),
        };
        let mut verifier = Verifier::new(hash.digest(), key).map_err(|_| Denied::Malformed)?;
        verifier
            .update(&policy_text)
            .map_err(|_| Denied::Malformed)?;
        if !verifier.verify(&signature).unwrap_or(false) {
            return Err(Denied::BadSignature);
        }
        let policy: Policy = serde_json::from_slice(&policy_text).map_err(|_| Denied::Malformed)?;
        let [statement] = policy.statement.as_slice() else {
            return Err(Denied::Malformed);
        };
        let covered = match &statement.resource {
            Some(pattern) => wildcard_match(pattern, resource),
            None => canned,
        };
        if !covered {
            return Err(Denied::WrongResource);
        }
        let conditions = &statement.condition;
        if now_secs >= conditions.date_less_than.epoch {
            return Err(Denied::Expired);
        }
        if let Some(start) = &conditions.date_greater_than
            && now_secs <= start.epoch
        {
            return Err(Denied::NotYetValid);
        }
        if let Some(ip) = &conditions.ip_address
            && !cidr_contains(&ip.source_ip, viewer)
        {
            return Err(Denied::WrongAddress);
        }
        Ok(conditions.date_less_than.epoch)
    }
}

/// CloudFront's resource patterns: `*` matches any run of characters, `?` one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `address` is inside `cidr` (`a.b.c.d/nn`, an IPv6 prefix, or a bare address).
pub fn cidr_contains(cidr: &str, address: IpAddr) -> bool {
    let (network, bits) = match cidr.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(network) = network.parse::<IpAddr>() else {
        return false;
    };
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    };
    match (network, address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> CdnSigner {
        let (private, _) = generate_rsa_pem().unwrap();
        CdnSigner::from_pem(
            private.as_bytes(),
            "KTESTKEY",
            "http://edge.test",
            Duration::from_secs(3600),
        )
        .unwrap()
    }

    fn params_of(url: &str) -> (String, SignedParams) {
        let (resource, query) = url.split_once('?').unwrap();
        (resource.to_owned(), serde_urlencoded_like(query))
    }

    fn serde_urlencoded_like(query: &str) -> SignedParams {
        let mut params = SignedParams::default();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            let v = Some(v.to_owned());
            match k {
                "Policy" => params.policy = v,
                "Expires" => params.expires = v,
                "Signature" => params.signature = v,
                "Key-Pair-Id" => params.key_pair_id = v,
                "Hash-Algorithm" => params.hash_algorithm = v,
                _ => {}
            }
        }
        params
    }

    #[test]
    fn a_signed_url_verifies_only_for_its_viewer_object_and_time() {
        let signer = signer();
        let mut verifier = CdnVerifier::new();
        verifier.trust("KTESTKEY", signer.public_key());
        let viewer: IpAddr = "203.0.113.7".parse().unwrap();
        let now = 1_750_000_000;
        let url = signer.sign("abc/original", viewer, now);
        let (resource, params) = params_of(&url);
        assert_eq!(resource, "http://edge.test/cdn/abc/original");
        let ends = verifier.verify(&resource, &params, viewer, now).unwrap();
        assert!(ends > now + 3600 && ends <= now + 7200);
        let stranger: IpAddr = "203.0.113.8".parse().unwrap();
        assert_eq!(
            verifier.verify(&resource, &params, stranger, now),
            Err(Denied::WrongAddress)
        );
        assert_eq!(
            verifier.verify(&resource, &params, viewer, ends),
            Err(Denied::Expired)
        );
        assert_eq!(
            verifier.verify("http://edge.test/cdn/abc/preview", &params, viewer, now),
            Err(Denied::WrongResource)
        );
        let mut tampered = serde_urlencoded_like(url.split_once('?').unwrap().1);
        let mut signature = tampered.signature.take().unwrap();
        let last = signature.pop().unwrap();
        signature.push(if last == 'A' { 'B' } else { 'A' });
        tampered.signature = Some(signature);
        assert!(verifier.verify(&resource, &tampered, viewer, now).is_err());
        let mut unknown = serde_urlencoded_like(url.split_once('?').unwrap().1);
        unknown.key_pair_id = Some("KOTHER".into());
        assert_eq!(
            verifier.verify(&resource, &unknown, viewer, now),
            Err(Denied::UnknownKey)
        );
    }

    #[test]
    fn the_same_url_comes_back_within_a_window_without_signing_again() {
        let signer = signer();
        let viewer: IpAddr = "198.51.100.1".parse().unwrap();
        let first = signer.sign("k/thumbnail", viewer, 7_200);
        assert_eq!(signer.sign("k/thumbnail", viewer, 7_300), first);
        assert_eq!(signer.signatures_made(), 1);
        assert_ne!(
            signer.sign("k/thumbnail", viewer, 10_800),
            first,
            "a new window"
        );
        assert_ne!(
            signer.sign("k/thumbnail", "198.51.100.2".parse().unwrap(), 10_800),
            first
        );
        assert_eq!(signer.signatures_made(), 3);
    }

    #[test]
    fn the_cache_stays_within_its_bound() {
        let mut signer = signer();
        signer.max_cached = 10;
        let viewer: IpAddr = "198.51.100.1".parse().unwrap();
        for n in 0..25 {
            signer.sign(&format!("{n}/thumbnail"), viewer, 7_200);
        }
        assert!(signer.cache.lock().unwrap().urls.len() <= 10);
        let again = signer.sign("24/thumbnail", viewer, 7_200);
        assert_eq!(
            signer.signatures_made(),
            25,
            "recent URLs still come from the cache"
        );
        assert!(again.contains("/cdn/24/thumbnail?"));
    }

    #[test]
    fn ecdsa_keys_and_sha256_verify_too() {
        let group =
            openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
        let pem = key.private_key_to_pem_pkcs8().unwrap();
        let signer =
            CdnSigner::from_pem(&pem, "KEC", "http://edge.test", Duration::from_secs(600)).unwrap();
        let mut verifier = CdnVerifier::new();
        verifier.trust("KEC", signer.public_key());
        let viewer: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let url = signer.sign("x/original", viewer, 1_000_000);
        assert!(url.ends_with("&Hash-Algorithm=SHA256"));
        let (resource, params) = params_of(&url);
        let same_64: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert!(
            verifier
                .verify(&resource, &params, same_64, 1_000_000)
                .is_ok(),
            "IPv6 binds the /64"
        );
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(
            verifier.verify(&resource, &params, other_64, 1_000_000),
            Err(Denied::WrongAddress)
        );
    }

    #[test]
    fn rsa_keys_can_sign_with_sha256_too() {
        let signer = signer().with_sha256();
        let mut verifier = CdnVerifier::new();
        verifier.trust("KTESTKEY", signer.public_key());
        let viewer: IpAddr = "192.0.2.1".parse().unwrap();
        let url = signer.sign("y/preview", viewer, 5_000_000);
        assert!(url.ends_with("&Hash-Algorithm=SHA256"));
        let (resource, mut params) = params_of(&url);
        assert!(
            verifier
                .verify(&resource, &params, viewer, 5_000_000)
                .is_ok()
        );
        params.hash_algorithm = None;
        assert_eq!(
            verifier.verify(&resource, &params, viewer, 5_000_000),
            Err(Denied::BadSignature),
            "the digest named is the digest checked"
        );
    }

    #[test]
    fn patterns_networks_and_encoding_follow_cloudfront() {
        assert!(wildcard_match("http://a/cdn/*", "http://a/cdn/x/original"));
        assert!(wildcard_match(
            "http://a/cdn/?/original",
            "http://a/cdn/x/original"
        ));
        assert!(!wildcard_match("http://a/cdn/x", "http://a/cdn/xy"));
        assert!(cidr_contains("10.1.2.0/24", "10.1.2.200".parse().unwrap()));
        assert!(!cidr_contains("10.1.2.0/24", "10.1.3.1".parse().unwrap()));
        assert!(cidr_contains("0.0.0.0/0", "8.8.8.8".parse().unwrap()));
        assert_eq!(cloudfront_base64(&[0xfb, 0xff]), "-~8_");
        assert_eq!(cloudfront_base64_decode("-~8_").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(
            custom_policy("http://a/b", 5, Some("1.2.3.4/32")),
            r#"{"Statement":[{"Resource":"http://a/b","Condition":{"DateLessThan":{"AWS:EpochTime":5},"IpAddress":{"AWS:SourceIp":"1.2.3.4/32"}}}]}"#
        );
    }
}
