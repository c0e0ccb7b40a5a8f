//! The in-process S3 endpoint of a single-machine install: `s3s-fs` serving a directory.
//!
//! It speaks real S3 (SigV4, presigned URLs, signed content lengths, checksums), so the
//! server's `aws-sdk-s3` code is the same here as against AWS. Its credentials are made
//! fresh each start; only this process ever uses them. It accepts connections through
//! the API's accept loop, with the same header timeout and connection caps.

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::http::connections::{self, ConnectionLimits};
use crate::ids;

pub struct EmbeddedS3 {
    pub endpoint: String,
    pub address: SocketAddr,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The same endpoint, for the API's listener to pass presigned uploads to.
    service: s3s::service::S3Service,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl EmbeddedS3 {
    /// Serves `dir` on `listener` until [`EmbeddedS3::stop`]. Without `credentials`
    /// (access key id, secret) it makes up a secret only this process knows.
    pub async fn start(
        dir: &Path,
        listener: TcpListener,
        credentials: Option<(String, String)>,
        limits: ConnectionLimits,
    ) -> std::io::Result<EmbeddedS3> {
        // The photos are the owner's alone, whatever the umask.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let filesystem = s3s_fs::FileSystem::new(dir)
            .map_err(|e| std::io::Error::other(format!("cannot serve {}: {e:?}", dir.display())))?;
        let (access_key_id, secret_access_key) =
            credentials.unwrap_or_else(|| ("picup-embedded".to_owned(), ids::random_token()));
        let service = {
            let mut builder = S3ServiceBuilder::new(filesystem);
            builder.set_auth(SimpleAuth::from_single(
                access_key_id.clone(),
                secret_access_key.clone(),
            ));
            builder.build()
        };
        let address = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let own_service = service.clone();
        let task = tokio::spawn(async move {
            let stop_asked = async move {
                let _ = stopped.changed().await;
            };
            let _ = connections::serve_with(listener, limits, None, stop_asked, move |_peer| {
                service.clone()
            })
            .await;
        });
        Ok(EmbeddedS3 {
            endpoint: format!("http://{address}"),
            address,
            access_key_id,
            secret_access_key,
            service: own_service,
            stop,
            task,
        })
    }

    /// Presigned uploads to `bucket`, for the API's listener to take too.
    pub fn uploads_through_api(&self, bucket: &str) -> crate::http::ObjectUploads {
        crate::http::ObjectUploads {
            bucket: bucket.to_owned(),
            service: self.service.clone(),
        }
    }

    /// Stops accepting connections and lets the open ones finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
