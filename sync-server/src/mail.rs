//! Sending e-mail over SMTP (lettre): the server's one way out to a mailbox. `smtp_url`
//! says where (`smtp://` plain to a relay on this machine, `smtp+starttls://` or
//! `smtps://` with a user and password); without it there is no [`Mailer`] and the
//! features that need one hide themselves (the server says so once in its log).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, ConfigError};

/// How long one SMTP conversation may take before it counts as failed (and is retried).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The SMTP server could not be reached or refused the message; worth retrying.
    #[error("the SMTP server did not take the message: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the message could not be made: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the address cannot be written to: {0}")]
    Address(#[from] lettre::address::AddressError),
}

/// The SMTP server the server sends through, and who the e-mails are from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    /// The host part of Message-IDs.
    pub domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl MailError {
    /// The SMTP server refused the message for good (a 5xx answer, such as a mailbox
    /// that does not exist): sending it again would change nothing.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Smtp(e) => e.is_permanent(),
            MailError::Build(_) | MailError::Address(_) => true,
        }
    }
}

impl Mailer {
    /// The mailer `config` describes; None (said once in the log) without `smtp_url`.
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, ConfigError> {
        if config.smtp_url.0.trim().is_empty() {
            tracing::info!(
                "e-mail is off: smtp_url is not set, so the family page offers no \
                 \"tell me when new photos are added\""
            );
            return Ok(None);
        }
        let bad = |why: &str| ConfigError::BadValue {
            name: "smtp_url".into(),
            value: "(hidden)".into(),
            why: why.into(),
        };
        let target = SmtpTarget::parse(config.smtp_url.0.trim()).map_err(bad)?;
        let builder = match target.security {
            Security::Plain => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&target.host)
            }
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&target.host)
                    .map_err(|e| bad(&e.to_string()))?
            }
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&target.host)
                .map_err(|e| bad(&e.to_string()))?,
        };
        let mut builder = builder.port(target.port).timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = target.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let domain = config
            .domain
            .clone()
            .or_else(|| config.public_url.as_deref().and_then(url_host))
            .unwrap_or_else(|| "localhost".into());
        let from = if config.mail_from.trim().is_empty() {
            format!("Pic-up <noreply@{domain}>")
        } else {
            config.mail_from.trim().to_owned()
        };
        let from: Mailbox = from.parse().map_err(|_| ConfigError::BadValue {
            name: "mail_from".into(),
            value: from.clone(),
            why: "not an e-mail address like Pic-up <photos@example.org>".into(),
        })?;
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
            domain,
        }))
    }

    /// Hands `message` to the SMTP server.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        self.transport.send(message).await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    Tls,
}

/// `smtp_url` taken apart.
#[derive(Debug, PartialEq, Eq)]
struct SmtpTarget {
    security: Security,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl SmtpTarget {
    fn parse(url: &str) -> Result<SmtpTarget, &'static str> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("it must start with smtp://, smtp+starttls:// or smtps://")?;
        let (security, default_port) = match scheme {
            "smtp" => (Security::Plain, 25),
            "smtp+starttls" => (Security::StartTls, 587),
            "smtps" => (Security::Tls, 465),
            _ => return Err("it must start with smtp://, smtp+starttls:// or smtps://"),
        };
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| "the user or password is not valid percent-encoded UTF-8")
        };
        let credentials = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                Some((decode(user)?, decode(password)?))
            }
        };
        let number = |port: &str| port.parse::<u16>().map_err(|_| "the port is not a number");
        let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or("the host is not valid")?;
            match after.strip_prefix(':') {
                Some(port) => (host, number(port)?),
                None => (host, default_port),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host, number(port)?),
                None => (hostport, default_port),
            }
        };
        if host.is_empty() || host.contains('/') {
            return Err("it names no host");
        }
        Ok(SmtpTarget {
            security,
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

/// The host of `http(s)://host[:port]/…`.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let hostport = rest.split('/').next()?;
    let host = match hostport.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => hostport,
    };
    (!host.is_empty()).then(|| host.trim_matches(['[', ']']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_the_security_host_port_and_login() {
        assert_eq!(
            SmtpTarget::parse("smtp://127.0.0.1:2525").unwrap(),
            SmtpTarget {
                security: Security::Plain,
                host: "127.0.0.1".into(),
                port: 2525,
                credentials: None
            }
        );
        let target = SmtpTarget::parse("smtp+starttls://me%40x.org:p%3Ass@mail.x.org").unwrap();
        assert_eq!(target.security, Security::StartTls);
        assert_eq!(target.port, 587);
        assert_eq!(target.host, "mail.x.org");
        assert_eq!(target.credentials, Some(("me@x.org".into(), "p:ss".into())));
        assert_eq!(SmtpTarget::parse("smtps://u:p@h:4650").unwrap().port, 4650);
        assert!(SmtpTarget::parse("http://h").is_err());
        assert!(SmtpTarget::parse("smtp://").is_err());
        assert!(SmtpTarget::parse("smtp://h:port").is_err());
        assert_eq!(
            url_host("https://photos.example.org:8443/x").unwrap(),
            "photos.example.org"
        );
    }

    #[test]
    fn without_smtp_url_there_is_no_mailer_and_a_password_stays_hidden() {
        assert!(Mailer::from_config(&Config::default()).unwrap().is_none());
        let config = Config {
            smtp_url: crate::config::Secret("smtps://u:hunter2@h".into()),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let mailer = Mailer::from_config(&config).unwrap().unwrap();
        assert_eq!(mailer.from.email.to_string(), "noreply@localhost");
    }
}
