//! The owner's e-mail digest of what the family did: photos and videos added through a
//! link, hearts given and comments written, per album ("Grandma added 3 photos to Summer
//! 2024", "2 new comments and 5 hearts on Summer 2024"), a few comments quoted and a few
//! of the added photos inline. Off until the owner switches it on in Settings (`PUT
//! /v1/me/family-digest`), and only on a server that sends e-mail.
//!
//! It rides the family digests' machinery: the worker plans one `send_family_digest` job
//! per digest (`USER:N`) at most once a `digest_interval` and only when there is news,
//! sends it with Message-ID `family-digest-USER-N@…`, and records it (`seen_seq`, the
//! number) in the transaction that finishes the job; a failed send is retried like any
//! e-mail.

use std::time::Duration;

use lettre::Message;
use lettre::message::Mailbox;

use super::letters::{
    self, DigestOf, DigestSent, LetterError, escape, inline_thumbnails, page, thumbnails_html,
    with_pictures,
};
use crate::db::{Db, FamilyNews, FamilyResponses, JobKind};
use crate::error::{ServiceError, ServiceResult};
use crate::mail::{MailError, Mailer};
use crate::store::ObjectStore;

/// Thumbnails and quoted comments in a digest, at most.
const THUMBNAILS: i64 = 4;
const QUOTES: i64 = 5;
/// A quoted comment longer than this is cut (with "…").
const QUOTE_CHARS: usize = 200;

/// Switches the owner's digest on or off. Switching on needs a server that sends e-mail.
pub async fn switch(db: &Db, user_id: &str, on: bool, mail_available: bool) -> ServiceResult<()> {
    if on && !mail_available {
        return Err(ServiceError::MailNotSetUp);
    }
    Ok(db.set_family_digest(user_id, on).await?)
}

/// Queues a digest job for each owner with the digest on whose family did something
/// since they were last told, last told at least `interval` ago (at most `limit`).
/// Planning one twice queues it once (its job's id is the account and the number).
pub async fn plan(db: &Db, now: i64, interval: Duration, limit: i64) -> ServiceResult<u64> {
    let told_before = now - interval.as_millis() as i64;
    let due = db.family_digests_due(told_before, limit).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let subjects: Vec<String> = due
        .iter()
        .map(|(user_id, sent)| format!("{user_id}:{}", sent + 1))
        .collect();
    let mut tx = db.begin().await?;
    tx.queue_jobs(JobKind::SendFamilyDigest, &subjects, now)
        .await?;
    tx.commit().await?;
    Ok(subjects.len() as u64)
}

/// Sends the owner's digest `USER:N` when it is still due (on, not sent, the account not
/// disabled) and the family did something; what was sent, to be recorded.
pub async fn send(
    db: &Db,
    store: &ObjectStore,
    mailer: &Mailer,
    subject: &str,
) -> Result<Option<DigestSent>, LetterError> {
    let (user_id, number) = letters::digest_subject(subject)?;
    let Some(digest) = db.family_digest(user_id).await? else {
        return Ok(None);
    };
    if !digest.wanted || digest.disabled || digest.digests_sent >= number {
        return Ok(None);
    }
    let until = db.latest_change(user_id).await?;
    let news = db
        .family_news(user_id, digest.seen_seq, until, QUOTES, THUMBNAILS)
        .await?;
    if news.is_empty() {
        return Ok(None);
    }
    let to: Mailbox = digest.email.parse().map_err(MailError::from)?;
    let pictures = inline_thumbnails(store, &news.newest_prefixes).await;
    let (text, html) = body(&news, &thumbnails_html(&pictures));
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(headline(&news))
        .message_id(Some(format!(
            "<family-digest-{user_id}-{number}@{}>",
            mailer.domain
        )))
        .multipart(with_pictures(text, html, pictures))
        .map_err(MailError::from)?;
    mailer.send(message).await?;
    Ok(Some(DigestSent {
        of: DigestOf::Owner(user_id.to_owned()),
        number,
        until,
    }))
}

/// One line per album and person: "Grandma added 3 photos to Summer 2024", then "2 new
/// comments and 5 hearts on Summer 2024".
pub fn lines(news: &FamilyNews) -> Vec<String> {
    let mut lines: Vec<String> = news
        .added
        .iter()
        .map(|added| {
            let what = match (added.photos, added.videos) {
                (p, 0) => count(p, "photo", "photos"),
                (0, v) => count(v, "video", "videos"),
                (p, v) => format!(
                    "{} and {}",
                    count(p, "photo", "photos"),
                    count(v, "video", "videos")
                ),
            };
            format!("{} added {what} to {}", added.name, added.album_title)
        })
        .collect();
    lines.extend(news.responses.iter().map(responses_line));
    lines
}

fn responses_line(responses: &FamilyResponses) -> String {
    let comments = count(responses.comments, "new comment", "new comments");
    let hearts = count(responses.hearts, "heart", "hearts");
    let what = match (responses.comments, responses.hearts) {
        (0, _) => hearts,
        (_, 0) => comments,
        _ => format!("{comments} and {hearts}"),
    };
    format!("{what} on {}", responses.album_title)
}

/// The subject: the one thing that happened, or the first and "and more".
pub fn headline(news: &FamilyNews) -> String {
    let lines = lines(news);
    match lines.as_slice() {
        [one] => one.clone(),
        [first, ..] => format!("{first}, and more"),
        [] => "What the family did".into(),
    }
}

fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A comment as quoted: its first `QUOTE_CHARS` characters.
fn quoted(text: &str) -> String {
    let mut chars = text.trim().chars();
    let cut: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        format!("{cut}…")
    } else {
        cut
    }
}

const SWITCH_OFF: &str = "Switch this off in Pic-up's Settings, under Family cloud.";

/// The e-mail's plain text and HTML (`images`: the thumbnails' tags).
fn body(news: &FamilyNews, images: &str) -> (String, String) {
    let lines = lines(news);
    let mut text = String::from("Hello,\n\nHere is what the family did in your albums:\n\n");
    for line in &lines {
        text.push_str(&format!("- {line}\n"));
    }
    if !news.quotes.is_empty() {
        text.push_str("\nWhat they wrote:\n\n");
        for quote in &news.quotes {
            text.push_str(&format!(
                "{} on {}: \"{}\"\n",
                quote.name,
                quote.album_title,
                quoted(&quote.text)
            ));
        }
    }
    text.push_str(&format!(
        "\nOpen Pic-up on your computer to see them.\n\n{SWITCH_OFF}\n"
    ));
    let items: String = lines
        .iter()
        .map(|line| format!("<li>{}</li>", escape(line)))
        .collect();
    let quotes: String = news
        .quotes
        .iter()
        .map(|quote| {
            format!(
                "<blockquote style=\"margin:12px 0;padding:12px 16px;background:#fff;\
                 border-left:6px solid #0f6e66;white-space:pre-line\">{}<br>\
                 <span style=\"color:#555\">{} on {}</span></blockquote>",
                escape(&quoted(&quote.text)),
                escape(&quote.name),
                escape(&quote.album_title)
            )
        })
        .collect();
    let html = page(&format!(
        "<p>Hello,</p><p>Here is what the family did in your albums:</p>\
         <ul style=\"font-size:24px\">{items}</ul><p>{images}</p>{quotes}\
         <p>Open Pic-up on your computer to see them.</p>\
         <p style=\"font-size:18px;color:#555\">{}</p>",
        escape(SWITCH_OFF)
    ));
    (text, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{FamilyAdded, FamilyQuote};

    fn news() -> FamilyNews {
        FamilyNews {
            added: vec![FamilyAdded {
                album_title: "Summer 2024".into(),
                name: "Grandma".into(),
                photos: 3,
                videos: 0,
            }],
            responses: vec![FamilyResponses {
                album_title: "Summer 2024".into(),
                hearts: 5,
                comments: 2,
            }],
            quotes: vec![FamilyQuote {
                album_title: "Summer 2024".into(),
                name: "Grandma".into(),
                text: "<b>Lovely</b> & sunny".into(),
            }],
            newest_prefixes: vec![],
        }
    }

    #[test]
    fn the_family_s_doings_in_plain_words() {
        let news = news();
        assert_eq!(
            lines(&news),
            [
                "Grandma added 3 photos to Summer 2024",
                "2 new comments and 5 hearts on Summer 2024"
            ]
        );
        assert_eq!(
            headline(&news),
            "Grandma added 3 photos to Summer 2024, and more"
        );
        let one = FamilyResponses {
            album_title: "S".into(),
            hearts: 1,
            comments: 0,
        };
        assert_eq!(responses_line(&one), "1 heart on S");
        let mixed = FamilyNews {
            added: vec![FamilyAdded {
                album_title: "S".into(),
                name: "Grandad".into(),
                photos: 1,
                videos: 2,
            }],
            ..FamilyNews::default()
        };
        assert_eq!(headline(&mixed), "Grandad added 1 photo and 2 videos to S");
        let (text, html) = body(&news, "");
        assert!(text.contains("Grandma on Summer 2024: \"<b>Lovely</b> & sunny\""));
        assert!(text.contains(SWITCH_OFF));
        assert!(
            html.contains("&lt;b&gt;Lovely&lt;/b&gt; &amp; sunny"),
            "{html}"
        );
        assert!(!html.contains("<b>Lovely"));
        assert_eq!(quoted(&"a".repeat(250)).chars().count(), QUOTE_CHARS + 1);
    }
}
