//! The operator's own certificate (`--tls-cert`, `--tls-key`), reloaded when the files
//! change: certbot, a company CA or a script can replace them and the server takes the
//! new pair from the next handshake on, without a restart.
//!
//! The files are looked at every few seconds (size, time and inode, which also sees a
//! symbolic link pointed elsewhere, as certbot does). A pair that does not load (the
//! certificate replaced but not yet its key) is tried again at the next look, and the
//! old pair is served meanwhile.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{Certificates, certified_key};

/// How often the files are looked at.
pub const LOOK_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct CertificateFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

type Fingerprint = [(u64, i64, i64, u64); 2];

impl CertificateFiles {
    fn fingerprint(&self) -> Option<Fingerprint> {
        let look = |path: &PathBuf| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.len(), meta.mtime(), meta.mtime_nsec(), meta.ino()))
        };
        Some([look(&self.cert)?, look(&self.key)?])
    }

    /// Reads the pair and serves it; says in words what is wrong with it otherwise.
    pub fn load_into(&self, certificates: &Certificates) -> Result<(), String> {
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let key = certified_key(&read(&self.cert)?, &read(&self.key)?)?;
        certificates.set_current(key);
        Ok(())
    }

    /// Serves the pair now (an error if it does not load: the server must not start
    /// without a certificate), then reloads it whenever the files change, until `stop`.
    pub fn serve(
        self,
        certificates: Arc<Certificates>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<tokio::task::JoinHandle<()>, String> {
        self.load_into(&certificates)?;
        let mut loaded = self.fingerprint();
        Ok(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(LOOK_EVERY) => {}
                    _ = stop.changed() => return,
                }
                let now = self.fingerprint();
                if now.is_none() || now == loaded {
                    continue;
                }
                match self.load_into(&certificates) {
                    Ok(()) => {
                        tracing::info!(cert = %self.cert.display(), "reloaded the HTTPS certificate");
                        loaded = now;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the new HTTPS certificate does not load yet; still serving the old one")
                    }
                }
            }
        }))
    }
}
