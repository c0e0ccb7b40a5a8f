//! A certificate from Let's Encrypt (or any ACME server, RFC 8555), kept and renewed.
//!
//! The account key and the certificate live in the data directory (`acme/`), so a
//! restart serves the kept certificate at once and asks the ACME server for nothing.
//! A certificate is renewed once two thirds of its life have passed, while the server
//! keeps serving; a failed attempt is retried with growing pauses, logged each time.
//!
//! The domain is proved with TLS-ALPN-01 (the answer is shown on the HTTPS port itself,
//! to a client asking for the `acme-tls/1` protocol) or, where asked, HTTP-01 (the answer
//! is served on port 80 by [`super::redirect`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::{Certificates, Validity, certified_key};
use crate::clock::Clock;
use crate::data_dir::write_private;

/// Let's Encrypt's production directory, the default.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How the ACME server checks that this server answers for the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// On the HTTPS port (443): needs no other port open.
    TlsAlpn01,
    /// On port 80, for a server whose HTTPS port is behind something that ends TLS.
    Http01,
}

impl std::str::FromStr for Challenge {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "tls-alpn-01" => Ok(Challenge::TlsAlpn01),
            "http-01" => Ok(Challenge::Http01),
            other => Err(format!("{other:?} is not tls-alpn-01 or http-01")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AcmeSettings {
    pub domain: String,
    pub directory_url: String,
    /// An e-mail address the ACME server may write to about the account.
    pub email: Option<String>,
    /// The CA of a private ACME server's HTTPS address (None: the system's).
    pub ca_root: Option<PathBuf>,
    pub challenge: Challenge,
    /// Where the account key and the certificates are kept (`DATA/acme`).
    pub dir: PathBuf,
}

/// HTTP-01 answers by token, served on port 80 while a check is under way.
pub type HttpAnswers = Arc<RwLock<HashMap<String, String>>>;

/// Keeps a certificate for one domain in [`Certificates`].
pub struct CertificateKeeper {
    settings: AcmeSettings,
    certificates: Arc<Certificates>,
    http_answers: HttpAnswers,
    clock: Clock,
}

/// The account as kept on disk, with the directory it belongs to: an account of
/// Pebble or of Let's Encrypt's staging is not used against production.
#[derive(Serialize, Deserialize)]
struct KeptAccount {
    directory_url: String,
    credentials: AccountCredentials,
}

/// How many more times an order, or a step of one, is tried at once when the ACME
/// server refused the request's nonce (`badNonce`). RFC 8555 §6.5 has the client try
/// again with a fresh nonce; a server may refuse any nonce now and then (Pebble refuses 5 %
/// on purpose), and the client library tries only three times. Without this, one unlucky
/// step cost a whole order and a pause of a minute or more.
const NONCE_RETRIES: u32 = 8;

/// The ACME server refused the request's nonce: the same request with a fresh one is
/// expected to go through.
fn is_bad_nonce(error: &instant_acme::Error) -> bool {
    matches!(error, instant_acme::Error::Api(problem)
        if problem.r#type.as_deref() == Some("urn:ietf:params:acme:error:badNonce"))
}

/// Runs one step of an order (an expression that is a future of an `instant_acme`
/// result), again at once while its nonce is refused. Only for steps that are safe to
/// send twice: each try of such a step asks again or sends the same request anew.
macro_rules! with_fresh_nonces {
    ($step:expr) => {{
        let mut tries = 0;
        loop {
            match $step.await {
                Err(error) if is_bad_nonce(&error) && tries < NONCE_RETRIES => tries += 1,
                done => break done,
            }
        }
    }};
}

/// Pauses between failed attempts: a minute, doubling, at most six hours.
fn retry_pause(failures: u32) -> Duration {
    Duration::from_secs(60u64.saturating_mul(1 << failures.min(9)).min(6 * 3600))
}

/// When to ask the ACME server next: at once without a certificate; after a pause
/// that grows with each failure; else when the certificate is two thirds through its
/// life, but never before `earliest_ms`.
fn next_attempt_ms(
    validity: Option<Validity>,
    failures: u32,
    earliest_ms: i64,
    now_ms: i64,
) -> i64 {
    match (validity, failures) {
        (_, 1..) => now_ms + retry_pause(failures - 1).as_millis() as i64,
        (Some(validity), 0) => (validity.renew_at_secs() * 1000).max(earliest_ms),
        (None, 0) => now_ms,
    }
}

impl CertificateKeeper {
    pub fn new(
        settings: AcmeSettings,
        certificates: Arc<Certificates>,
        http_answers: HttpAnswers,
        clock: Clock,
    ) -> CertificateKeeper {
        CertificateKeeper {
            settings,
            certificates,
            http_answers,
            clock,
        }
    }

    fn cert_path(&self) -> PathBuf {
        self.settings
            .dir
            .join(format!("{}.crt", self.settings.domain))
    }

    fn key_path(&self) -> PathBuf {
        self.settings
            .dir
            .join(format!("{}.key", self.settings.domain))
    }

    /// Serves the kept certificate, if there is one for this domain that has not run
    /// out, and says how long it lasts.
    pub fn serve_kept(&self) -> Option<Validity> {
        let chain = std::fs::read(self.cert_path()).ok()?;
        let key = std::fs::read(self.key_path()).ok()?;
        let (validity, names_domain) = Validity::of_pem(&chain, &self.settings.domain).ok()?;
        if !names_domain || validity.not_after <= self.clock.now_secs() as i64 {
            return None;
        }
        let certified = certified_key(&chain, &key).ok()?;
        self.certificates.set_current(certified);
        Some(validity)
    }

    /// Keeps a current certificate until `stop`: the kept one, or a new one at once,
    /// then a new one whenever the last is two thirds through its life.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut validity = self.serve_kept();
        if let Some(kept) = validity {
            tracing::info!(domain = %self.settings.domain, not_after = kept.not_after,
                "serving the kept HTTPS certificate");
        }
        let mut failures = 0u32;
        // No new order within the hour after one, even if the certificate looks due
        // already (this computer's clock far ahead of the CA's): never a loop of orders.
        let mut earliest_ms = self.clock.now_ms();
        loop {
            let due_ms = next_attempt_ms(validity, failures, earliest_ms, self.clock.now_ms());
            tokio::select! {
                _ = self.clock.wait_until(due_ms) => {}
                _ = stop.changed() => return,
            }
            let attempt = tokio::select! {
                attempt = self.obtain_patiently() => attempt,
                _ = stop.changed() => return,
            };
            match attempt {
                Ok(new) => {
                    tracing::info!(domain = %self.settings.domain, not_after = new.not_after,
                        "obtained an HTTPS certificate");
                    validity = Some(new);
                    failures = 0;
                    earliest_ms = self.clock.ms_after(Duration::from_secs(3600));
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(domain = %self.settings.domain, error = format!("{e:#}"),
                        retry_in_secs = retry_pause(failures - 1).as_secs(),
                        "could not obtain an HTTPS certificate");
                }
            }
        }
    }

    /// [`Self::obtain`], with a new order at once while the last failed only because a
    /// nonce was refused (in a step that is not safe to send twice, such as reading the
    /// next authorization).
    async fn obtain_patiently(&self) -> Result<Validity> {
        let mut tries = 0;
        loop {
            match self.obtain().await {
                Err(error)
                    if tries < NONCE_RETRIES
                        && error
                            .chain()
                            .filter_map(|cause| cause.downcast_ref::<instant_acme::Error>())
                            .any(is_bad_nonce) =>
                {
                    tracing::info!(domain = %self.settings.domain, error = format!("{error:#}"),
                        "the ACME server refused a nonce; ordering again at once");
                    tries += 1;
                }
                done => return done,
            }
        }
    }

    /// One order at the ACME server: prove the domain, have a new key certified, keep
    /// both, and serve them from the next handshake on.
    pub async fn obtain(&self) -> Result<Validity> {
        let domain = self.settings.domain.clone();
        let account = self.account().await?;
        let identifiers = [Identifier::Dns(domain.clone())];
        let mut order = with_fresh_nonces!(account.new_order(&NewOrder::new(&identifiers)))
            .context("the ACME server did not take the order")?;
        let kind = match self.settings.challenge {
            Challenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
            Challenge::Http01 => ChallengeType::Http01,
        };
        // Whatever happens next, the answers are taken down again.
        let mut shown = AnswersShown {
            certificates: &self.certificates,
            http_answers: &self.http_answers,
            domain: &domain,
            tokens: Vec::new(),
        };
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization.context("could not read an authorization")?;
            match authorization.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => bail!("the ACME server's check of {domain} is {other:?}"),
            }
            let mut challenge = authorization
                .challenge(kind.clone())
                .ok_or_else(|| anyhow!("the ACME server offers no {kind:?} check"))?;
            let key_authorization = challenge.key_authorization();
            match kind {
                ChallengeType::TlsAlpn01 => {
                    let answer = answer_certificate(&domain, key_authorization.digest().as_ref())?;
                    self.certificates.set_challenge(&domain, answer);
                }
                _ => {
                    self.http_answers.write().expect("answers").insert(
                        challenge.token.clone(),
                        key_authorization.as_str().to_owned(),
                    );
                    shown.tokens.push(challenge.token.clone());
                }
            }
            challenge
                .set_ready()
                .await
                .context("could not tell the ACME server the answer is ready")?;
        }
        let patient = RetryPolicy::new().timeout(Duration::from_secs(120));
        let status = with_fresh_nonces!(order.poll_ready(&patient))
            .with_context(|| format!("the ACME server could not check {domain}"))?;
        drop(shown);
        if status != OrderStatus::Ready {
            bail!("the ACME server's order for {domain} is {status:?}");
        }
        let key_pem =
            with_fresh_nonces!(order.finalize()).context("could not finalize the order")?;
        let chain_pem = with_fresh_nonces!(order.poll_certificate(&patient))
            .context("the ACME server did not issue the certificate")?;
        let certified = certified_key(chain_pem.as_bytes(), key_pem.as_bytes())
            .map_err(|e| anyhow!("the issued certificate cannot be used: {e}"))?;
        let (validity, _) =
            Validity::of_pem(chain_pem.as_bytes(), &domain).map_err(|e| anyhow!(e))?;
        write_private(&self.key_path(), key_pem.as_bytes())?;
        write_private(&self.cert_path(), chain_pem.as_bytes())?;
        self.certificates.set_current(certified);
        Ok(validity)
    }

    /// The kept account for this directory, or a new one (kept at once).
    async fn account(&self) -> Result<Account> {
        let builder = || match &self.settings.ca_root {
            Some(root) => Account::builder_with_root(root),
            None => Account::builder(),
        };
        let path = self.settings.dir.join("account.json");
        if let Ok(text) = std::fs::read(&path) {
            let kept: KeptAccount = serde_json::from_slice(&text)
                .with_context(|| format!("{} is damaged", path.display()))?;
            if kept.directory_url == self.settings.directory_url {
                return builder()?
                    .from_credentials(kept.credentials)
                    .await
                    .context("could not reach the ACME server");
            }
        }
        let contact = self.settings.email.as_ref().map(|e| format!("mailto:{e}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let (account, credentials) = builder()?
            .create(
                &NewAccount {
                    contact: &contacts,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.settings.directory_url.clone(),
                None,
            )
            .await
            .with_context(|| {
                format!(
                    "could not open an account at the ACME server {}",
                    self.settings.directory_url
                )
            })?;
        let kept = KeptAccount {
            directory_url: self.settings.directory_url.clone(),
            credentials,
        };
        write_private(&path, &serde_json::to_vec_pretty(&kept)?)?;
        Ok(account)
    }
}

/// Takes the check's answers down when an order ends, however it ends.
struct AnswersShown<'a> {
    certificates: &'a Certificates,
    http_answers: &'a HttpAnswers,
    domain: &'a str,
    tokens: Vec<String>,
}

impl Drop for AnswersShown<'_> {
    fn drop(&mut self) {
        self.certificates.clear_challenge(self.domain);
        let mut answers = self.http_answers.write().expect("answers");
        for token in &self.tokens {
            answers.remove(token);
        }
    }
}

/// The TLS-ALPN-01 answer (RFC 8737): a self-signed certificate for the domain that
/// carries the digest of the key authorization in a critical acmeIdentifier extension.
fn answer_certificate(domain: &str, digest: &[u8]) -> Result<Arc<rustls::sign::CertifiedKey>> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key)?;
    // Not through `certified_key`: rustls's check that key and certificate fit parses the
    // certificate, and refuses the critical extension this answer exists to carry.
    let key_der = rustls_pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| anyhow!("the answer's key: {e}"))?;
    let signing_key = super::crypto_provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| anyhow!("the answer's key: {e}"))?;
    Ok(Arc::new(rustls::sign::CertifiedKey::new(
        vec![cert.der().clone()],
        signing_key,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_attempts_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(retry_pause(0), Duration::from_secs(60));
        assert_eq!(retry_pause(1), Duration::from_secs(120));
        assert_eq!(retry_pause(30), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn a_certificate_that_looks_due_at_once_is_not_renewed_in_a_loop() {
        let hour_ms = 3_600_000;
        let now_ms = 100 * 86_400_000;
        let fresh = Validity {
            not_before: 10 * 86_400,
            not_after: 100 * 86_400,
        };
        assert_eq!(next_attempt_ms(None, 0, now_ms, now_ms), now_ms);
        assert!(
            next_attempt_ms(Some(fresh), 0, now_ms, now_ms) <= now_ms,
            "two thirds through its life long ago: due now"
        );
        assert_eq!(
            next_attempt_ms(Some(fresh), 0, now_ms + hour_ms, now_ms),
            now_ms + hour_ms,
            "but not within the hour after the last order"
        );
        assert_eq!(
            next_attempt_ms(Some(fresh), 2, now_ms, now_ms),
            now_ms + 2 * 60_000,
            "failures wait"
        );
    }

    #[test]
    fn the_check_is_named_as_in_the_acme_standard() {
        assert_eq!("tls-alpn-01".parse(), Ok(Challenge::TlsAlpn01));
        assert_eq!("http-01".parse(), Ok(Challenge::Http01));
        assert!("dns-01".parse::<Challenge>().is_err());
    }
}
