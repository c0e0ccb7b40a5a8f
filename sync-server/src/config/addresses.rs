//! Where the server is reached: the addresses it listens on and the one people use,
//! whether it serves HTTPS and where its certificate comes from, and the refusal to
//! answer beyond this computer without a public address.

use std::net::SocketAddr;

use super::{ACME_DIR, Config, ConfigError};
use crate::tls::CertificateSource;
use crate::tls::acme::AcmeSettings;
use crate::tls::files::CertificateFiles;

impl Config {
    /// Refuses to serve beyond this computer without saying where people reach it:
    /// share links and photo URLs are built from `public_url` (without it they would
    /// name the listening address, `http://0.0.0.0:…`), and presigned uploads from
    /// `s3_public_endpoint`.
    pub fn check_exposure(&self, embedded_s3: bool) -> Result<(), ConfigError> {
        let is_url = |url: &Option<String>| {
            url.as_deref().is_some_and(|url| {
                url.strip_prefix("https://")
                    .or_else(|| url.strip_prefix("http://"))
                    .is_some_and(|host| !host.is_empty())
            })
        };
        let listen = self.listen_address();
        if !listen.ip().is_loopback() && !is_url(&self.public_url) && self.domain.is_none() {
            return Err(ConfigError::Missing(format!(
                "picup-server would answer on {} (beyond this computer) but public_url is not \
                 set. Set public_url (PICUP_PUBLIC_URL) to the address the family uses, such \
                 as https://photos.example.org, so that sharing links and photo addresses \
                 point there; or listen on 127.0.0.1 to use it on this computer only.",
                listen
            )));
        }
        if embedded_s3 && !self.s3_listen.ip().is_loopback() && !is_url(&self.s3_public_endpoint) {
            return Err(ConfigError::Missing(format!(
                "the embedded S3 endpoint would answer on {} (beyond this computer) but \
                 s3_public_endpoint is not set. Set it (PICUP_S3_PUBLIC_ENDPOINT) to the \
                 address the desktop apps reach it by, or keep s3_listen on 127.0.0.1.",
                self.s3_listen
            )));
        }
        Ok(())
    }

    /// Where HTTPS comes from: the operator's files, ACME for `domain`, or (None) plain
    /// HTTP.
    pub fn certificate_source(&self) -> Result<Option<CertificateSource>, ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                return Ok(Some(CertificateSource::Files(CertificateFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                })));
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError::Missing(
                    "tls_cert and tls_key go together: give both, or neither".into(),
                ));
            }
        }
        let Some(domain) = &self.domain else {
            return Ok(None);
        };
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let plausible = !domain.is_empty()
            && domain.len() <= 253
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !plausible {
            return Err(ConfigError::BadValue {
                name: "domain".into(),
                value: domain,
                why: "a name such as photos.example.org, without https:// or a port".into(),
            });
        }
        let challenge = self
            .acme_challenge
            .parse()
            .map_err(|why| ConfigError::BadValue {
                name: "acme_challenge".into(),
                value: self.acme_challenge.clone(),
                why,
            })?;
        let Some(data_dir) = &self.data_dir else {
            return Err(ConfigError::Missing(
                "a certificate from ACME is kept in the data directory: give --data DIR".into(),
            ));
        };
        Ok(Some(CertificateSource::Acme(AcmeSettings {
            domain,
            directory_url: self.acme_directory.clone(),
            email: self.acme_email.clone(),
            ca_root: self.acme_ca_root.clone(),
            challenge,
            dir: data_dir.join(ACME_DIR),
        })))
    }

    /// Whether the API answers HTTPS.
    pub fn serves_https(&self) -> bool {
        self.domain.is_some() || self.tls_cert.is_some()
    }

    /// Where the API listens: as configured, or the default for HTTP or HTTPS.
    pub fn listen_address(&self) -> SocketAddr {
        self.listen.unwrap_or_else(|| {
            if self.serves_https() {
                SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 443))
            } else {
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }
        })
    }

    /// Where plain HTTP answers beside HTTPS.
    pub fn http_listen_address(&self) -> SocketAddr {
        self.http_listen
            .unwrap_or_else(|| SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 80)))
    }

    /// Fills in the addresses people reach the server by, once it listens on `bound`:
    /// `public_url` from the domain (or the bound address), and for the embedded S3
    /// endpoint the same address, since its presigned uploads are then taken on the
    /// API's own port. Returns the public URL.
    pub fn settle_public_addresses(&mut self, bound: SocketAddr) -> String {
        let scheme = if self.serves_https() { "https" } else { "http" };
        let public = self.public_url.clone().unwrap_or_else(|| {
            let default_port = if self.serves_https() { 443 } else { 80 };
            let port = match bound.port() {
                p if p == default_port => String::new(),
                p => format!(":{p}"),
            };
            match &self.domain {
                Some(domain) => format!("{scheme}://{}{port}", domain.trim().to_ascii_lowercase()),
                None => format!("{scheme}://{bound}"),
            }
        });
        let reached_from_elsewhere = self.public_url.is_some() || self.domain.is_some();
        if reached_from_elsewhere
            && self.embedded_s3_dir().is_some()
            && self.s3_public_endpoint.is_none()
        {
            self.s3_public_endpoint = Some(public.clone());
        }
        self.public_url = Some(public.clone());
        public
    }

    /// Whether presigned uploads to the embedded S3 endpoint come through the API's
    /// port (see [`Config::settle_public_addresses`]).
    pub fn uploads_through_api(&self) -> bool {
        self.embedded_s3_dir().is_some()
            && self.s3_public_endpoint.is_some()
            && self.s3_public_endpoint == self.public_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn serving_beyond_this_computer_needs_a_public_address() {
        let local = Config::default();
        assert!(local.check_exposure(true).is_ok());
        let open = Config {
            listen: Some("0.0.0.0:8080".parse().unwrap()),
            ..Config::default()
        };
        let refused = open.check_exposure(false).unwrap_err().to_string();
        assert!(refused.contains("public_url"), "{refused}");
        let bare_scheme = Config {
            public_url: Some("https://".into()),
            ..open.clone()
        };
        assert!(bare_scheme.check_exposure(false).is_err());
        let named = Config {
            public_url: Some("https://photos.example.org".into()),
            ..open.clone()
        };
        assert!(named.check_exposure(false).is_ok());
        let open_s3 = Config {
            s3_listen: "[::]:8081".parse().unwrap(),
            ..named.clone()
        };
        assert!(
            open_s3.check_exposure(false).is_ok(),
            "not embedded: not ours"
        );
        assert!(open_s3.check_exposure(true).is_err());
    }

    #[test]
    fn a_domain_means_https_on_443_with_uploads_through_the_same_address() {
        let mut config = Config {
            domain: Some("Photos.Example.org".into()),
            data_dir: Some("/srv/picup".into()),
            ..Config::default()
        };
        assert_eq!(config.listen_address().port(), 443);
        assert!(!config.listen_address().ip().is_loopback());
        assert!(
            config.check_exposure(true).is_ok(),
            "the domain is the public address"
        );
        let Some(CertificateSource::Acme(acme)) = config.certificate_source().unwrap() else {
            panic!("a domain without files means ACME");
        };
        assert_eq!(acme.domain, "photos.example.org");
        assert_eq!(acme.directory_url, crate::tls::acme::LETS_ENCRYPT);
        assert_eq!(acme.dir, PathBuf::from("/srv/picup/acme"));
        let public = config.settle_public_addresses("[::]:443".parse().unwrap());
        assert_eq!(public, "https://photos.example.org");
        assert_eq!(config.s3_public_endpoint.as_deref(), Some(public.as_str()));
        assert!(config.uploads_through_api());

        let mut on_another_port = Config {
            domain: Some("photos.example.org".into()),
            data_dir: Some("/srv/picup".into()),
            ..Config::default()
        };
        let public = on_another_port.settle_public_addresses("127.0.0.1:8443".parse().unwrap());
        assert_eq!(public, "https://photos.example.org:8443");

        let mut local = Config {
            data_dir: Some("/srv/picup".into()),
            ..Config::default()
        };
        let public = local.settle_public_addresses("127.0.0.1:8080".parse().unwrap());
        assert_eq!(public, "http://127.0.0.1:8080");
        assert!(
            !local.uploads_through_api(),
            "on this computer only, uploads go to the endpoint's own port"
        );
    }

    #[test]
    fn https_settings_that_cannot_work_are_refused_in_words() {
        for bad in [
            "https://photos.example.org",
            "photos.example.org:443",
            "-x.org",
            "",
        ] {
            let config = Config {
                domain: Some(bad.into()),
                data_dir: Some("/srv".into()),
                ..Config::default()
            };
            assert!(config.certificate_source().is_err(), "{bad:?} was taken");
        }
        let no_data = Config {
            domain: Some("photos.example.org".into()),
            ..Config::default()
        };
        let err = no_data.certificate_source().unwrap_err().to_string();
        assert!(err.contains("--data"), "{err}");
        let half_pair = Config {
            tls_cert: Some("/etc/ssl/photos.pem".into()),
            ..Config::default()
        };
        assert!(half_pair.certificate_source().is_err());
        let unknown_check = Config {
            domain: Some("photos.example.org".into()),
            data_dir: Some("/srv".into()),
            acme_challenge: "dns-01".into(),
            ..Config::default()
        };
        assert!(unknown_check.certificate_source().is_err());
        let files = Config {
            domain: Some("photos.example.org".into()),
            tls_cert: Some("/etc/ssl/photos.pem".into()),
            tls_key: Some("/etc/ssl/photos.key".into()),
            ..Config::default()
        };
        assert!(matches!(
            files.certificate_source().unwrap(),
            Some(CertificateSource::Files(_))
        ));
    }
}
