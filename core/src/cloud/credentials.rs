//! The sign-in token's home: the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), never a file and never a log line.

use crate::index::SyncAccount;

const SERVICE: &str = "Pic-up family cloud";

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    /// No keyring answers on this computer (no Secret Service running, locked, …).
    #[error(
        "Pic-up cannot remember your sign-in on this computer, so it will ask for your \
         password each time it starts."
    )]
    Unavailable(String),
}

fn entry(account: &SyncAccount) -> Result<keyring::Entry, KeyringError> {
    // One entry per server and email, so two accounts never overwrite each other.
    let user = format!("{} {}", account.email, account.server_url);
    keyring::Entry::new(SERVICE, &user).map_err(|e| KeyringError::Unavailable(e.to_string()))
}

/// Keeps the token in the keyring.
pub fn save_token(account: &SyncAccount, token: &str) -> Result<(), KeyringError> {
    entry(account)?
        .set_password(token)
        .map_err(|e| KeyringError::Unavailable(e.to_string()))
}

/// The saved token, if there is one. `Err` only when the keyring itself cannot be used.
pub fn load_token(account: &SyncAccount) -> Result<Option<String>, KeyringError> {
    match entry(account)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(KeyringError::Unavailable(e.to_string())),
    }
}

/// Removes the token (signing out). Nothing saved counts as removed.
pub fn delete_token(account: &SyncAccount) -> Result<(), KeyringError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(KeyringError::Unavailable(e.to_string())),
    }
}
