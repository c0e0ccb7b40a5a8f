//! Signing: a custom policy bound to the viewer's network, with an expiry at the end
//! of the next window, and a cache so the same URL comes back within a window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::Signer;

use super::disposition::download_query;
use super::*;

/// Signs URLs for one key pair.
pub struct CdnSigner {
    key: PKey<Private>,
    key_pair_id: String,
    hash: HashAlgorithm,
    /// `https://cdn.example.org` or the server's own address; objects are `/cdn/<key>`
    /// below it.
    base_url: String,
    window: Duration,
    pub(super) cache: Mutex<SignatureCache>,
    /// URLs kept per window at most; past it the cache starts over, so memory stays
    /// bounded however many viewers and photos a window sees (about 300 bytes each, 600
    /// for a download's).
    pub(super) max_cached: usize,
}

#[derive(Default)]
pub(super) struct SignatureCache {
    window: u64,
    /// (viewer network, object key with any signed query) → URL.
    pub(super) urls: HashMap<(String, String), String>,
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
        self.sign_resource(object_key, None, viewer, now_secs)
    }

    /// A URL for `object_key` that works from anywhere until `expires` (seconds since
    /// 1970), for a link preview: the chat app that fetches it is not the viewer. Not
    /// cached; made once per family page.
    pub fn sign_for_anyone(&self, object_key: &str, expires: u64) -> String {
        let resource = self.resource_url(object_key);
        let policy = custom_policy(&resource, expires, None);
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
        self.cache.lock().expect("signer cache").signatures_made += 1;
        url
    }

    /// Like [`CdnSigner::sign`], for the object as a download saved under `file_name`:
    /// the URL carries `response-content-disposition` (see `disposition`), which its
    /// policy covers as CloudFront's does, so the name cannot be changed.
    pub fn sign_download(
        &self,
        object_key: &str,
        file_name: &str,
        viewer: IpAddr,
        now_secs: u64,
    ) -> String {
        let query = download_query(file_name);
        self.sign_resource(object_key, Some(&query), viewer, now_secs)
    }

    /// Signs the object's URL with `query` (parameters that are part of the resource).
    fn sign_resource(
        &self,
        object_key: &str,
        query: Option<&str>,
        viewer: IpAddr,
        now_secs: u64,
    ) -> String {
        let window_secs = self.window.as_secs();
        let window = now_secs / window_secs;
        let network = viewer_network(viewer);
        let signed_part = match query {
            Some(query) => format!("{object_key}?{query}"),
            None => object_key.to_owned(),
        };
        let cache_key = (network.clone(), signed_part);
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
        let mut resource = self.resource_url(object_key);
        if let Some(query) = query {
            resource.push('?');
            resource.push_str(query);
        }
        let policy = custom_policy(&resource, expires, Some(&network));
        let signature = self.signature(policy.as_bytes());
        let mut url = format!(
            "{resource}{}Policy={}&Signature={}&Key-Pair-Id={}",
            if query.is_some() { '&' } else { '?' },
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
