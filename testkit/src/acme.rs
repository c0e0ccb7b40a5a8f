//! A private certificate world for the HTTPS tests: a test CA ([`TestCa`]) for
//! certificates the tests make themselves, and Pebble ([`Pebble`]), Let's Encrypt's
//! ACME test server, with pebble-challtestsrv as the DNS it asks. Every name resolves to
//! 127.0.0.1 there, and Pebble checks TLS-ALPN-01 and HTTP-01 on the ports a test
//! chooses, so the server under test needs no privileged port.
//!
//! Pebble makes a new root at every start and issues under it; [`Pebble::root_file`]
//! holds it for clients (`SSL_CERT_FILE`, Chromium's certificate store). Pebble's own
//! ACME endpoint is HTTPS with a certificate from a [`TestCa`], whose file
//! ([`Pebble::directory_ca_file`]) the ACME client must trust.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tempfile::TempDir;

use crate::{Process, free_port, program};

/// A certificate authority that exists only in this test.
pub struct TestCa {
    /// Its certificate, to trust.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> Result<TestCa> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A server certificate for `names` (DNS names or IP addresses): chain and key, PEM.
    pub fn issue(&self, names: &[&str]) -> Result<(String, String)> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        params.use_authority_key_identifier_extension = true;
        params
            .extended_key_usages
            .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// Pebble and its DNS, stopped on drop.
pub struct Pebble {
    pub directory_url: String,
    _pebble: Process,
    _dns: Process,
    dir: TempDir,
}

impl Pebble {
    /// Starts Pebble checking TLS-ALPN-01 on `tls_port` and HTTP-01 on `http_port` of
    /// 127.0.0.1, issuing certificates that last `validity`, and refusing 5 % of the
    /// nonces it is sent (`badNonce`), as it does unless told otherwise.
    pub fn start(tls_port: u16, http_port: u16, validity: Duration) -> Result<Pebble> {
        Pebble::start_refusing_nonces(tls_port, http_port, validity, 5)
    }

    /// [`Pebble::start`], refusing `percent` % of the nonces it is sent: a client that
    /// does not simply try again with a fresh nonce fails most orders.
    pub fn start_refusing_nonces(
        tls_port: u16,
        http_port: u16,
        validity: Duration,
        percent: u8,
    ) -> Result<Pebble> {
        let dir = tempfile::tempdir()?;
        let ca = TestCa::new("Pebble's own test CA")?;
        let (cert, key) = ca.issue(&["127.0.0.1", "localhost"])?;
        std::fs::write(dir.path().join("directory-ca.pem"), &ca.pem)?;
        std::fs::write(dir.path().join("cert.pem"), cert)?;
        std::fs::write(dir.path().join("key.pem"), key)?;
        let (acme_port, management_port, dns_port, dns_management_port) =
            (free_port(), free_port(), free_port(), free_port());
        let config = format!(
            r#"{{"pebble": {{
                "listenAddress": "127.0.0.1:{acme_port}",
                "managementListenAddress": "127.0.0.1:{management_port}",
                "certificate": "{dir}/cert.pem",
                "privateKey": "{dir}/key.pem",
                "httpPort": {http_port},
                "tlsPort": {tls_port},
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false,
                "certificateValidityPeriod": {validity}
            }}}}"#,
            dir = dir.path().display(),
            validity = validity.as_secs(),
        );
        std::fs::write(dir.path().join("pebble.json"), config)?;
        let mut dns = Process::start_logging_all(
            "pebble-challtestsrv",
            program("pebble-challtestsrv")
                .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
                .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
                .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
                .args(["-management", &format!("127.0.0.1:{dns_management_port}")]),
            &dir.path().join("dns.log"),
        )?
        .terminate_on_drop();
        dns.wait_for_port(dns_management_port)?;
        let mut pebble = Process::start_logging_all(
            "pebble",
            program("pebble")
                .arg("-config")
                .arg(dir.path().join("pebble.json"))
                .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
                // No random pauses before each check: the tests wait for nothing.
                .env("PEBBLE_VA_NOSLEEP", "1")
                .env("PEBBLE_WFE_NONCEREJECT", percent.to_string())
                .stdin(Stdio::null()),
            &dir.path().join("pebble.log"),
        )?
        .terminate_on_drop();
        pebble.wait_for_port(acme_port)?;
        pebble.wait_for_port(management_port)?;
        let root = fetch_root(&ca.pem, management_port)
            .with_context(|| format!("Pebble's root\n{}", pebble.log_tail()))?;
        std::fs::write(dir.path().join("root.pem"), root)?;
        Ok(Pebble {
            directory_url: format!("https://127.0.0.1:{acme_port}/dir"),
            _pebble: pebble,
            _dns: dns,
            dir,
        })
    }

    /// The root Pebble issues under, PEM: what a client of the server under test trusts.
    pub fn root_file(&self) -> PathBuf {
        self.dir.path().join("root.pem")
    }

    /// The CA of Pebble's own HTTPS endpoint: what the ACME client trusts.
    pub fn directory_ca_file(&self) -> PathBuf {
        self.dir.path().join("directory-ca.pem")
    }

    /// The last lines Pebble logged: what a failing test prints to say why.
    pub fn log_tail(&self) -> String {
        self._pebble.log_tail()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Pebble's management port hands out the root; asked on a thread of its own, so an
/// async test may call this too.
fn fetch_root(directory_ca: &str, management_port: u16) -> Result<String> {
    let ca = reqwest::Certificate::from_pem(directory_ca.as_bytes())?;
    std::thread::spawn(move || -> Result<String> {
        let client = reqwest::blocking::Client::builder()
            .tls_certs_only([ca])
            .timeout(Duration::from_secs(30))
            .build()?;
        let root = client
            .get(format!("https://127.0.0.1:{management_port}/roots/0"))
            .send()?
            .error_for_status()?
            .text()?;
        Ok(root)
    })
    .join()
    .map_err(|_| anyhow!("the thread asking Pebble panicked"))?
}
