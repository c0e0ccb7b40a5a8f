//! Accounts and sign-in: Argon2id password hashes, random session tokens stored only as
//! hashes, and limits on sign-in attempts per network and per account; and the
//! operator's rules for an account: disable and enable it, reset its password, list and
//! end its sessions.

use picup_api::ErrorCode;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::clock::Clock;
use crate::db::{Db, DbError, Session};
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
            ErrorCode::InvalidEmail,
            "That does not look like an email address.",
        ))
    }
}

/// Creates an account. The password must be at least 10 characters.
pub async fn create_user(
    db: &Db,
    clock: &Clock,
    email: &str,
    password: &str,
    quota_bytes: i64,
) -> ServiceResult<String> {
    let email = normalize_email(email)?;
    check_new_password(password)?;
    if quota_bytes < 0 {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidQuota,
            "The quota cannot be negative.",
        ));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("password hashing does not panic");
    let id = ids::random_id();
    db.insert_user(&id, &email, &hash, quota_bytes, clock.now_ms())
        .await
        .map_err(|e| match e {
            DbError::EmailTaken => {
                ServiceError::Conflict("An account with that email already exists.".into())
            }
            e => e.into(),
        })?;
    Ok(id)
}

/// Where sign-in attempts are counted: the network they come from (an IPv4 address, or
/// an IPv6 /64, which one household or one attacker's machine gets whole) and the
/// account they try. One account's success clears nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum AttemptKey {
    Network(IpAddr),
    Account(String),
}

/// The network an address counts as: itself for IPv4, its /64 for IPv6.
pub fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
        v4 => v4,
    }
}

/// Limits sign-in attempts per network and per account, and how many passwords are
/// checked at once.
///
/// An attempt is counted *before* its password is checked, and only a success takes
/// its own count back, so a burst of concurrent guesses cannot slip past the limit and
/// signing in to one's own account does not wipe the failures against another. Argon2id
/// needs 19 MiB per check: at most one check per core runs at a time, and an attempt
/// that cannot start within a few seconds is answered "busy" (and not counted).
/// Each replica counts its own; behind a load balancer the limit is per replica.
pub struct SignInLimiter {
    per_network: u32,
    per_account: u32,
    window: Duration,
    /// Per key: attempts in the current window, and when (ms) that window began.
    attempts: Mutex<HashMap<AttemptKey, (u32, i64)>>,
    checking: Semaphore,
    wait_for_check: Duration,
}

/// Entries kept before old ones are dropped (each is a few dozen bytes).
const MAX_TRACKED: usize = 100_000;

/// An attempt that has been counted; [`Attempt::succeeded`] takes the count back.
pub struct Attempt<'a> {
    limiter: &'a SignInLimiter,
    keys: [AttemptKey; 2],
}

impl SignInLimiter {
    pub fn new(per_network: u32, per_account: u32, window: Duration) -> SignInLimiter {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        SignInLimiter {
            per_network,
            per_account,
            window,
            attempts: Mutex::new(HashMap::new()),
            checking: Semaphore::new(cores),
            wait_for_check: Duration::from_secs(5),
        }
    }

    /// Counts an attempt from `address` at `account` at `now` (ms), or refuses it when
    /// either has used up its allowance within the window.
    fn begin(&self, address: IpAddr, account: &str, now: i64) -> ServiceResult<Attempt<'_>> {
        let keys = [
            AttemptKey::Network(network_of(address)),
            AttemptKey::Account(account.to_owned()),
        ];
        let mut attempts = self.attempts.lock().expect("limiter lock");
        let elapsed = |since: i64| Duration::from_millis((now - since).max(0) as u64);
        if attempts.len() > MAX_TRACKED {
            let window = self.window;
            attempts.retain(|_, (_, since)| elapsed(*since) < window);
        }
        let mut wait = Duration::ZERO;
        for (key, allowed) in keys.iter().zip([self.per_network, self.per_account]) {
            if let Some((count, since)) = attempts.get(key) {
                let left = self.window.saturating_sub(elapsed(*since));
                if *count >= allowed && !left.is_zero() {
                    wait = wait.max(left);
                }
            }
        }
        if !wait.is_zero() {
            return Err(ServiceError::TooManyAttempts {
                minutes: wait.as_secs().div_ceil(60).max(1),
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        for key in &keys {
            let entry = attempts.entry(key.clone()).or_insert((0, now));
            if elapsed(entry.1) >= self.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(Attempt {
            limiter: self,
            keys,
        })
    }

    /// Checks `password` against `hash` for `subject` (an album link's password, say)
    /// under the same budget as signing in: counted before Argon2id runs, at most one
    /// check per core, a right answer not counted. Ok(false) for a wrong password.
    pub async fn check_password(
        &self,
        address: IpAddr,
        subject: &str,
        hash: &str,
        password: &str,
        now: i64,
    ) -> ServiceResult<bool> {
        let attempt = self.begin(address, subject, now)?;
        let Ok(_checking) =
            tokio::time::timeout(self.wait_for_check, self.checking.acquire()).await
        else {
            attempt.not_checked();
            return Err(ServiceError::Busy {
                retry_after_secs: 2,
            });
        };
        let (hash, password) = (hash.to_owned(), password.to_owned());
        let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .expect("password checking does not panic");
        if matches {
            attempt.succeeded();
        }
        Ok(matches)
    }

    fn take_back(&self, keys: &[AttemptKey]) {
        let mut attempts = self.attempts.lock().expect("limiter lock");
        for key in keys {
            if let Some(entry) = attempts.get_mut(key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

impl Attempt<'_> {
    /// The password was right: this attempt no longer counts (earlier ones still do).
    fn succeeded(self) {
        self.limiter.take_back(&self.keys);
    }

    /// The password could not be checked at all (the server was too busy): not counted.
    fn not_checked(self) {
        self.limiter.take_back(&self.keys);
    }
}

/// At most `limit` requests per address in each window (a fixed window: simple, and
/// enough to stop one address from hammering public pages).
pub struct WindowLimiter {
    limit: u32,
    window: Duration,
    /// When (ms) the current window began, and each address's count in it.
    counts: Mutex<(i64, HashMap<IpAddr, u32>)>,
}

impl WindowLimiter {
    pub fn new(limit: u32, window: Duration) -> WindowLimiter {
        WindowLimiter {
            limit,
            window,
            counts: Mutex::new((i64::MIN, HashMap::new())),
        }
    }

    /// Counts a request from `address` at `now` (ms); false once it is over the limit.
    pub fn allow(&self, address: IpAddr, now: i64) -> bool {
        let mut counts = self.counts.lock().expect("limiter lock");
        if now.saturating_sub(counts.0) >= self.window.as_millis() as i64 {
            *counts = (now, HashMap::new());
        }
        let count = counts.1.entry(address).or_insert(0);
        *count += 1;
        *count <= self.limit
    }
}

/// Checks the password and opens a session for `session_ttl`: (token, expires_at in ms).
pub async fn sign_in(
    db: &Db,
    clock: &Clock,
    limiter: &SignInLimiter,
    address: IpAddr,
    request: &picup_api::SignIn,
    session_ttl: Duration,
) -> ServiceResult<(String, i64)> {
    let (email, password) = (&request.email, &request.password);
    let device_name = request.device_name.trim();
    if device_name.is_empty() || device_name.chars().count() > 100 {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidDeviceName,
            "Give this device a name of 1 to 100 characters.",
        ));
    }
    let email = normalize_email(email).ok();
    // Counted before anything costly, under the name tried (known or not, so the limit
    // says nothing about which accounts exist).
    let tried = email.clone().unwrap_or_else(|| "(not an email)".into());
    let attempt = limiter.begin(address, &tried, clock.now_ms())?;
    let Ok(_checking) =
        tokio::time::timeout(limiter.wait_for_check, limiter.checking.acquire()).await
    else {
        attempt.not_checked();
        return Err(ServiceError::Busy {
            retry_after_secs: 2,
        });
    };
    let user = match &email {
        Some(email) => db.user_by_email(email).await?,
        None => None,
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
        _ => return Err(ServiceError::WrongCredentials),
    };
    attempt.succeeded();
    let token = ids::random_token();
    let now = clock.now_ms();
    let expires_at = now + session_ttl.as_millis() as i64;
    let opened = db
        .insert_session(
            &ids::token_hash(&token),
            &user.id,
            &user.password_hash,
            device_name,
            now,
            expires_at,
        )
        .await?;
    if !opened {
        // The password was reset, or the account disabled, while it was being checked.
        return Err(ServiceError::WrongCredentials);
    }
    Ok((token, expires_at))
}

/// The account behind a bearer token, if the session exists and has not expired.
pub async fn authenticate(db: &Db, clock: &Clock, token: &str) -> ServiceResult<SignedIn> {
    let token_hash = ids::token_hash(token);
    match db.session(&token_hash).await? {
        Some((user_id, expires_at)) if expires_at > clock.now_ms() => Ok(SignedIn {
            user_id,
            token_hash,
        }),
        _ => Err(ServiceError::Unauthenticated),
    }
}

/// Ends the session this token opened.
pub async fn sign_out(db: &Db, me: &SignedIn) -> ServiceResult<()> {
    Ok(db.delete_session(&me.token_hash).await?)
}

/// The signed-in account and its storage, as the API shows it.
/// `mail_available`: the server sends e-mail, so the family digest can be switched on.
pub async fn account(
    db: &Db,
    me: &SignedIn,
    mail_available: bool,
) -> ServiceResult<picup_api::Account> {
    let user = db
        .user_by_id(&me.user_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let family_digest = db.family_digest(&me.user_id).await?;
    Ok(picup_api::Account {
        email: user.email,
        quota_bytes: user.quota_bytes,
        used_bytes: user.used_bytes,
        reserved_bytes: user.reserved_bytes,
        trash_bytes: db.trash_bytes(&me.user_id).await?,
        family_digest: family_digest.is_some_and(|digest| digest.wanted),
        mail_available,
        display_name: user.display_name,
    })
}

/// The rule for every password an account is given: at least 10 characters.
fn check_new_password(password: &str) -> ServiceResult<()> {
    if password.chars().count() < 10 {
        return Err(ServiceError::invalid(
            ErrorCode::WeakPassword,
            "The password must be at least 10 characters long.",
        ));
    }
    Ok(())
}

/// The id of the account with this email, disabled or not.
pub(crate) async fn account_id(db: &Db, email: &str) -> ServiceResult<String> {
    db.user_id_by_email(&normalize_email(email)?)
        .await?
        .ok_or(ServiceError::NotFound(
            "There is no account with that email.",
        ))
}

/// Turns an account off: it cannot sign in (the answer is the one a wrong password
/// gets), its sessions end at once and its album links close. Returns how many sessions
/// ended.
pub async fn disable(db: &Db, clock: &Clock, email: &str) -> ServiceResult<u64> {
    let id = account_id(db, email).await?;
    let mut tx = db.begin().await?;
    tx.disable_user(&id, clock.now_ms()).await?;
    let ended = tx.delete_sessions_of(&id).await?;
    tx.commit().await?;
    Ok(ended)
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
    let mut tx = db.begin().await?;
    tx.set_password_hash(&id, &hash).await?;
    let ended = tx.delete_sessions_of(&id).await?;
    tx.commit().await?;
    Ok(ended)
}

/// The account's sessions, oldest first (device names and times; never tokens).
pub async fn sessions(db: &Db, email: &str) -> ServiceResult<Vec<Session>> {
    let id = account_id(db, email).await?;
    Ok(db.sessions_of(&id).await?)
}

/// Ends every session of the account, on every device. Returns how many ended.
pub async fn end_sessions(db: &Db, email: &str) -> ServiceResult<u64> {
    let id = account_id(db, email).await?;
    let mut tx = db.begin().await?;
    let ended = tx.delete_sessions_of(&id).await?;
    tx.commit().await?;
    Ok(ended)
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
    fn the_limiter_counts_before_checking_and_a_success_clears_only_itself() {
        let limiter = SignInLimiter::new(3, 5, Duration::from_secs(600));
        let start = 1_700_000_000_000;
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        // Three attempts in flight at once all count: a fourth is refused before any ends.
        let pending: Vec<_> = (0..3)
            .map(|_| limiter.begin(a, "dad@example.org", start).unwrap())
            .collect();
        assert!(matches!(
            limiter.begin(a, "dad@example.org", start),
            Err(ServiceError::TooManyAttempts { .. })
        ));
        // Succeeding at one's own account takes back that attempt only.
        for attempt in pending.into_iter().take(1) {
            attempt.succeeded();
        }
        assert!(limiter.begin(a, "mum@example.org", start).is_ok());
        assert!(limiter.begin(a, "mum@example.org", start).is_err());
        // Another network may still try dad's account (two of its five attempts are
        // used), until the account's own allowance is used up.
        for _ in 0..3 {
            assert!(limiter.begin(b, "dad@example.org", start).is_ok());
        }
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(limiter.begin(c, "dad@example.org", start).is_err());
        assert!(limiter.begin(c, "mum@example.org", start).is_ok());
        // The window passes.
        let later = start + 601_000;
        assert!(limiter.begin(a, "dad@example.org", later).is_ok());
    }

    #[test]
    fn a_window_limiter_counts_per_address_until_its_window_passes() {
        let limiter = WindowLimiter::new(2, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = 1_700_000_000_000;
        assert!(limiter.allow(a, start) && limiter.allow(a, start + 1));
        assert!(
            !limiter.allow(a, start + 59_999),
            "a third request in the minute"
        );
        assert!(
            limiter.allow(b, start + 59_999),
            "another address has its own budget"
        );
        assert!(
            limiter.allow(a, start + 60_000),
            "a new minute, a new budget"
        );
    }

    #[test]
    fn an_ipv6_network_is_counted_as_its_64() {
        let limiter = SignInLimiter::new(2, 100, Duration::from_secs(600));
        let now = 1_700_000_000_000;
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other_host: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_net: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        limiter.begin(one, "a@example.org", now).unwrap();
        limiter.begin(other_host, "b@example.org", now).unwrap();
        assert!(limiter.begin(other_host, "c@example.org", now).is_err());
        assert!(limiter.begin(other_net, "c@example.org", now).is_ok());
    }
}
