//! Accounts and sign-in: Argon2id password hashes, random session tokens stored only as
//! hashes, and a per-address limit on failed sign-ins; and the operator's rules for an
//! account: disable and enable it, reset its password, list and end its sessions.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::db::{Db, DbError, SessionRow, now_ms};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;

/// Who a request is from, once its bearer token checked out.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: String,
    pub token_hash: String,
}

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source failed");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes always encode");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id with default parameters accepts any password")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password matches, checked when the email is unknown so that a wrong email
/// takes as long as a wrong password and does not reveal which accounts exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&ids::random_token()))
}

pub fn normalize_email(email: &str) -> ServiceResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::invalid(
            "invalid_email",
            "That does not look like an email address.",
        ))
    }
}

/// Creates an account. The password must be at least 10 characters.
pub async fn create_user(
    db: &Db,
    email: &str,
    password: &str,
    quota_bytes: i64,
) -> ServiceResult<String> {
    let email = normalize_email(email)?;
    check_new_password(password)?;
    if quota_bytes < 0 {
        return Err(ServiceError::invalid(
            "invalid_quota",
            "The quota cannot be negative.",
        ));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("password hashing does not panic");
    let id = ids::random_id();
    db.insert_user(&id, &email, &hash, quota_bytes)
        .await
        .map_err(|e| match e {
            DbError::EmailTaken => {
                ServiceError::Conflict("An account with that email already exists.".into())
            }
            e => e.into(),
        })?;
    Ok(id)
}

/// Counts failed sign-ins per address; after too many, that address waits.
/// Each replica counts its own; behind a load balancer the limit is per replica.
pub struct SignInLimiter {
    allowed: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl SignInLimiter {
    pub fn new(allowed: u32, window: Duration) -> SignInLimiter {
        SignInLimiter {
            allowed,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Err when this address has used up its attempts.
    fn check(&self, address: IpAddr) -> ServiceResult<()> {
        let failures = self.failures.lock().expect("limiter lock");
        if let Some((count, since)) = failures.get(&address)
            && *count >= self.allowed
        {
            let left = self.window.saturating_sub(since.elapsed());
            if !left.is_zero() {
                return Err(ServiceError::TooManyAttempts {
                    minutes: left.as_secs().div_ceil(60).max(1),
                    retry_after_secs: left.as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    fn record_failure(&self, address: IpAddr) {
        let mut failures = self.failures.lock().expect("limiter lock");
        let now = Instant::now();
        if failures.len() > 100_000 {
            let window = self.window;
            failures.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = failures.entry(address).or_insert((0, now));
        if entry.1.elapsed() >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    fn record_success(&self, address: IpAddr) {
        self.failures.lock().expect("limiter lock").remove(&address);
    }
}

/// At most `limit` requests per address in each window (a fixed window: simple, and
/// enough to stop one address from hammering public pages).
pub struct WindowLimiter {
    limit: u32,
    window: Duration,
    counts: Mutex<(Instant, HashMap<IpAddr, u32>)>,
}

impl WindowLimiter {
    pub fn new(limit: u32, window: Duration) -> WindowLimiter {
        WindowLimiter {
            limit,
            window,
            counts: Mutex::new((Instant::now(), HashMap::new())),
        }
    }

    pub fn allow(&self, address: IpAddr) -> bool {
        let mut counts = self.counts.lock().expect("limiter lock");
        if counts.0.elapsed() >= self.window {
            *counts = (Instant::now(), HashMap::new());
        }
        let count = counts.1.entry(address).or_insert(0);
        *count += 1;
        *count <= self.limit
    }
}

/// Checks the password and opens a session. Returns (token, expires_at in ms).
pub async fn sign_in(
    db: &Db,
    limiter: &SignInLimiter,
    address: IpAddr,
    email: &str,
    password: &str,
    device_name: &str,
    session_ttl: Duration,
) -> ServiceResult<(String, i64)> {
    limiter.check(address)?;
    let device_name = device_name.trim();
    if device_name.is_empty() || device_name.chars().count() > 100 {
        return Err(ServiceError::invalid(
            "invalid_device_name",
            "Give this device a name of 1 to 100 characters.",
        ));
    }
    let user = match normalize_email(email) {
        Ok(email) => db.user_by_email(&email).await?,
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .expect("password checking does not panic");
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            limiter.record_failure(address);
            return Err(ServiceError::WrongCredentials);
        }
    };
    limiter.record_success(address);
    let token = ids::random_token();
    let expires_at = now_ms() + session_ttl.as_millis() as i64;
    db.insert_session(&ids::token_hash(&token), &user.id, device_name, expires_at)
        .await?;
    Ok((token, expires_at))
}

/// The account behind a bearer token, if the session exists and has not expired.
pub async fn authenticate(db: &Db, token: &str) -> ServiceResult<SignedIn> {
    let token_hash = ids::token_hash(token);
    match db.session(&token_hash).await? {
        Some((user_id, expires_at)) if expires_at > now_ms() => Ok(SignedIn {
            user_id,
            token_hash,
        }),
        _ => Err(ServiceError::Unauthenticated),
    }
}

/// The rule for every password an account is given: at least 10 characters.
fn check_new_password(password: &str) -> ServiceResult<()> {
    if password.chars().count() < 10 {
        return Err(ServiceError::invalid(
            "weak_password",
            "The password must be at least 10 characters long.",
        ));
    }
    Ok(())
}

/// The id of the account with this email, disabled or not.
async fn account_id(db: &Db, email: &str) -> ServiceResult<String> {
    db.user_id_by_email(&normalize_email(email)?)
        .await?
        .ok_or(ServiceError::NotFound(
            "There is no account with that email.",
        ))
}

/// Turns an account off: it cannot sign in (the answer is the one a wrong password
/// gets), its sessions end at once and its album links close. Returns how many sessions
/// ended.
pub async fn disable(db: &Db, email: &str) -> ServiceResult<u64> {
    let id = account_id(db, email).await?;
    Ok(db.disable_user(&id).await?)
}

/// Turns an account on again; its album links open again, its ended sessions do not.
pub async fn enable(db: &Db, email: &str) -> ServiceResult<()> {
    let id = account_id(db, email).await?;
    Ok(db.enable_user(&id).await?)
}

/// Gives an account a new password (the same rule as a new account's) and ends all its
/// sessions. Returns how many ended.
pub async fn reset_password(db: &Db, email: &str, password: &str) -> ServiceResult<u64> {
    check_new_password(password)?;
    let id = account_id(db, email).await?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("password hashing does not panic");
    Ok(db.set_password(&id, &hash).await?)
}

/// The account's sessions, oldest first (device names and times; never tokens).
pub async fn sessions(db: &Db, email: &str) -> ServiceResult<Vec<SessionRow>> {
    let id = account_id(db, email).await?;
    Ok(db.sessions_of(&id).await?)
}

/// Ends every session of the account, on every device. Returns how many ended.
pub async fn end_sessions(db: &Db, email: &str) -> ServiceResult<u64> {
    let id = account_id(db, email).await?;
    Ok(db.end_sessions(&id).await?)
}

/// Parses "15GB", "500 MiB", "1.5 TB" or a plain byte count.
pub fn parse_size(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0f64.powi(4),
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 0.0 && bytes < i64::MAX as f64).then_some(bytes.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery "));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(parse_size("15GB"), Some(15_000_000_000));
        assert_eq!(parse_size("500 MiB"), Some(500 * 1024 * 1024));
        assert_eq!(parse_size("1.5tb"), Some(1_500_000_000_000));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("-3GB"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("9999999999 TB"), None);
    }

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Mum@Example.org ").unwrap(),
            "mum@example.org"
        );
        for bad in [
            "",
            "mum",
            "mum@",
            "@example.org",
            "mum@localhost",
            "m um@example.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_limiter_locks_an_address_after_its_allowance_and_not_others() {
        let limiter = SignInLimiter::new(3, Duration::from_secs(600));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
            limiter.record_failure(a);
        }
        assert!(matches!(
            limiter.check(a),
            Err(ServiceError::TooManyAttempts { .. })
        ));
        assert!(limiter.check(b).is_ok());
    }
}
