//! Verifying, as CloudFront does at its edge: the key, the signature over the policy,
//! the resource, the times and the viewer's address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use openssl::pkey::{PKey, Public};
use openssl::sign::Verifier;
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::disposition::DISPOSITION_PARAMETER;
use super::verified::{VerifiedSignatures, checked_bytes};
use super::*;

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
    #[error("the URL carries a parameter the edge does not take")]
    UnexpectedParameter,
}

/// The signature's own query parameters.
#[derive(Debug, Default)]
pub struct SignedParams {
    pub policy: Option<String>,
    pub expires: Option<String>,
    pub signature: Option<String>,
    pub key_pair_id: Option<String>,
    pub hash_algorithm: Option<String>,
}

/// A request's query, split as CloudFront splits it: the signature's parameters, and
/// the others, which were signed as part of the resource.
#[derive(Debug)]
pub struct SignedRequest {
    pub params: SignedParams,
    /// What the policy must cover: the object's URL, then `?` and the other parameters
    /// exactly as they came (order and encoding kept), if there are any.
    pub resource: String,
    /// The `Content-Disposition` the URL asks for, decoded; only trustworthy once the
    /// request is verified.
    pub disposition: Option<String>,
}

impl SignedRequest {
    /// Splits `raw_query` for the object at `object_url`. Besides the signature's
    /// parameters only `response-content-disposition` is taken: anything else (or an
    /// empty parameter) is what a CloudFront distribution would not pass on, so it is
    /// refused rather than ignored. A parameter given twice is refused too.
    pub fn parse(object_url: &str, raw_query: &str) -> Result<SignedRequest, Denied> {
        let mut params = SignedParams::default();
        let (mut signed_along, mut disposition) = (Vec::new(), None);
        let pairs = raw_query.split('&').filter(|_| !raw_query.is_empty());
        for pair in pairs {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match form_decode(name)?.as_str() {
                "Policy" => &mut params.policy,
                "Expires" => &mut params.expires,
                "Signature" => &mut params.signature,
                "Key-Pair-Id" => &mut params.key_pair_id,
                "Hash-Algorithm" => &mut params.hash_algorithm,
                DISPOSITION_PARAMETER => {
                    signed_along.push(pair);
                    &mut disposition
                }
                _ => return Err(Denied::UnexpectedParameter),
            };
            if slot.replace(form_decode(value)?).is_some() {
                return Err(Denied::Malformed);
            }
        }
        let resource = if signed_along.is_empty() {
            object_url.to_owned()
        } else {
            format!("{object_url}?{}", signed_along.join("&"))
        };
        Ok(SignedRequest {
            params,
            resource,
            disposition,
        })
    }
}

/// A query name or value as `application/x-www-form-urlencoded` reads it.
fn form_decode(text: &str) -> Result<String, Denied> {
    let spaced: std::borrow::Cow<str> = if text.contains('+') {
        text.replace('+', " ").into()
    } else {
        text.into()
    };
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| Denied::Malformed)
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

/// How many good signatures the verifier keeps in each of its two generations
/// (`verified`): a few thousand photos' worth of URLs, a few megabytes.
const VERIFIED_SIGNATURES_KEPT: usize = 8192;

/// Verifies signed URLs against the public keys it trusts.
pub struct CdnVerifier {
    keys: HashMap<String, PKey<Public>>,
    /// Signatures already found good, with their policy's statement.
    verified: VerifiedSignatures<Statement>,
}

impl Default for CdnVerifier {
    fn default() -> CdnVerifier {
        CdnVerifier {
            keys: HashMap::new(),
            verified: VerifiedSignatures::new(VERIFIED_SIGNATURES_KEPT),
        }
    }
}

impl CdnVerifier {
    pub fn new() -> CdnVerifier {
        CdnVerifier::default()
    }

    pub fn trust(&mut self, key_pair_id: &str, key: PKey<Public>) {
        self.keys.insert(key_pair_id.to_owned(), key);
        // A good signature under an id was good under that id's old key.
        self.verified.clear();
    }

    /// How many good signatures are kept (for tests).
    #[cfg(test)]
    pub(super) fn signatures_remembered(&self) -> usize {
        self.verified.len()
    }

    /// Checks a request for `resource` (the object's URL with the query signed along,
    /// [`SignedRequest::resource`]) from `viewer` at `now_secs`. Returns the time the
    /// grant ends (seconds since 1970).
    pub fn verify(
        &self,
        resource: &str,
        params: &SignedParams,
        viewer: IpAddr,
        now_secs: u64,
    ) -> Result<u64, Denied> {
        let key_id = params.key_pair_id.as_deref().ok_or(Denied::Malformed)?;
        let key = self.keys.get(key_id).ok_or(Denied::UnknownKey)?;
        let signature = params.signature.as_deref().ok_or(Denied::Malformed)?;
        let hash = match params.hash_algorithm.as_deref() {
            None | Some("SHA1") => HashAlgorithm::Sha1,
            Some("SHA256") => HashAlgorithm::Sha256,
            Some(_) => return Err(Denied::Malformed),
        };
        // Kept under the parameters as they came, so a remembered URL costs no decoding;
        // the same bytes written another way are just checked afresh.
        let policy = match (&params.policy, &params.expires) {
            (Some(policy), None) => SignedPolicy::Custom(policy),
            (None, Some(expires)) => SignedPolicy::Canned { expires, resource },
            _ => return Err(Denied::Malformed),
        };
        let checked = match policy {
            SignedPolicy::Custom(policy) => checked_bytes(&[
                key_id.as_bytes(),
                hash.name().as_bytes(),
                b"Policy",
                policy.as_bytes(),
                signature.as_bytes(),
            ]),
            SignedPolicy::Canned { expires, resource } => checked_bytes(&[
                key_id.as_bytes(),
                hash.name().as_bytes(),
                b"Expires",
                expires.as_bytes(),
                resource.as_bytes(),
                signature.as_bytes(),
            ]),
        };
        let statement = match self.verified.get(&checked) {
            Some(statement) => statement,
            None => {
                let signature = cloudfront_base64_decode(signature).ok_or(Denied::Malformed)?;
                let policy_text = match policy {
                    SignedPolicy::Custom(policy) => {
                        cloudfront_base64_decode(policy).ok_or(Denied::Malformed)?
                    }
                    SignedPolicy::Canned { expires, resource } => {
                        let expires: u64 = expires.parse().map_err(|_| Denied::Malformed)?;
                        canned_policy(resource, expires).into_bytes()
                    }
                };
                let statement = Arc::new(check_signature(key, hash, &policy_text, &signature)?);
                self.verified.remember(checked, statement.clone());
                statement
            }
        };
        let covered = match &statement.resource {
            Some(pattern) => wildcard_match(pattern, resource),
            None => matches!(policy, SignedPolicy::Canned { .. }),
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

/// The policy a URL's signature is over, as the URL gives it.
#[derive(Clone, Copy)]
enum SignedPolicy<'a> {
    /// `Policy=`, CloudFront's base64 of the policy's JSON.
    Custom(&'a str),
    /// `Expires=`: the policy is rebuilt from the resource and this time.
    Canned { expires: &'a str, resource: &'a str },
}

/// The signature over `policy_text`, checked with `key`; the policy's one statement if
/// it is good and well formed.
fn check_signature(
    key: &PKey<Public>,
    hash: HashAlgorithm,
    policy_text: &[u8],
    signature: &[u8],
) -> Result<Statement, Denied> {
    let mut verifier = Verifier::new(hash.digest(), key).map_err(|_| Denied::Malformed)?;
    verifier
        .update(policy_text)
        .map_err(|_| Denied::Malformed)?;
    if !verifier.verify(signature).unwrap_or(false) {
        return Err(Denied::BadSignature);
    }
    let policy: Policy = serde_json::from_slice(policy_text).map_err(|_| Denied::Malformed)?;
    let Ok([statement]) = <[Statement; 1]>::try_from(policy.statement) else {
        return Err(Denied::Malformed);
    };
    Ok(statement)
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
