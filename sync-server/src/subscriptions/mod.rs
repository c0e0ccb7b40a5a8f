//! "Tell me when new photos are added": the family subscribes an e-mail address to an
//! album through its link, confirms it from the e-mail that follows (double opt-in:
//! nothing else is sent before), and is then told at most once a `digest_interval`
//! what the album shows that is new; one POST of a key from any of its e-mails
//! unsubscribes, with no password and no cookie.
//!
//! Who is subscribed is never told to anyone: asking again for an address already
//! subscribed answers exactly as for a new one. Confirmation e-mails are budgeted per
//! address and per link (per replica, in memory, like the sign-in limits).
//!
//! The e-mails themselves are jobs in the outbox (`letters`): a confirmation is queued
//! in the transaction that records the subscription; digests are planned by the worker
//! (`plan_digests`) as one job per digest (`ID:N`), and the worker records a digest as
//! sent in the transaction that finishes its job.
//!
//! The owner's own digest of what the family did is `family`, on the same machinery.
//!
//! A digest carries the album's address. A link's token is kept only as a hash, so the
//! subscription keeps a copy of the address the visitor subscribed from (they hold it
//! already); it goes with the subscription.

pub mod family;
pub mod letters;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use picup_api::ErrorCode;

use crate::clock::Clock;
use crate::db::{Db, JobKind, NewSubscription, SharedAlbum, Subscription};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;

/// The longest address SMTP carries (RFC 5321: a path of 256 octets with its brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// How many confirmation e-mails may be asked for, per address and per link, in a day.
pub struct SubscribeBudget {
    per_address: u32,
    per_link: u32,
    /// When (ms) the current day began, and the counts in it.
    counts: Mutex<(i64, HashMap<String, u32>)>,
}

impl SubscribeBudget {
    pub fn new(per_address: u32, per_link: u32) -> SubscribeBudget {
        SubscribeBudget {
            per_address,
            per_link,
            counts: Mutex::new((i64::MIN, HashMap::new())),
        }
    }

    /// Counts one confirmation asked for `email` through `link_id` at `now`; false when
    /// either has had its fill today (and then neither is counted).
    fn allow(&self, email: &str, link_id: &str, now: i64) -> bool {
        let mut counts = self.counts.lock().expect("budget lock");
        if now.saturating_sub(counts.0) >= DAY.as_millis() as i64 {
            *counts = (now, HashMap::new());
        }
        let (address, link) = (format!("address:{email}"), format!("link:{link_id}"));
        let used = |key: &str| counts.1.get(key).copied().unwrap_or(0);
        if used(&address) >= self.per_address || used(&link) >= self.per_link {
            return false;
        }
        *counts.1.entry(address).or_insert(0) += 1;
        *counts.1.entry(link).or_insert(0) += 1;
        true
    }

    /// Seconds until the budget's day ends.
    fn retry_after(&self, now: i64) -> u64 {
        let began = self.counts.lock().expect("budget lock").0;
        let left = (began.saturating_add(DAY.as_millis() as i64) - now).max(0);
        (left as u64).div_ceil(1000).max(1)
    }
}

/// An e-mail address as typed, checked and made the one way it is kept (trimmed, lower
/// case), or why not, in words.
pub fn checked_email(typed: &str) -> ServiceResult<String> {
    let email = typed.trim();
    let refuse = |message: &str| Err(ServiceError::invalid(ErrorCode::InvalidEmail, message));
    if email.is_empty() {
        return refuse("Type your e-mail address, like grandma@example.org.");
    }
    if email.len() > MAX_EMAIL_BYTES {
        return refuse("This e-mail address is too long. Check it and try again.");
    }
    let plain = email
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && !"<>,;\"()[]\\".contains(c));
    let shaped = email
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !plain || !shaped || email.parse::<lettre::Address>().is_err() {
        return refuse(
            "This does not look like an e-mail address. Check it and try again, like \
             grandma@example.org.",
        );
    }
    Ok(email.to_lowercase())
}

/// Subscribes `email` to the album of `link` (reached at `link_url`): a new address, or
/// one not yet confirmed, gets a confirmation e-mail; one already confirmed gets
/// nothing. The answer is the same either way.
pub async fn subscribe(
    db: &Db,
    clock: &Clock,
    budget: &SubscribeBudget,
    link: &SharedAlbum,
    link_url: &str,
    typed_email: &str,
) -> ServiceResult<()> {
    let email = checked_email(typed_email)?;
    let now = clock.now_ms();
    if !budget.allow(&email, &link.id, now) {
        return Err(ServiceError::MailLimit {
            retry_after_secs: budget.retry_after(now),
        });
    }
    let mut tx = db.begin().await?;
    let id = match tx.find_subscription(&link.album_id, &email).await? {
        Some((_, true)) => return Ok(()),
        Some((id, false)) => id,
        None => {
            let id = ids::random_id();
            let new = NewSubscription {
                id: &id,
                share_link_id: &link.id,
                album_id: &link.album_id,
                email: &email,
                link_url,
            };
            tx.insert_subscription(&new, &link.user_id, now).await?;
            id
        }
    };
    tx.queue_job(JobKind::SendConfirmation, &id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms the subscription `key` opens, when it is for `link`'s album; the album's
/// title, or None when the key opens nothing here.
pub async fn confirm(
    db: &Db,
    clock: &Clock,
    link: &SharedAlbum,
    key: &str,
) -> ServiceResult<Option<String>> {
    let now = clock.now_ms();
    let Some(subscription) = by_key(db, key, now).await? else {
        return Ok(None);
    };
    if subscription.album_id != link.album_id {
        return Ok(None);
    }
    db.confirm_subscription(&subscription.id, now).await?;
    Ok(Some(subscription.album_title))
}

/// Forgets the subscription `key` opens (whatever the state of its link); false when
/// there is none (already unsubscribed, say).
pub async fn unsubscribe(db: &Db, key: &str) -> ServiceResult<bool> {
    if !plausible_key(key) {
        return Ok(false);
    }
    Ok(db.unsubscribe_by_key(&ids::token_hash(key)).await?)
}

async fn by_key(db: &Db, key: &str, now: i64) -> ServiceResult<Option<Subscription>> {
    if !plausible_key(key) {
        return Ok(None);
    }
    Ok(db.subscription_by_key(&ids::token_hash(key), now).await?)
}

/// Keys are `ids::random_token`s; anything else is unknown without a database trip.
fn plausible_key(key: &str) -> bool {
    (20..=100).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Queues a digest job for each confirmed subscription whose album shows something
/// new and that was last told at least `interval` ago (at most `limit`). Planning one
/// twice queues it once (its job's id is the subscription and the digest's number).
pub async fn plan_digests(db: &Db, now: i64, interval: Duration, limit: i64) -> ServiceResult<u64> {
    let told_before = now - interval.as_millis() as i64;
    let due = db.digests_due(now, told_before, limit).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let subjects: Vec<String> = due
        .iter()
        .map(|(id, sent)| format!("{id}:{}", sent + 1))
        .collect();
    let mut tx = db.begin().await?;
    tx.queue_jobs(JobKind::SendDigest, &subjects, now).await?;
    tx.commit().await?;
    Ok(subjects.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_kept_one_way() {
        assert_eq!(
            checked_email("  Grandma@Example.ORG ").unwrap(),
            "grandma@example.org"
        );
        for bad in [
            "",
            "grandma",
            "grandma@",
            "@example.org",
            "grandma@localhost",
            "a b@example.org",
            "x@example.org\r\nBcc: y@example.org",
            "<x@example.org>",
        ] {
            assert!(checked_email(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        let refused = checked_email(&long).unwrap_err().to_string();
        assert!(refused.contains("too long"), "{refused}");
    }

    #[test]
    fn the_budget_counts_per_address_and_per_link_and_renews_daily() {
        let budget = SubscribeBudget::new(2, 3);
        assert!(budget.allow("a@x.org", "L1", 0));
        assert!(budget.allow("a@x.org", "L2", 1));
        assert!(!budget.allow("a@x.org", "L3", 2), "the address had its two");
        assert!(budget.allow("b@x.org", "L1", 3));
        assert!(budget.allow("c@x.org", "L1", 4));
        assert!(!budget.allow("d@x.org", "L1", 5), "the link had its three");
        assert!(budget.retry_after(5) > 86_000);
        assert!(budget.allow("a@x.org", "L1", DAY.as_millis() as i64));
    }
}
