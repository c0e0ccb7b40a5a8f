//! HTTPS by itself. The server answers TLS with whichever certificate is current:
//! one it obtained over ACME (Let's Encrypt, [`acme`]) or the operator's own files
//! ([`files`], reloaded when they change). A certificate is swapped in while connections
//! are open: the next handshake takes the new one, so renewing needs no restart.
//!
//! [`Certificates`] is the rustls certificate resolver that holds the current one and,
//! during an ACME TLS-ALPN-01 check, the short-lived answer shown only to a client that
//! asks for the `acme-tls/1` protocol. [`redirect`] is the plain-HTTP side on port 80:
//! HTTP-01 answers, and a redirect to HTTPS for everyone else.

pub mod acme;
pub mod files;
pub mod redirect;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The ALPN protocol of ACME's TLS-ALPN-01 check (RFC 8737). A connection that
/// negotiates it is closed after the handshake: it only wanted to see the answer.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Strict-Transport-Security on every HTTPS answer: browsers that have seen the server
/// once never try plain HTTP to it again for a year.
pub const HSTS: &str = "max-age=31536000";

/// Where the HTTPS certificate comes from.
#[derive(Debug, Clone)]
pub enum CertificateSource {
    /// Obtained and renewed over ACME for the server's domain.
    Acme(acme::AcmeSettings),
    /// The operator's files, reloaded when they change.
    Files(files::CertificateFiles),
}

/// The certificates a TLS handshake may be answered with.
#[derive(Default, Debug)]
pub struct Certificates {
    current: RwLock<Option<Arc<CertifiedKey>>>,
    /// TLS-ALPN-01 answers by server name, present only while a check is under way.
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl Certificates {
    pub fn new() -> Arc<Certificates> {
        Arc::default()
    }

    /// From the next handshake on, answer with `key`.
    pub fn set_current(&self, key: Arc<CertifiedKey>) {
        *self.current.write().expect("certificates") = Some(key);
    }

    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current.read().expect("certificates").clone()
    }

    pub fn set_challenge(&self, name: &str, key: Arc<CertifiedKey>) {
        self.challenges
            .write()
            .expect("certificates")
            .insert(name.to_ascii_lowercase(), key);
    }

    pub fn clear_challenge(&self, name: &str) {
        self.challenges
            .write()
            .expect("certificates")
            .remove(&name.to_ascii_lowercase());
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let wants_acme_answer = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if wants_acme_answer {
            let name = hello.server_name()?.to_ascii_lowercase();
            return self
                .challenges
                .read()
                .expect("certificates")
                .get(&name)
                .cloned();
        }
        self.current()
    }
}

/// The provider every TLS piece of the server uses, named rather than taken from a
/// process default (which panics when two providers are compiled in).
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// rustls's settings for the HTTPS listener: TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1, and
/// the ACME check's protocol (which only the answer certificate serves).
pub fn server_config(certificates: Arc<Certificates>) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .expect("the provider supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(certificates);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), ACME_TLS_ALPN.to_vec()];
    Arc::new(config)
}

/// A certificate chain and its private key, both PEM, ready to answer handshakes.
pub fn certified_key(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<CertifiedKey>, String> {
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the certificate file cannot be read: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the key file cannot be read: {e}"))?;
    let key = CertifiedKey::from_der(chain, key, &crypto_provider())
        .map_err(|e| format!("the key does not fit the certificate: {e}"))?;
    Ok(Arc::new(key))
}

/// When a certificate starts and stops being valid, in seconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: i64,
    pub not_after: i64,
}

impl Validity {
    /// The first certificate of `chain_pem`'s validity, and whether it names `domain`.
    pub fn of_pem(chain_pem: &[u8], domain: &str) -> Result<(Validity, bool), String> {
        let cert = openssl::x509::X509::from_pem(chain_pem)
            .map_err(|e| format!("the certificate cannot be read: {e}"))?;
        let epoch = openssl::asn1::Asn1Time::from_unix(0).map_err(|e| e.to_string())?;
        let seconds = |time: &openssl::asn1::Asn1TimeRef| -> Result<i64, String> {
            let diff = epoch.diff(time).map_err(|e| e.to_string())?;
            Ok(i64::from(diff.days) * 86_400 + i64::from(diff.secs))
        };
        let validity = Validity {
            not_before: seconds(cert.not_before())?,
            not_after: seconds(cert.not_after())?,
        };
        let names = cert
            .subject_alt_names()
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| n.dnsname().map(str::to_ascii_lowercase))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Ok((validity, names.contains(&domain.to_ascii_lowercase())))
    }

    /// When to get the next one: once two thirds of its life have passed (30 days
    /// before a 90-day Let's Encrypt certificate runs out, as Let's Encrypt advises; the
    /// same share of shorter ones).
    pub fn renew_at_secs(&self) -> i64 {
        self.not_before + (self.not_after - self.not_before) * 2 / 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_renewed_when_a_third_of_its_life_is_left() {
        let ninety_days = Validity {
            not_before: 1_000_000,
            not_after: 1_000_000 + 90 * 86_400,
        };
        assert_eq!(ninety_days.renew_at_secs(), 1_000_000 + 60 * 86_400);
        let six_days = Validity {
            not_before: 0,
            not_after: 6 * 86_400,
        };
        assert_eq!(six_days.renew_at_secs(), 4 * 86_400);
    }

    #[test]
    fn validity_and_names_are_read_from_the_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["photos.example.org".into()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after = rcgen::date_time_ymd(2026, 4, 1);
        let cert = params.self_signed(&key).unwrap();
        let (validity, names_domain) =
            Validity::of_pem(cert.pem().as_bytes(), "Photos.Example.org").unwrap();
        assert!(names_domain);
        assert_eq!(validity.not_before, 1_767_225_600, "2026-01-01T00:00:00Z");
        assert_eq!(validity.not_after - validity.not_before, 90 * 86_400);
        let (_, names_other) = Validity::of_pem(cert.pem().as_bytes(), "example.org").unwrap();
        assert!(!names_other);
        assert!(certified_key(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).is_ok());
        let other_key = rcgen::KeyPair::generate().unwrap();
        let mismatch = certified_key(cert.pem().as_bytes(), other_key.serialize_pem().as_bytes());
        assert!(mismatch.is_err(), "a key that does not fit is refused");
    }
}
