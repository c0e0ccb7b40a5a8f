//! The family cloud, from the desktop's side: signing in (the token goes to the OS
//! keyring), the upload engine that copies every item to the sync server, and album
//! links for the family.
//!
//! - `client` — the server's API and presigned PUTs, with failures sorted by what to do.
//! - `credentials` — the keyring.
//! - `engine` — the persistent upload queue: pure pacing policy, the coordinator thread
//!   and the senders' transfer protocol.
//! - `restore` — "Keep a copy on this computer": originals fetched back into a folder.
//! - `feed` — the change feed applied here: renames and removals made on another
//!   computer; `follow` — applying it, and fetching for kept albums, while the app is
//!   open; `browse` — the cloud-only albums and their images, for the shelf.
//! - `links` — album links for the family: made, changed, listed as the cloud has them.
//! - `family_digest` — the owner's e-mail of what the family did: on or off.
//!
//! Nothing here deletes a photo on disk: the cloud is a copy.

pub mod arrivals;
pub mod browse;
pub mod client;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod family_digest;
pub mod feed;
pub mod follow;
pub mod links;
pub mod responses;
pub mod restore;
pub mod your_name;

use picup_api as api;

pub use client::{CloudClient, CloudError, CloudResult};
pub use credentials::KeyringError;
pub use engine::{Clock, SyncHandle, SyncOptions, SyncState, SyncStatus};
pub use links::{ShareOptions, album_links, change_link, share_album, stop_sharing};

use crate::index::{Index, SyncAccount};

/// Where the sign-in token ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKept {
    /// In the OS keyring: the next start signs in by itself.
    InKeyring,
    /// No keyring: only in memory, and the parent will be asked again next start.
    InMemoryOnly(KeyringError),
}

/// Whether [`connect`] may send the password to an address that is not private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotPrivate {
    /// Refuse with [`CloudError::NotPrivate`] before anything is sent.
    Refuse,
    /// The parent was told it is not private and chose to sign in anyway.
    Accepted,
}

/// A server address as the parent typed it, made into a base URL.
pub fn normalise_server_url(typed: &str) -> CloudResult<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(CloudError::Refused(
            "Please type the address of your family cloud.".into(),
        ));
    }
    let with_scheme = if typed.starts_with("http://") || typed.starts_with("https://") {
        typed.to_owned()
    } else {
        format!("https://{typed}")
    };
    match reqwest::Url::parse(&with_scheme) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(with_scheme.trim_end_matches('/').to_owned())
        }
        _ => Err(CloudError::Refused(format!(
            "\"{typed}\" does not look like a web address."
        ))),
    }
}

/// True when what is sent to `base` (a URL from [`normalise_server_url`]) is protected
/// on its way: `https://`, or `http://` that never leaves this computer (`localhost`,
/// 127.0.0.0/8, `::1`). Decided from the address alone, without looking the name up: a
/// family server on the home network over `http://` is not private.
pub fn is_private(base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base) else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(is_this_computer),
        _ => false,
    }
}

/// A host as `Url::host_str` writes it (IPv4 in its canonical form, IPv6 in brackets).
fn is_this_computer(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// The base URL for a typed address, refused with [`CloudError::NotPrivate`] when it is
/// not private and the parent has not accepted that. Nothing is sent.
pub fn checked_server_url(typed: &str, not_private: NotPrivate) -> CloudResult<String> {
    let base = normalise_server_url(typed)?;
    if not_private == NotPrivate::Refuse && !is_private(&base) {
        return Err(CloudError::NotPrivate);
    }
    Ok(base)
}

/// Signs in and remembers the account; returns the signed-in client. An address that is
/// not private ([`is_private`]) is refused before any request unless `not_private` says
/// the parent accepted it.
pub fn connect(
    index: &mut Index,
    server_url: &str,
    email: &str,
    password: &str,
    device_name: &str,
    not_private: NotPrivate,
) -> CloudResult<(CloudClient, TokenKept)> {
    let base = checked_server_url(server_url, not_private)?;
    let email = email.trim();
    if email.is_empty() || password.is_empty() {
        return Err(CloudError::Refused(
            "Please type your email and password.".into(),
        ));
    }
    let client = CloudClient::new(&base, None)?;
    let token = client.sign_in(email, password, device_name)?;
    crate::diagnostics::hide_from_log(&token);
    crate::diagnostics::info(&format!("Signed in to the family cloud at {base}"));
    let account = SyncAccount {
        server_url: base,
        email: email.to_owned(),
    };
    index.set_sync_account(&account).map_err(|error| {
        // SQLite's words are for the log; the parent gets a sentence.
        crate::diagnostics::problem(&format!("Could not remember the sign-in: {error}"));
        CloudError::Refused("Pic-up could not remember the sign-in. Please try again.".into())
    })?;
    let kept = match credentials::save_token(&account, &token) {
        Ok(()) => TokenKept::InKeyring,
        Err(e) => TokenKept::InMemoryOnly(e),
    };
    Ok((client.with_token(token), kept))
}

/// The signed-in client for the remembered account, if the keyring has its token.
pub fn resume(index: &Index) -> Result<Option<CloudClient>, KeyringError> {
    let Some(account) = index.sync_account().ok().flatten() else {
        return Ok(None);
    };
    let Some(token) = credentials::load_token(&account)? else {
        return Ok(None);
    };
    crate::diagnostics::hide_from_log(&token);
    Ok(CloudClient::new(&account.server_url, Some(token)).ok())
}

/// Signs out: ends the session on the server (if it can be reached), removes the token
/// from the keyring and forgets the account. Photos on this computer are untouched.
pub fn disconnect(index: &mut Index, client: Option<&CloudClient>) -> Result<(), KeyringError> {
    if let Some(client) = client {
        // A server that is down cannot end the session; the token is forgotten anyway.
        let _ = client.sign_out();
    }
    if let Some(account) = index.sync_account().ok().flatten() {
        credentials::delete_token(&account)?;
    }
    let _ = index.clear_sync_account();
    Ok(())
}

/// An album in the family cloud, and the album on this computer that is its copy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CloudAlbum {
    pub remote_id: String,
    pub title: String,
    /// Its items, videos included.
    pub photo_count: i64,
    /// How many of them are videos (0 from an older family cloud).
    pub video_count: i64,
    /// The name of the folder it was made from, on the computer that made it.
    pub folder_name: Option<String>,
    /// The album on this computer that is copied to it; None: in the cloud only.
    pub local_album: Option<i64>,
    /// The cloud photo that is its cover, with its signed thumbnail address.
    #[serde(skip)]
    pub cover: Option<api::AlbumCover>,
}

/// What is in the family cloud, and which of it is on this computer.
pub fn cloud_albums(index: &Index, client: &CloudClient) -> CloudResult<Vec<CloudAlbum>> {
    let local = index
        .local_albums_by_remote()
        .map_err(|e| CloudError::Trouble(format!("the library: {e}")))?;
    Ok(client
        .albums()?
        .into_iter()
        .map(|album| CloudAlbum {
            local_album: local.get(&album.id).copied(),
            remote_id: album.id,
            title: album.title,
            photo_count: album.photo_count,
            video_count: album.video_count,
            folder_name: album.folder_name,
            cover: album.cover,
        })
        .collect())
}

/// A QR code for `text`: the side length and the dark modules, row by row.
pub fn qr_modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((width, modules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_addresses_become_base_urls() {
        assert_eq!(
            normalise_server_url(" cloud.example.org/ ").unwrap(),
            "https://cloud.example.org"
        );
        assert_eq!(
            normalise_server_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalise_server_url("").is_err());
        assert!(normalise_server_url("http://").is_err());
    }

    #[test]
    fn only_https_and_this_computer_are_private() {
        for private in [
            "https://photos.example.org",
            "https://192.168.1.10:8080",
            "http://localhost",
            "http://LOCALHOST.:8080",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]",
        ] {
            assert!(is_private(private), "{private} is private");
        }
        for not_private in [
            "http://photos.example.org",
            "http://192.168.1.10:8080",
            "http://10.0.0.1",
            "http://[fe80::1]",
            "http://localhost.example.org",
            "http://127.0.0.1.nip.io",
            "http://0.0.0.0:8080",
        ] {
            assert!(!is_private(not_private), "{not_private} is not private");
        }
    }

    /// A port on this computer where nothing listens: a request there fails at once.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    fn connect_to(server: &str, not_private: NotPrivate) -> (CloudError, Index) {
        let mut index = Index::open_in_memory().unwrap();
        let error = connect(
            &mut index,
            server,
            "grandma@example.org",
            "secret password",
            "test",
            not_private,
        )
        .expect_err("nothing to sign in to");
        (error, index)
    }

    #[test]
    fn http_to_another_computer_is_refused_before_anything_is_sent() {
        // photos.example.org cannot be looked up or reached here: had a request been
        // tried, the error would be `Unreachable`.
        let (error, index) = connect_to("http://photos.example.org", NotPrivate::Refuse);
        assert_eq!(error, CloudError::NotPrivate);
        assert!(
            error
                .plain_message()
                .contains("does not start with https://")
        );
        assert!(index.sync_account().unwrap().is_none());
        assert_eq!(
            checked_server_url("http://photos.example.org/", NotPrivate::Accepted).unwrap(),
            "http://photos.example.org"
        );
    }

    #[test]
    fn https_and_this_computer_are_tried_without_asking() {
        let port = closed_port();
        for server in [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
            format!("https://127.0.0.1:{port}"),
        ] {
            let (error, _) = connect_to(&server, NotPrivate::Refuse);
            assert!(
                matches!(error, CloudError::Unreachable(_)),
                "{server} was tried: {error:?}"
            );
        }
    }

    #[test]
    fn a_qr_code_has_finder_patterns() {
        let (width, modules) = qr_modules("https://cloud.example.org/s/abc").unwrap();
        assert_eq!(modules.len(), width * width);
        assert!(width >= 21);
        // The top-left finder pattern: a dark 7-module ring around a light ring.
        assert!((0..7).all(|i| modules[i] && modules[i * width]));
        assert!(!modules[width + 1] && modules[2 * width + 2]);
    }
}
