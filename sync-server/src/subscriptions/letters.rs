//! The e-mails of a subscription, sent by the worker's jobs: the confirmation, and the
//! digest of what is new ("12 new photos in Summer 2024", a few thumbnails inline, a
//! big button to the album, and one-click unsubscribe as RFC 8058 has it:
//! `List-Unsubscribe` with `List-Unsubscribe-Post`).
//!
//! Each e-mail carries a fresh random key (its hash kept just before sending), so any
//! e-mail's link keeps working. A digest's Message-ID is made of the subscription and the
//! digest's number: were it ever sent again (the SMTP server took it but the worker died
//! before recording it), the receiving side can tell it is the same message.

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use picup_api::ObjectName;

use crate::clock::Clock;
use crate::db::{AlbumNews, Db, DbError, Subscription, Tx};
use crate::ids;
use crate::mail::{MailError, Mailer};
use crate::store::{ObjectStore, object_key};

/// Thumbnails shown in a digest, at most.
const THUMBNAILS: i64 = 4;

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("the job's subject {0:?} is not a subscription and a number")]
    BadSubject(String),
}

impl LetterError {
    /// Trying again would not help (the SMTP server refused the message for good).
    pub fn is_permanent(&self) -> bool {
        match self {
            LetterError::Mail(e) => e.is_permanent(),
            LetterError::BadSubject(_) => true,
            LetterError::Db(_) => false,
        }
    }
}

/// Whose digest it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestOf {
    /// A family member's subscription to an album (its id).
    Subscription(String),
    /// The owner's digest of what the family did (the account's id).
    Owner(String),
}

/// A digest the SMTP server took, to be recorded with its job's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSent {
    pub of: DigestOf,
    pub number: i64,
    /// The owner's change number the digest told up to.
    pub until: i64,
}

impl DigestSent {
    /// Records the digest as sent, in the transaction that finishes its job, so it is
    /// never sent twice; false when it already was.
    pub async fn record(&self, tx: &mut Tx, now: i64) -> Result<bool, DbError> {
        match &self.of {
            DigestOf::Subscription(id) => tx.record_digest(id, self.number, self.until, now).await,
            DigestOf::Owner(user_id) => {
                tx.record_family_digest(user_id, self.number, self.until, now)
                    .await
            }
        }
    }
}

/// A digest job's subject, `ID:N`: whose, and the digest's number.
pub(super) fn digest_subject(subject: &str) -> Result<(&str, i64), LetterError> {
    let bad = || LetterError::BadSubject(subject.to_owned());
    let (id, number) = subject.rsplit_once(':').ok_or_else(bad)?;
    Ok((id, number.parse().map_err(|_| bad())?))
}

/// Sends the confirmation e-mail of a subscription not yet confirmed (nothing for one
/// confirmed or gone meanwhile, or whose link closed).
pub async fn send_confirmation(
    db: &Db,
    mailer: &Mailer,
    clock: &Clock,
    subscription_id: &str,
) -> Result<(), LetterError> {
    let now = clock.now_ms();
    let Some(subscription) = db.subscription(subscription_id, now).await? else {
        return Ok(());
    };
    if subscription.confirmed || !subscription.link_open {
        return Ok(());
    }
    let key = new_key(db, &subscription, now).await?;
    let confirm = format!("{}/subscriptions/confirm?t={key}", subscription.link_url);
    let title = &subscription.album_title;
    let text = format!(
        "Hello,\n\nSomeone, probably you, asked to get an e-mail when new photos are added to \
         the album \"{title}\".\n\nTo say yes, open this link:\n{confirm}\n\nIf it was not \
         you, do nothing: you will get no more e-mails about it.\n"
    );
    let html = page(&format!(
        "<p>Hello,</p><p>Someone, probably you, asked to get an e-mail when new photos are \
         added to the album <strong>{}</strong>.</p>{}<p>If it was not you, do nothing: you \
         will get no more e-mails about it.</p>",
        escape(title),
        button(&confirm, "Yes, tell me about new photos"),
    ));
    let message = envelope(mailer, &subscription)?
        .subject(format!("Please confirm: new photos in {title}"))
        .message_id(Some(format!(
            "<confirm-{}-{}@{}>",
            subscription.id,
            ids::random_id(),
            mailer.domain
        )))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(MailError::from)?;
    mailer.send(message).await?;
    Ok(())
}

/// Sends digest `ID:N` when it is still due (not sent, the subscription confirmed, its
/// link open) and the album shows something new; what was sent, to be recorded.
pub async fn send_digest(
    db: &Db,
    store: &ObjectStore,
    mailer: &Mailer,
    clock: &Clock,
    subject: &str,
) -> Result<Option<DigestSent>, LetterError> {
    let (id, number) = digest_subject(subject)?;
    let now = clock.now_ms();
    let Some(subscription) = db.subscription(id, now).await? else {
        return Ok(None);
    };
    if !subscription.confirmed || !subscription.link_open || subscription.digests_sent >= number {
        return Ok(None);
    }
    let until = db.latest_change(&subscription.user_id).await?;
    let news = db
        .album_news(
            &subscription.user_id,
            &subscription.album_id,
            subscription.seen_seq,
            until,
            THUMBNAILS,
        )
        .await?;
    if news.photos + news.videos == 0 {
        return Ok(None);
    }
    let key = new_key(db, &subscription, now).await?;
    let unsubscribe = format!(
        "{}/subscriptions/unsubscribe?t={key}",
        subscription.link_url
    );
    let mut message = envelope(mailer, &subscription)?
        .subject(headline(&news, &subscription.album_title))
        .message_id(Some(format!(
            "<digest-{}-{number}@{}>",
            subscription.id, mailer.domain
        )))
        .multipart(digest_body(store, &subscription, &news, &unsubscribe).await)
        .map_err(MailError::from)?;
    let headers = message.headers_mut();
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("List-Unsubscribe"),
        format!("<{unsubscribe}>"),
    ));
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click".into(),
    ));
    mailer.send(message).await?;
    Ok(Some(DigestSent {
        of: DigestOf::Subscription(subscription.id),
        number,
        until,
    }))
}

/// "12 new photos in Summer 2024", "1 new video in …", "3 new photos and 2 new videos in …".
pub fn headline(news: &AlbumNews, title: &str) -> String {
    format!("{} in {title}", counted(news))
}

fn counted(news: &AlbumNews) -> String {
    let words =
        |n: i64, one: &str, many: &str| format!("{n} new {}", if n == 1 { one } else { many });
    match (news.photos, news.videos) {
        (p, 0) => words(p, "photo", "photos"),
        (0, v) => words(v, "video", "videos"),
        (p, v) => format!(
            "{} and {}",
            words(p, "photo", "photos"),
            words(v, "video", "videos")
        ),
    }
}

async fn digest_body(
    store: &ObjectStore,
    subscription: &Subscription,
    news: &AlbumNews,
    unsubscribe: &str,
) -> MultiPart {
    let title = &subscription.album_title;
    let link = &subscription.link_url;
    let text = format!(
        "Hello,\n\n{} in the album \"{title}\".\n\nSee them here:\n{link}\n\nTo get no more \
         of these e-mails, open this link:\n{unsubscribe}\n",
        counted(news)
    );
    let pictures = inline_thumbnails(store, &news.newest_prefixes).await;
    let images = thumbnails_html(&pictures);
    let html = page(&format!(
        "<p>Hello,</p><p style=\"font-size:24px\"><strong>{}</strong> in the album \
         <strong>{}</strong>.</p><p>{images}</p>{}\
         <p style=\"font-size:16px;color:#555\"><a href=\"{}\">Stop these e-mails</a></p>",
        escape(&counted(news)),
        escape(title),
        button(link, "See the new photos"),
        escape(unsubscribe),
    ));
    with_pictures(text, html, pictures)
}

/// Thumbnails to put inside an e-mail, as (Content-ID, JPEG bytes): inside, there is no
/// address that could run out or tell who looked. One the store cannot give now is left
/// out.
pub(super) async fn inline_thumbnails(
    store: &ObjectStore,
    prefixes: &[String],
) -> Vec<(String, Vec<u8>)> {
    let mut pictures = Vec::new();
    for (n, prefix) in prefixes.iter().enumerate() {
        match store.get(&object_key(prefix, ObjectName::Thumbnail)).await {
            Ok(bytes) => pictures.push((format!("photo{n}@picup"), bytes)),
            Err(e) => tracing::warn!(error = %e, "a digest goes without one thumbnail"),
        }
    }
    pictures
}

/// The `<img>`s showing `pictures` in a row.
pub(super) fn thumbnails_html(pictures: &[(String, Vec<u8>)]) -> String {
    pictures
        .iter()
        .map(|(cid, _)| {
            format!(
                "<img src=\"cid:{cid}\" alt=\"\" width=\"140\" style=\"width:140px;height:140px;\
                 object-fit:cover;border-radius:12px;margin:4px\">"
            )
        })
        .collect()
}

/// An e-mail's body: plain text, or HTML with `pictures` inline.
pub(super) fn with_pictures(
    text: String,
    html: String,
    pictures: Vec<(String, Vec<u8>)>,
) -> MultiPart {
    let mut related = MultiPart::related().singlepart(SinglePart::html(html));
    let jpeg = ContentType::parse("image/jpeg").expect("a valid content type");
    for (cid, bytes) in pictures {
        related = related.singlepart(Attachment::new_inline(cid).body(bytes, jpeg.clone()));
    }
    MultiPart::alternative()
        .singlepart(SinglePart::plain(text))
        .multipart(related)
}

/// A new key for the links of an e-mail about to go; only its hash is kept.
async fn new_key(db: &Db, subscription: &Subscription, now: i64) -> Result<String, DbError> {
    let key = ids::random_token();
    db.add_subscription_key(&subscription.id, &ids::token_hash(&key), now)
        .await?;
    Ok(key)
}

fn envelope(
    mailer: &Mailer,
    subscription: &Subscription,
) -> Result<lettre::message::MessageBuilder, MailError> {
    let to: Mailbox = subscription.email.parse()?;
    Ok(Message::builder().from(mailer.from.clone()).to(to))
}

/// The HTML around an e-mail's words: large type, one column.
pub(super) fn page(body: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"margin:0;padding:24px;background:#faf7f2;\
         font-family:sans-serif;font-size:20px;line-height:1.5;color:#222\">\
         <div style=\"max-width:600px;margin:0 auto\">{body}</div></body></html>"
    )
}

/// A big button that is a link.
pub(super) fn button(href: &str, words: &str) -> String {
    format!(
        "<p><a href=\"{}\" style=\"display:inline-block;padding:18px 32px;border-radius:14px;\
         background:#0f6e66;color:#fff;font-size:24px;font-weight:bold;text-decoration:none\">\
         {}</a></p>",
        escape(href),
        escape(words)
    )
}

/// `text` made safe inside HTML, in text and in quoted attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_count_photos_and_videos_apart() {
        let news = |photos, videos| AlbumNews {
            photos,
            videos,
            newest_prefixes: vec![],
        };
        assert_eq!(
            headline(&news(12, 0), "Summer 2024"),
            "12 new photos in Summer 2024"
        );
        assert_eq!(headline(&news(1, 0), "S"), "1 new photo in S");
        assert_eq!(headline(&news(0, 1), "S"), "1 new video in S");
        assert_eq!(
            headline(&news(3, 2), "S"),
            "3 new photos and 2 new videos in S"
        );
        assert_eq!(escape("<b>\"&'"), "&lt;b&gt;&quot;&amp;&#39;");
    }
}
