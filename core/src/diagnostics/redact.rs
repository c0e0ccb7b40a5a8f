//! Removes secrets from free text before it reaches the log file or a report, so a
//! parent can send us a report without giving away a password, a sign-in or a share
//! link.
//!
//! The scanning is written by hand (no regex crate): each kind of secret is one small
//! pass over the text, and every pass leaves ordinary text (album names, counts, file
//! names) exactly as it was. Each pass is idempotent, so text redacted twice (a log line
//! that later goes into a report) reads the same as text redacted once.
//!
//! This file is long because a third of it is the examples that prove each pass (real
//! log lines with their secrets); the passes share their scanning helpers, so they stay
//! in one place.

use std::fmt;
use std::path::{Path, PathBuf};

/// What a secret is replaced with.
pub const HIDDEN: &str = "[hidden]";

/// Shorter strings are too likely to occur in ordinary text to be hidden everywhere.
const MIN_KNOWN_SECRET_CHARS: usize = 6;

/// Real bearer tokens are long; the threshold keeps prose like "the bearer of" intact.
/// A short token after `Authorization:` is still hidden by the key-value pass.
const MIN_BEARER_TOKEN_CHARS: usize = 8;

/// A key whose name ends with one of these (compared in lower case, without `_`, `-`
/// and `.`) carries a secret value: `password`, `session_token`, `s3_secret_access_key`,
/// `apiKey`, `X-Amz-Signature`. Signature and credential catch query strings printed
/// outside a URL, such as a debug-printed presigned URL.
const SECRET_KEY_ENDINGS: &[&str] = &[
    "password",
    "token",
    "secret",
    "authorization",
    "session",
    "apikey",
    "accesskey",
    "secretaccesskey",
    "signature",
    "credential",
];

/// File extensions that make `name@2x.png` a file name rather than an email address.
const FILE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "avif", "tif", "tiff", "dng", "mp4",
    "mov", "txt", "log",
];

/// What to hide besides the patterns every text is scanned for.
#[derive(Clone, Copy, Default)]
pub struct Redaction<'a> {
    /// Exact strings to hide wherever they appear: the session token, storage keys.
    pub known_secrets: &'a [&'a str],
    /// The user's home folder, shown as `~` so the account name stays private.
    pub home: Option<&'a Path>,
}

// Printing a redaction must not print the secrets it exists to hide.
impl fmt::Debug for Redaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redaction")
            .field(
                "known_secrets",
                &format_args!("{} hidden", self.known_secrets.len()),
            )
            .field("home", &self.home)
            .finish()
    }
}

/// Hides secrets in `text`, with the home folder taken from `$HOME`.
pub fn redact(text: &str, known_secrets: &[&str]) -> String {
    let home = home_folder();
    redact_with(
        text,
        &Redaction {
            known_secrets,
            home: home.as_deref(),
        },
    )
}

/// Hides secrets in `text`: the known secrets, bearer tokens, URL query strings, share
/// link tokens, values of secret-looking keys, most of each email address and the home
/// folder.
pub fn redact_with(text: &str, redaction: &Redaction) -> String {
    let text = hide_known_secrets(text, redaction.known_secrets);
    let text = match redaction.home {
        Some(home) => shorten_home(&text, home),
        None => text,
    };
    let text = hide_url_secrets(&text);
    let text = hide_bearer_tokens(&text);
    let text = hide_secret_values(&text);
    mask_emails(&text)
}

/// `$HOME`, if set and not empty.
pub(crate) fn home_folder() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

fn hide_known_secrets(text: &str, known_secrets: &[&str]) -> String {
    let mut secrets: Vec<&str> = known_secrets
        .iter()
        .copied()
        .filter(|secret| secret.chars().count() >= MIN_KNOWN_SECRET_CHARS)
        .collect();
    // Longest first, so a secret that contains another is hidden whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(secret) {
            text = text.replace(secret, HIDDEN);
        }
    }
    text
}

fn shorten_home(text: &str, home: &Path) -> String {
    let Some(home) = home.to_str().map(|home| home.trim_end_matches('/')) else {
        return text.to_owned();
    };
    // An empty or root home would turn every path into `~`.
    if home.len() < 2 {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(home) {
        let after = &rest[start + home.len()..];
        // `/home/anna` must not shorten `/home/annabel`.
        let whole_folder = after
            .bytes()
            .next()
            .is_none_or(|next| !(next.is_ascii_alphanumeric() || b"_-.".contains(&next)));
        out.push_str(&rest[..start]);
        out.push_str(if whole_folder { "~" } else { home });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Hides what URLs carry besides where they point: query strings (presigned storage
/// URLs and CDN URLs sign there), share link tokens after `/s/`, and passwords before
/// the host.
fn hide_url_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&rest[..start]);
        let url_and_after = &rest[start..];
        let end = url_and_after
            .find(|c: char| c.is_whitespace() || "\"')>".contains(c))
            .unwrap_or(url_and_after.len());
        hide_in_url(&url_and_after[..end], &mut out);
        rest = &url_and_after[end..];
    }
    out.push_str(rest);
    out
}

fn find_url_start(text: &str) -> Option<usize> {
    let http = find_ignoring_ascii_case(text, "http://");
    let https = find_ignoring_ascii_case(text, "https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn hide_in_url(url: &str, out: &mut String) {
    let authority_start = url.find("://").map_or(0, |scheme_end| scheme_end + 3);
    let after_scheme = &url[authority_start..];
    let authority_len = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = &after_scheme[..authority_len];

    out.push_str(&url[..authority_start]);
    match authority.rfind('@') {
        Some(at) => {
            out.push_str(HIDDEN);
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }

    let path_and_query = &after_scheme[authority_len..];
    let (path, query) = match path_and_query.find('?') {
        Some(question) => path_and_query.split_at(question),
        None => (path_and_query, ""),
    };
    hide_share_tokens(path, out);
    if !query.is_empty() {
        out.push('?');
        out.push_str(HIDDEN);
    }
}

/// The segment after `/s/` is the token that opens a family share page.
fn hide_share_tokens(path: &str, out: &mut String) {
    let mut rest = path;
    while let Some(start) = rest.find("/s/") {
        let token_start = start + "/s/".len();
        out.push_str(&rest[..token_start]);
        let token_and_after = &rest[token_start..];
        let token_len = token_and_after
            .find(['/', '#'])
            .unwrap_or(token_and_after.len());
        if token_len > 0 {
            out.push_str(HIDDEN);
        }
        rest = &token_and_after[token_len..];
    }
    out.push_str(rest);
}

fn hide_bearer_tokens(text: &str) -> String {
    const BEARER: &str = "bearer";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    let mut search_from = 0;
    while let Some(found) = find_ignoring_ascii_case(&text[search_from..], BEARER) {
        let word_start = search_from + found;
        let word_end = word_start + BEARER.len();
        search_from = word_end;
        let starts_word = word_start == 0 || !bytes[word_start - 1].is_ascii_alphanumeric();
        let spaces = bytes[word_end..]
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        if !starts_word || spaces == 0 {
            continue;
        }
        let token_start = word_end + spaces;
        let token_len = bytes[token_start..]
            .iter()
            .take_while(|b| is_token_byte(**b))
            .count();
        if token_len < MIN_BEARER_TOKEN_CHARS {
            continue;
        }
        out.push_str(&text[copied_up_to..token_start]);
        out.push_str(HIDDEN);
        copied_up_to = token_start + token_len;
        search_from = copied_up_to;
    }
    out.push_str(&text[copied_up_to..]);
    out
}

/// The characters of an HTTP token (RFC 7235 `token68`).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/=".contains(&byte)
}

/// Hides the value in `key=value`, `key: value` and `"key": "value"` when the key names a
/// secret. Quoted values are hidden up to their closing quote; bare values up to the next
/// space or separator.
fn hide_secret_values(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'=' && bytes[at] != b':' {
            at += 1;
            continue;
        }
        let key = key_before(text, copied_up_to, at);
        let value = if is_secret_key(key) {
            value_after(text, at + 1, is_authorization(key))
        } else {
            None
        };
        match value {
            Some((start, end)) => {
                out.push_str(&text[copied_up_to..start]);
                out.push_str(HIDDEN);
                copied_up_to = end;
                at = end.max(at + 1);
            }
            None => at += 1,
        }
    }
    out.push_str(&text[copied_up_to..]);
    out
}

/// The key that ends just before the separator at `separator`, skipping spaces and a
/// closing quote; never reaching back before `floor`.
fn key_before(text: &str, floor: usize, separator: usize) -> &str {
    let bytes = text.as_bytes();
    let mut end = separator;
    while end > floor && (bytes[end - 1] == b' ' || bytes[end - 1] == b'\t') {
        end -= 1;
    }
    if end > floor && (bytes[end - 1] == b'"' || bytes[end - 1] == b'\'') {
        end -= 1;
    }
    let mut start = end;
    while start > floor && is_key_byte(bytes[start - 1]) {
        start -= 1;
    }
    &text[start..end]
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"_-.".contains(&byte)
}

fn normalized_key(key: &str) -> String {
    key.bytes()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect()
}

fn is_secret_key(key: &str) -> bool {
    let key = normalized_key(key);
    !key.is_empty()
        && SECRET_KEY_ENDINGS
            .iter()
            .any(|ending| key.ends_with(ending))
}

fn is_authorization(key: &str) -> bool {
    normalized_key(key).ends_with("authorization")
}

/// Where the value after a separator lies, as `(start, end)` byte offsets, or `None` if
/// there is nothing to hide (no value, a nested object, already hidden).
fn value_after(text: &str, from: usize, is_authorization: bool) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut start = from;
    while start < bytes.len() && (bytes[start] == b' ' || bytes[start] == b'\t') {
        start += 1;
    }
    // A debug-printed `Option`: `password: Some("…")`.
    if text[start..].starts_with("Some(") {
        start += "Some(".len();
    }
    let (start, end) = match bytes.get(start) {
        None => return None,
        Some(b'{' | b'[') => return None,
        Some(&quote @ (b'"' | b'\'')) => {
            let value_start = start + 1;
            let mut end = value_start;
            while end < bytes.len() && bytes[end] != quote {
                // Skip escaped characters, like `\"` inside a JSON string.
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            (value_start, end.min(bytes.len()))
        }
        Some(_) => {
            let end = bare_value_end(bytes, start);
            // `Authorization: Bearer abc…` keeps the scheme and hides the credential.
            let scheme = &text[start..end];
            let credential_start = end + 1;
            if is_authorization
                && !scheme.is_empty()
                && scheme.bytes().all(|b| b.is_ascii_alphabetic())
                && bytes.get(end) == Some(&b' ')
                && bytes
                    .get(credential_start)
                    .is_some_and(|b| !b.is_ascii_whitespace())
            {
                (credential_start, bare_value_end(bytes, credential_start))
            } else {
                (start, end)
            }
        }
    };
    let already_hidden = text[start..].starts_with(HIDDEN);
    (end > start && !already_hidden).then_some((start, end))
}

fn bare_value_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || b",;&)}]\"'<>".contains(b))
        .map_or(bytes.len(), |len| start + len)
}

/// `anna@example.com` becomes `a***@example.com`: enough to tell whose account it was,
/// not enough to write to.
fn mask_emails(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for (at, _) in text.match_indices('@') {
        if at < copied_up_to {
            continue;
        }
        let mut local_start = at;
        while local_start > copied_up_to && is_email_local_byte(bytes[local_start - 1]) {
            local_start -= 1;
        }
        let domain_len = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.' || **b == b'-')
            .count();
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
        let local = &text[local_start..at];
        if local.is_empty() || local.starts_with('.') || !looks_like_mail_domain(domain) {
            continue;
        }
        out.push_str(&text[copied_up_to..local_start]);
        out.push_str(&local[..1]);
        out.push_str("***");
        copied_up_to = at;
    }
    out.push_str(&text[copied_up_to..]);
    out
}

fn is_email_local_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"._%+-".contains(&byte)
}

fn looks_like_mail_domain(domain: &str) -> bool {
    let Some((name, top_level)) = domain.rsplit_once('.') else {
        return false;
    };
    !name.is_empty()
        && top_level.len() >= 2
        && top_level.bytes().all(|b| b.is_ascii_alphabetic())
        && !FILE_EXTENSIONS.contains(&top_level.to_ascii_lowercase().as_str())
}

/// Byte offset of the first occurrence of the ASCII `needle`, ignoring ASCII case.
fn find_ignoring_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "/home/anna";

    fn hide(text: &str) -> String {
        redact_with(
            text,
            &Redaction {
                known_secrets: &["pk_live_4f9a8c2e7d"],
                home: Some(Path::new(HOME)),
            },
        )
    }

    #[test]
    fn presigned_url_in_a_reqwest_error_loses_its_signature() {
        let line = "upload failed: error sending request for url (http://127.0.0.1:39111/picup/originals/ab/cd?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T093012Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0f3a9be1c44d)";
        assert_eq!(
            hide(line),
            "upload failed: error sending request for url (http://127.0.0.1:39111/picup/originals/ab/cd?[hidden])"
        );
    }

    #[test]
    fn cdn_url_query_is_hidden_up_to_the_closing_quote() {
        let line = r#"fetch "https://cdn.example.org/thumbs/1.jpg?Policy=eyJ&Signature=abc~def&Key-Pair-Id=K2JCJMDEHXQW5F" failed"#;
        assert_eq!(
            hide(line),
            r#"fetch "https://cdn.example.org/thumbs/1.jpg?[hidden]" failed"#
        );
    }

    #[test]
    fn debug_printed_query_outside_a_url_loses_its_signature() {
        let line = r#"query: Some("X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=0f3a9be1c44d")"#;
        let hidden = hide(line);
        assert!(!hidden.contains("AKIAEXAMPLE"), "{hidden}");
        assert!(!hidden.contains("0f3a9be1c44d"), "{hidden}");
    }

    #[test]
    fn json_password_is_hidden_and_the_rest_of_the_body_kept() {
        let line = r#"POST /api/login body {"email":"anna@example.com","password":"hunter2hunter2","remember":true}"#;
        assert_eq!(
            hide(line),
            r#"POST /api/login body {"email":"a***@example.com","password":"[hidden]","remember":true}"#
        );
    }

    #[test]
    fn json_value_with_an_escaped_quote_is_hidden_whole() {
        let hidden = hide(r#"{"session_token": "ab\"cd-ef12", "albums": 3}"#);
        assert_eq!(hidden, r#"{"session_token": "[hidden]", "albums": 3}"#);
    }

    #[test]
    fn authorization_header_keeps_the_scheme_and_hides_the_token() {
        assert_eq!(
            hide("request header Authorization: Bearer abc.def.ghi"),
            "request header Authorization: Bearer [hidden]"
        );
        assert_eq!(
            hide("authorization: Basic YW5uYTpodW50ZXIy"),
            "authorization: Basic [hidden]"
        );
    }

    #[test]
    fn bearer_token_outside_a_header_is_hidden() {
        assert_eq!(
            hide("retrying with bearer eyJhbGciOiJIUzI1NiJ9.e30.sig, attempt 2"),
            "retrying with bearer [hidden], attempt 2"
        );
    }

    #[test]
    fn share_link_token_is_hidden_but_the_site_is_kept() {
        assert_eq!(
            hide("opened share page https://photos.example.org/s/Zk3p9QmT2x for Grandma"),
            "opened share page https://photos.example.org/s/[hidden] for Grandma"
        );
        assert_eq!(
            hide("GET https://photos.example.org/s/Zk3p9QmT2x/photo/12?size=large"),
            "GET https://photos.example.org/s/[hidden]/photo/12?[hidden]"
        );
    }

    #[test]
    fn password_inside_a_url_is_hidden() {
        assert_eq!(
            hide("connecting to https://anna:hunter2hunter2@s3.example.org/bucket"),
            "connecting to https://[hidden]@s3.example.org/bucket"
        );
    }

    #[test]
    fn known_token_appearing_bare_is_hidden() {
        assert_eq!(
            hide("cloud answered 401 for pk_live_4f9a8c2e7d (signed out)"),
            "cloud answered 401 for [hidden] (signed out)"
        );
    }

    #[test]
    fn known_secrets_too_short_to_be_safe_are_not_hidden_everywhere() {
        let text = "photo 12 of 340";
        let hidden = redact_with(
            text,
            &Redaction {
                known_secrets: &["12", "", "of"],
                home: None,
            },
        );
        assert_eq!(hidden, text);
    }

    #[test]
    fn config_style_secret_keys_with_prefixes_are_hidden() {
        assert_eq!(
            hide("s3_secret_access_key = wJalrXUtnFEMI/K7MDENG session_token=9f8e7d6c"),
            "s3_secret_access_key = [hidden] session_token=[hidden]"
        );
        assert_eq!(hide("apiKey: 'sk-12345678'"), "apiKey: '[hidden]'");
        assert_eq!(
            hide(r#"Credentials { password: Some("hunter2hunter2") }"#),
            r#"Credentials { password: Some("[hidden]") }"#
        );
    }

    #[test]
    fn email_address_keeps_only_its_first_letter_and_domain() {
        assert_eq!(
            hide("invitation sent to anna.berg+family@example.com."),
            "invitation sent to a***@example.com."
        );
    }

    #[test]
    fn home_folder_becomes_a_tilde() {
        assert_eq!(
            hide("could not read /home/anna/Pictures/2026/IMG_0042.HEIC"),
            "could not read ~/Pictures/2026/IMG_0042.HEIC"
        );
        assert_eq!(
            hide("library at /home/annabel/Pictures"),
            "library at /home/annabel/Pictures"
        );
    }

    #[test]
    fn ordinary_text_is_left_unchanged() {
        let lines = [
            "Imported photo 12 of 340 into album \"Summer at Grandma's 2026\"",
            "Made 3 thumbnails in 1.25 s; 0 failed",
            "Skipped IMG_0042.HEIC: The file is damaged or was not copied completely.",
            "Exported icon@2x.png and DSC_1234.JPG to /media/usb/Family",
            "Sync started at 09:30:12, 5 albums, tokens left: 4",
            "the bearer of good news: 2 new albums",
            "Album 'Ski trip' shared with 4 people",
            "Connected to https://photos.example.org/api/albums",
        ];
        for line in lines {
            assert_eq!(hide(line), line);
        }
    }

    #[test]
    fn redacting_twice_reads_the_same_as_once() {
        let line = r#"Authorization: Bearer abc.def.ghi {"password":"hunter2hunter2"} anna@example.com https://x.org/s/abc?x=1 /home/anna/a"#;
        let once = hide(line);
        assert_eq!(hide(&once), once);
    }

    #[test]
    fn redaction_debug_does_not_show_the_secrets() {
        let redaction = Redaction {
            known_secrets: &["pk_live_4f9a8c2e7d"],
            home: None,
        };
        assert!(!format!("{redaction:?}").contains("pk_live"));
    }
}
