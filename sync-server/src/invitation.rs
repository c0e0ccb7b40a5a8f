//! What `picup-server user invite` (and `user add`) prints for the operator to send: an
//! invitation link (`picup://join?…`, written by `api::Invitation`, which the desktop
//! reads) and the same link as a QR code drawn in the terminal. Opening the link on the
//! parent's computer opens Pic-up with the family cloud's address and their email filled
//! in; they type only their password.

use anyhow::{Context, Result};
use picup_api::Invitation;

use crate::accounts;
use crate::config::Config;
use crate::db::Db;

/// Prints the invitation for `email` after `user add` (`asked` false: a failure is a
/// note, the account exists anyway) or for `user invite` (`asked`: a failure fails).
pub async fn print_for(db: &Db, config: &Config, email: &str, asked: bool) -> Result<()> {
    match invite(db, &invitation_address(config), email).await {
        Ok(text) => {
            print!("{}{text}", if asked { "" } else { "\n" });
            if config.public_url.is_none() && config.domain.is_none() {
                println!(
                    "\nThis address is where this server listens, which may work only on this \
                     computer. Set public_url (PICUP_PUBLIC_URL) to the address the family \
                     uses, and invite again."
                );
            }
        }
        Err(error) if asked => return Err(error),
        Err(error) => println!("\n(no invitation link: {error:#})"),
    }
    Ok(())
}

/// `user invite EMAIL`: the invitation for an account that exists (one for an address
/// with no account would only lead to "wrong password").
pub async fn invite(db: &Db, address: &str, email: &str) -> Result<String> {
    let email = accounts::normalize_email(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    if db.user_by_email(&email).await?.is_none() {
        anyhow::bail!("there is no account for {email}; add one with `picup-server user add`");
    }
    invitation_text(address, &email)
}

/// The address the family reaches this server by: `public_url`, else `https://` and the
/// domain, else the address it listens on (fine on this computer only, which the text
/// printed beside it says).
pub fn invitation_address(config: &Config) -> String {
    if let Some(url) = config
        .public_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        return url.trim().trim_end_matches('/').to_owned();
    }
    if let Some(domain) = config.domain.as_deref().filter(|d| !d.trim().is_empty()) {
        return format!("https://{}", domain.trim().to_ascii_lowercase());
    }
    let scheme = if config.serves_https() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{}", config.listen_address())
}

/// The lines to print for inviting `email` to the family cloud at `address`.
pub fn invitation_text(address: &str, email: &str) -> Result<String> {
    let invitation = Invitation::new(address, email)
        .map_err(|problem| anyhow::anyhow!(problem.plain_message()))
        .with_context(|| format!("an invitation to {address} for {email}"))?;
    let link = invitation.link();
    let mut text = format!(
        "Invitation for {email} to the family cloud at {}:\n\n{link}\n\n\
         Send them this link. Opened on their computer (with Pic-up installed), it opens \
         Pic-up with this address and their email filled in, so they type only their \
         password. The link holds no password.\n",
        invitation.server
    );
    if let Some(code) = terminal_qr(&link) {
        text.push_str("\nThe same link as a code to scan:\n\n");
        text.push_str(&code);
        text.push('\n');
    }
    Ok(text)
}

/// `text` as a QR code of half-height blocks, light on dark as a terminal shows it, with
/// the quiet zone scanners need; `None` if it is too long for a QR code.
fn terminal_qr(text: &str) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::L).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_holds_the_link_the_desktop_reads_and_a_code() {
        let text = invitation_text("https://photos.example.org/", "mum@example.org").unwrap();
        let link = text
            .lines()
            .find(|line| line.starts_with("picup://"))
            .expect("a link on a line of its own");
        let read = Invitation::from_link(link).unwrap();
        assert_eq!(read.server, "https://photos.example.org");
        assert_eq!(read.email, "mum@example.org");
        assert!(text.contains('▀') || text.contains('▄'), "{text}");
    }

    #[test]
    fn no_invitation_to_an_address_the_desktop_would_refuse() {
        assert!(invitation_text("ftp://photos.example.org", "mum@example.org").is_err());
        assert!(invitation_text("https://photos.example.org", "mum").is_err());
    }

    #[test]
    fn the_address_is_the_public_one_first() {
        let mut config = Config {
            listen: Some("127.0.0.1:9000".parse().unwrap()),
            ..Config::default()
        };
        assert_eq!(invitation_address(&config), "http://127.0.0.1:9000");
        config.domain = Some("Photos.Example.org".into());
        assert_eq!(invitation_address(&config), "https://photos.example.org");
        config.public_url = Some("https://family.example.org/".into());
        assert_eq!(invitation_address(&config), "https://family.example.org");
    }
}
