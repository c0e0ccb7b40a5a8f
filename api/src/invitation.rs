//! The invitation link: `picup://join?server=…&email=…`, which `picup-server user invite`
//! prints and the desktop opens. Both sides read and write it here, so they cannot drift.
//!
//! A link can come from anyone, so reading one is strict and what it can do is small: it
//! only names a family cloud's address and an email for the sign-in form. There is no
//! password in it and nothing is sent because of it. The address must be `http(s)://`
//! with a plain host (no `user@` part, which could make `https://bank.example@evil.example`
//! look like the bank), and nothing in the link may be a control character.

/// The scheme the desktop registers with the system (`x-scheme-handler/picup`).
pub const INVITATION_SCHEME: &str = "picup";

/// A link longer than this is refused unread: a real one is a few hundred characters.
pub const MAX_INVITATION_LENGTH: usize = 2048;
/// The longest address and email accepted from a link.
const MAX_ADDRESS_LENGTH: usize = 512;
const MAX_EMAIL_LENGTH: usize = 254;

/// What an invitation says: where the family cloud is and who is invited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// `http://` or `https://` and a host, without a trailing slash.
    pub server: String,
    pub email: String,
}

/// Why a link is not a usable invitation. Each says in plain words what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationProblem {
    /// Not a `picup://join?…` link at all.
    NotAnInvitation,
    /// Far longer than any real invitation.
    TooLong,
    /// The address or the email is missing or empty.
    Incomplete,
    /// The address is not `http://` or `https://` with a plain host.
    NotAWebAddress,
    /// The email is not an email address.
    NotAnEmail,
}

impl InvitationProblem {
    /// The sentence the parent reads.
    pub fn plain_message(self) -> &'static str {
        match self {
            InvitationProblem::NotAnInvitation | InvitationProblem::TooLong => {
                "This link is not a Pic-up invitation, so nothing was filled in."
            }
            InvitationProblem::Incomplete => {
                "This invitation link is not complete, so nothing was filled in. Please ask \
                 whoever sent it for a new one."
            }
            InvitationProblem::NotAWebAddress => {
                "This invitation does not point to a family cloud address Pic-up can use, so \
                 nothing was filled in. Please ask whoever sent it for a new one."
            }
            InvitationProblem::NotAnEmail => {
                "The email in this invitation is not an email address, so nothing was filled \
                 in. Please ask whoever sent it for a new one."
            }
        }
    }
}

impl Invitation {
    /// Checks an address and an email as a link would carry them.
    pub fn new(server: &str, email: &str) -> Result<Self, InvitationProblem> {
        // Spaces around are a copying slip; a line break or another control character
        // is not, and is refused below.
        let server = server.trim_matches(' ').trim_end_matches('/');
        let email = email.trim_matches(' ');
        if server.is_empty() || email.is_empty() {
            return Err(InvitationProblem::Incomplete);
        }
        if !is_web_address(server) {
            return Err(InvitationProblem::NotAWebAddress);
        }
        if !is_email(email) {
            return Err(InvitationProblem::NotAnEmail);
        }
        Ok(Invitation {
            server: server.to_owned(),
            email: email.to_owned(),
        })
    }

    /// The link to send: `picup://join?server=…&email=…`.
    pub fn link(&self) -> String {
        format!(
            "{INVITATION_SCHEME}://join?server={}&email={}",
            encode(&self.server),
            encode(&self.email)
        )
    }

    /// Reads a link. Anything but a well-formed invitation is refused with the reason.
    pub fn from_link(link: &str) -> Result<Self, InvitationProblem> {
        if link.len() > MAX_INVITATION_LENGTH {
            return Err(InvitationProblem::TooLong);
        }
        let (scheme, rest) = link
            .split_once(':')
            .ok_or(InvitationProblem::NotAnInvitation)?;
        if !scheme.eq_ignore_ascii_case(INVITATION_SCHEME) {
            return Err(InvitationProblem::NotAnInvitation);
        }
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (action, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !action.trim_end_matches('/').eq_ignore_ascii_case("join") {
            return Err(InvitationProblem::NotAnInvitation);
        }
        let query = query.split('#').next().unwrap_or("");
        let (mut server, mut email) = (None, None);
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value).ok_or(InvitationProblem::Incomplete)?;
            match name {
                // A second value for the same name is not what we write: refuse it
                // rather than guess which one the sender meant.
                "server" if server.is_none() => server = Some(value),
                "email" if email.is_none() => email = Some(value),
                "server" | "email" => return Err(InvitationProblem::NotAnInvitation),
                _ => {}
            }
        }
        match (server, email) {
            (Some(server), Some(email)) => Invitation::new(&server, &email),
            _ => Err(InvitationProblem::Incomplete),
        }
    }
}

fn is_web_address(address: &str) -> bool {
    if address.len() > MAX_ADDRESS_LENGTH || address.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    let lower = address.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return false;
    };
    let host_and_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match host_and_port.strip_prefix('[') {
        // An IPv6 address: [::1]:8080.
        Some(v6) => match v6.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match host_and_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_and_port, None),
        },
    };
    !host.is_empty()
        && port.is_none_or(|port| port.parse::<u16>().is_ok())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
}

fn is_email(email: &str) -> bool {
    let Some((name, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL_LENGTH
        && !name.is_empty()
        && !domain.is_empty()
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Undoes [`encode`] (and `+` for a space, as forms write it); `None` for a broken
/// escape or bytes that are not UTF-8.
fn decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'%' => {
                let high = (rest.next()? as char).to_digit(16)?;
                let low = (rest.next()? as char).to_digit(16)?;
                bytes.push((high * 16 + low) as u8);
            }
            b'+' => bytes.push(b' '),
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_as_what_was_written() {
        let invitation =
            Invitation::new("https://photos.example.org/", "mum+1@example.org").unwrap();
        assert_eq!(invitation.server, "https://photos.example.org");
        let link = invitation.link();
        assert_eq!(
            link,
            "picup://join?server=https%3A%2F%2Fphotos.example.org&email=mum%2B1%40example.org"
        );
        assert_eq!(Invitation::from_link(&link), Ok(invitation));
        let local = Invitation::new("http://127.0.0.1:8080", "a@b").unwrap();
        assert_eq!(Invitation::from_link(&local.link()), Ok(local));
        let v6 = Invitation::new("http://[::1]:8080", "a@b").unwrap();
        assert_eq!(Invitation::from_link(&v6.link()), Ok(v6));
    }

    #[test]
    fn hostile_and_broken_links_are_refused_with_the_reason() {
        use InvitationProblem::*;
        let email = "email=a%40b.org";
        let cases = [
            ("javascript:alert(1)".to_owned(), NotAnInvitation),
            ("file:///etc/passwd".to_owned(), NotAnInvitation),
            (
                "https://evil.example/join?server=x".to_owned(),
                NotAnInvitation,
            ),
            (
                "picup://steal?server=https%3A%2F%2Fa.org&email=a%40b".to_owned(),
                NotAnInvitation,
            ),
            (
                format!("picup://join?server=javascript%3Aalert(1)&{email}"),
                NotAWebAddress,
            ),
            (
                format!("picup://join?server=file%3A%2F%2F%2Fetc&{email}"),
                NotAWebAddress,
            ),
            (
                format!("picup://join?server=ftp%3A%2F%2Fa.org&{email}"),
                NotAWebAddress,
            ),
            (
                format!("picup://join?server=https%3A%2F%2Fbank.example%40evil.example&{email}"),
                NotAWebAddress,
            ),
            (
                format!("picup://join?server=https%3A%2F%2Fa.org%0A&{email}"),
                NotAWebAddress,
            ),
            (
                format!("picup://join?server=https%3A%2F%2F&{email}"),
                NotAWebAddress,
            ),
            (
                format!("picup://join?server=https%3A%2F%2Fa.org%3Ax&{email}"),
                NotAWebAddress,
            ),
            (
                format!(
                    "picup://join?server=https%3A%2F%2Fa.org&server=https%3A%2F%2Fb.org&{email}"
                ),
                NotAnInvitation,
            ),
            (
                "picup://join?server=https%3A%2F%2Fa.org".to_owned(),
                Incomplete,
            ),
            (format!("picup://join?{email}"), Incomplete),
            (format!("picup://join?server=&{email}"), Incomplete),
            (format!("picup://join?server=%E&{email}"), Incomplete),
            (
                "picup://join?server=https%3A%2F%2Fa.org&email=nobody".to_owned(),
                NotAnEmail,
            ),
            (
                "picup://join?server=https%3A%2F%2Fa.org&email=a%40b%0D%0A".to_owned(),
                NotAnEmail,
            ),
            (
                format!(
                    "picup://join?server=https%3A%2F%2Fa.org&{email}&x={}",
                    "a".repeat(3000)
                ),
                TooLong,
            ),
        ];
        for (link, problem) in cases {
            assert_eq!(Invitation::from_link(&link), Err(problem), "{link}");
        }
    }

    #[test]
    fn a_password_in_a_link_is_never_read() {
        let link = "picup://join?server=https%3A%2F%2Fa.org&email=a%40b&password=secret";
        let invitation = Invitation::from_link(link).unwrap();
        assert_eq!(invitation.server, "https://a.org");
        assert_eq!(invitation.email, "a@b");
    }
}
