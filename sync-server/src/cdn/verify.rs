//! Verifying, as CloudFront does at its edge: the key, the signature over the policy,
//! the resource, the times and the viewer's address.

use std::collections::HashMap;
use std::net::IpAddr;

use openssl::pkey::{PKey, Public};
use openssl::sign::Verifier;
use serde::Deserialize;

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
