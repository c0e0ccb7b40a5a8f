//! HTTPS by itself, against Pebble (Let's Encrypt's ACME test server) and its DNS: the
//! server gets a certificate for a name, serves HTTPS with it (HSTS on every answer),
//! sends plain HTTP to HTTPS, serves the kept certificate after a restart without asking
//! again, and renews it when two thirds of its life have passed, without a restart (the
//! server's clock is moved forward; nothing sleeps). Also the operator's own certificate
//! files, reloaded when they change.
//!
//! Clients trust only Pebble's root (or the test CA), never "any certificate": a wrong
//! certificate fails the handshake and the test.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use picup_server::clock::Clock;
use picup_server::config::Config;
use picup_server::serve;
use picup_testkit::acme::{Pebble, TestCa};
use picup_testkit::wait::WAIT;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use support::*;

const NAME: &str = "localhost";
const DAY: Duration = Duration::from_secs(86_400);

fn acme_config(pebble: &Pebble, data: &Path, https: u16, http: u16, challenge: &str) -> Config {
    Config {
        data_dir: Some(data.to_owned()),
        listen: Some(SocketAddr::from(([127, 0, 0, 1], https))),
        http_listen: Some(SocketAddr::from(([127, 0, 0, 1], http))),
        s3_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        domain: Some(NAME.into()),
        acme_directory: pebble.directory_url.clone(),
        acme_ca_root: Some(pebble.directory_ca_file()),
        acme_challenge: challenge.into(),
        ..Config::default()
    }
}

/// The certificate the server shows to a client that trusts only `root`, as DER.
async fn served_certificate(port: u16, root: &Path) -> anyhow::Result<Vec<u8>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(root)? {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let tls = connector
        .connect(ServerName::try_from(NAME)?.to_owned(), tcp)
        .await?;
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or_else(|| anyhow::anyhow!("no certificate"))?;
    Ok(leaf.to_vec())
}

async fn certificate_changes_from(port: u16, root: &Path, old: &[u8]) -> anyhow::Result<Vec<u8>> {
    let now = served_certificate(port, root).await?;
    anyhow::ensure!(now != old, "still the old certificate");
    Ok(now)
}

/// The server's own log goes to the test's output (shown when a test fails), so a
/// certificate that never came says why: the ACME client's error beside Pebble's log.
fn show_server_log() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("picup_server=info")
        .with_test_writer()
        .try_init();
}

/// Panics with what Pebble last logged as well as the wait's own error.
fn with_pebble_log<T>(pebble: &Pebble) -> impl FnOnce(anyhow::Error) -> T + '_ {
    move |e| panic!("{e:#}\n{}", pebble.log_tail())
}

fn client_trusting(root: &Path) -> reqwest::Client {
    let root = reqwest::Certificate::from_pem(&std::fs::read(root).unwrap()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([root])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_acme_is_served_kept_over_a_restart_and_renewed_without_one() {
    let (https, http) = (free_port(), free_port());
    show_server_log();
    let pebble = Pebble::start(https, http, 90 * DAY).unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = acme_config(&pebble, data.path(), https, http, "tls-alpn-01");
    let serving = serve::start(config.clone(), true, Clock::adjustable())
        .await
        .unwrap();
    assert_eq!(serving.public_url, format!("https://{NAME}:{https}"));
    let root = pebble.root_file();
    let first = eventually_async("a certificate from Pebble, served", WAIT, || async {
        served_certificate(https, &root).await.map(Some)
    })
    .await
    .unwrap_or_else(with_pebble_log(&pebble));

    // HTTPS answers, with HSTS; plain HTTP sends pages to HTTPS and refuses the rest.
    let client = client_trusting(&root);
    let health = client
        .get(format!("https://{NAME}:{https}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let plain = client
        .get(format!("http://{NAME}:{http}/s/some-link?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    assert_eq!(
        plain.headers()["location"],
        format!("https://{NAME}:{https}/s/some-link?x=1").as_str()
    );
    let forged_host = client
        .get(format!("http://127.0.0.1:{http}/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged_host.headers()["location"],
        format!("https://{NAME}:{https}/").as_str(),
        "the redirect goes to the configured name, never the request's"
    );
    let password_in_clear = client
        .post(format!("http://{NAME}:{http}/v1/sessions"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(password_in_clear.status(), 403, "no redirect to resend it");
    let answers_gone = client
        .get(format!("http://{NAME}:{http}/.well-known/acme-challenge/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(answers_gone.status(), 404);
    serving.stop().await.unwrap();

    // After a restart the kept certificate is served; no new one is asked for.
    let key_file = data.path().join("acme").join(format!("{NAME}.key"));
    let key_before = std::fs::read(&key_file).unwrap();
    let clock = Clock::adjustable();
    let serving = serve::start(config, true, clock.clone()).await.unwrap();
    let again = eventually_async("the kept certificate, served", WAIT, || async {
        served_certificate(https, &root).await.map(Some)
    })
    .await
    .unwrap_or_else(with_pebble_log(&pebble));
    assert!(
        again == first,
        "a restart asked Pebble for a new certificate"
    );
    assert_eq!(std::fs::read(&key_file).unwrap(), key_before);

    // Sixty-one days on (more than two thirds of 90), a new one, without a restart.
    clock.advance(61 * DAY);
    let renewed = eventually_async("a renewed certificate, served", WAIT, || async {
        certificate_changes_from(https, &root, &first)
            .await
            .map(Some)
    })
    .await
    .unwrap_or_else(with_pebble_log(&pebble));
    assert_ne!(
        std::fs::read(&key_file).unwrap(),
        key_before,
        "a new key too"
    );
    let issued = std::fs::read_to_string(pebble.dir().join("pebble.log"))
        .unwrap()
        .matches("Issued certificate serial")
        .count();
    assert_eq!(issued, 2, "one at first, one renewal");
    assert!(!renewed.is_empty());
    serving.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_01_proves_the_name_on_port_80_where_asked() {
    let (https, http) = (free_port(), free_port());
    show_server_log();
    let pebble = Pebble::start(https, http, 90 * DAY).unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = acme_config(&pebble, data.path(), https, http, "http-01");
    let serving = serve::start(config, true, Clock::adjustable())
        .await
        .unwrap();
    let root = pebble.root_file();
    eventually_async(
        "a certificate proved over HTTP-01, served",
        WAIT,
        || async { served_certificate(https, &root).await.map(Some) },
    )
    .await
    .unwrap_or_else(with_pebble_log(&pebble));
    serving.stop().await.unwrap();
}

/// An ACME server may refuse any request's nonce (RFC 8555 §6.5: try again with a fresh
/// one). Pebble refusing half of them: the certificate still comes at once, not after the
/// minute's pause that follows a failed order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_nonces_are_tried_again_at_once() {
    let (https, http) = (free_port(), free_port());
    show_server_log();
    let pebble = Pebble::start_refusing_nonces(https, http, 90 * DAY, 50).unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = acme_config(&pebble, data.path(), https, http, "tls-alpn-01");
    let serving = serve::start(config, true, Clock::adjustable())
        .await
        .unwrap();
    let root = pebble.root_file();
    eventually_async("a certificate, half the nonces refused", WAIT, || async {
        served_certificate(https, &root).await.map(Some)
    })
    .await
    .unwrap_or_else(with_pebble_log(&pebble));
    serving.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_own_certificate_is_served_and_reloaded_when_its_files_change() {
    let ca = TestCa::new("the operator's CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_file, key_file, ca_file) = (
        dir.path().join("fullchain.pem"),
        dir.path().join("privkey.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (cert, key) = ca.issue(&[NAME]).unwrap();
    std::fs::write(&cert_file, &cert).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    let https = free_port();
    let config = Config {
        data_dir: Some(dir.path().join("data")),
        listen: Some(SocketAddr::from(([127, 0, 0, 1], https))),
        http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        s3_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tls_cert: Some(cert_file.clone()),
        tls_key: Some(key_file.clone()),
        ..Config::default()
    };

    // A pair that does not fit is refused at start, in words.
    let (_, other_key) = ca.issue(&[NAME]).unwrap();
    std::fs::write(&key_file, &other_key).unwrap();
    let refused = serve::start(config.clone(), true, Clock::adjustable()).await;
    let refused = refused.err().expect("a key that does not fit").to_string();
    assert!(refused.contains("does not fit"), "{refused}");
    std::fs::write(&key_file, &key).unwrap();

    let serving = serve::start(config, true, Clock::adjustable())
        .await
        .unwrap();
    let first = served_certificate(https, &ca_file).await.unwrap();
    assert_eq!(
        first,
        CertificateDer::from_pem_slice(cert.as_bytes())
            .unwrap()
            .to_vec()
    );

    // certbot-style renewal: both files replaced.
    let (new_cert, new_key) = ca.issue(&[NAME]).unwrap();
    std::fs::write(&key_file, &new_key).unwrap();
    std::fs::write(&cert_file, &new_cert).unwrap();
    let reloaded = eventually_async("the new certificate, served", WAIT, || async {
        certificate_changes_from(https, &ca_file, &first)
            .await
            .map(Some)
    })
    .await
    .unwrap();
    assert_eq!(
        reloaded,
        CertificateDer::from_pem_slice(new_cert.as_bytes())
            .unwrap()
            .to_vec()
    );
    serving.stop().await.unwrap();
}
