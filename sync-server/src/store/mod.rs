//! The object store: any S3 endpoint, through `aws-sdk-s3`.
//!
//! The same code talks to AWS, SeaweedFS, MinIO or the in-process endpoint of embedded
//! mode. Clients never send bytes through the server: it hands out presigned PUT URLs
//! whose `content-length` (and, where the store checks it, `x-amz-checksum-sha256`) is part
//! of the signature, then HEADs what arrived. Object keys are `<random prefix>/<name>`,
//! made here, never from user input.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    timeout::TimeoutConfig,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{
    ChecksumMode, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
};
use picup_api::ObjectName;
use tokio::sync::OnceCell;

use crate::config::Config;

mod presign;
mod read;

pub use read::{ObjectStream, ReadOutcome};

/// S3 refuses presigned addresses valid for longer than this.
const MAX_PRESIGNED_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the object store refused or failed {operation}: {message}")]
    Failed {
        operation: &'static str,
        message: String,
    },
}

fn failed<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> StoreError {
    move |err| {
        let message = match &err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                format!(
                    "{} ({})",
                    inner.message().unwrap_or("no message"),
                    inner.code().unwrap_or("no code")
                )
            }
            other => format!("{other:?}").chars().take(300).collect(),
        };
        StoreError::Failed { operation, message }
    }
}

impl From<&aws_sdk_s3::presigning::PresignedRequest> for Presigned {
    fn from(presigned: &aws_sdk_s3::presigning::PresignedRequest) -> Self {
        Presigned {
            method: presigned.method().to_owned(),
            url: presigned.uri().to_owned(),
            headers: presigned
                .headers()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect(),
        }
    }
}

/// Where and how to reach an S3 endpoint.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub endpoint: Option<String>,
    /// The address put into presigned URLs (defaults to `endpoint`).
    pub public_endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub path_style: bool,
    pub checksums: bool,
}

impl StoreSettings {
    pub fn from_config(config: &Config) -> StoreSettings {
        StoreSettings {
            endpoint: config.s3_endpoint.clone(),
            public_endpoint: config.s3_public_endpoint.clone(),
            region: config.s3_region.clone(),
            bucket: config.s3_bucket.clone(),
            access_key_id: config.s3_access_key_id.clone(),
            secret_access_key: config.s3_secret_access_key.0.clone(),
            path_style: config.s3_path_style,
            checksums: config.s3_checksums,
        }
    }
}

/// What a HEAD found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: i64,
    /// Base64 SHA-256, when the store verified and kept one.
    pub checksum_sha256: Option<String>,
}

/// One object seen while listing the bucket.
#[derive(Debug, Clone)]
pub struct ListedObject {
    pub key: String,
    pub size: i64,
    pub last_modified: Option<SystemTime>,
}

/// A presigned request: send exactly these headers.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
}

/// An SDK client for `endpoint` (AWS itself when `None`) with `settings`' credentials.
pub(crate) fn sdk_client(settings: &StoreSettings, endpoint: Option<&String>) -> Client {
    let credentials = Credentials::new(
        &settings.access_key_id,
        &settings.secret_access_key,
        None,
        None,
        "picup-config",
    );
    let mut builder = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .credentials_provider(credentials)
        .force_path_style(settings.path_style)
        // Checksums are asked for explicitly where they matter; the SDK's default
        // CRC32 on every request would end up in presigned URLs clients cannot match.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint.trim_end_matches('/'));
    }
    Client::from_conf(builder.build())
}

#[derive(Clone)]
pub struct ObjectStore {
    client: Client,
    /// The SDK client for the address clients use: it decides once where presigned
    /// addresses point (see `presign`).
    presigner: Client,
    signer: Arc<presign::Signer>,
    base: Arc<OnceCell<presign::Base>>,
    bucket: String,
    checksums: bool,
}

impl ObjectStore {
    pub fn new(settings: &StoreSettings) -> ObjectStore {
        let client = sdk_client(settings, settings.endpoint.as_ref());
        let presigner = match &settings.public_endpoint {
            Some(public) => sdk_client(settings, Some(public)),
            None => client.clone(),
        };
        ObjectStore {
            client,
            presigner,
            signer: Arc::new(presign::Signer::new(
                &settings.access_key_id,
                &settings.secret_access_key,
                &settings.region,
            )),
            base: Arc::new(OnceCell::new()),
            bucket: settings.bucket.clone(),
            checksums: settings.checksums,
        }
    }

    /// Creates the bucket if it does not exist yet.
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(_) => {
                self.client
                    .create_bucket()
                    .bucket(&self.bucket)
                    .send()
                    .await
                    .map_err(failed("create_bucket"))?;
                Ok(())
            }
        }
    }

    /// Reachability, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(failed("head_bucket"))?;
        Ok(())
    }

    /// A PUT URL that accepts exactly `size` bytes (and, if given and the store checks
    /// checksums, exactly the bytes with that SHA-256).
    pub async fn presign_put(
        &self,
        key: &str,
        size: i64,
        content_type: &str,
        sha256_base64: Option<&str>,
        valid_for: Duration,
    ) -> Result<Presigned, StoreError> {
        let checksum_sha256 = sha256_base64.filter(|_| self.checksums);
        self.presign(presign::PutRequest {
            key,
            size,
            content_type: Some(content_type),
            checksum_sha256,
            part: None,
            valid_for,
            signed_at: SystemTime::now(),
        })
        .await
    }

    /// Signs `request` here, once the SDK has said (for a probe key) where addresses
    /// point.
    async fn presign(&self, request: presign::PutRequest<'_>) -> Result<Presigned, StoreError> {
        if request.valid_for > MAX_PRESIGNED_VALIDITY {
            return Err(StoreError::Failed {
                operation: "presign",
                message: "an address may be valid for a week at most".to_owned(),
            });
        }
        let base = self
            .base
            .get_or_try_init(|| async {
                let config =
                    PresigningConfig::expires_in(Duration::from_secs(60)).map_err(|e| {
                        StoreError::Failed {
                            operation: "presign",
                            message: e.to_string(),
                        }
                    })?;
                let probe = self
                    .presigner
                    .put_object()
                    .bucket(&self.bucket)
                    .key(presign::PROBE_KEY)
                    .presigned(config)
                    .await
                    .map_err(failed("presign put_object"))?;
                presign::Base::from_probe(probe.uri()).ok_or_else(|| StoreError::Failed {
                    operation: "presign",
                    message: format!("unexpected presigned address {}", probe.uri()),
                })
            })
            .await?;
        Ok(self.signer.presign(base, &request))
    }

    /// Starts an upload in parts (for originals too large for one PUT); returns its id.
    pub async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StoreError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(failed("create_multipart_upload"))?;
        created
            .upload_id()
            .map(str::to_owned)
            .ok_or_else(|| StoreError::Failed {
                operation: "create_multipart_upload",
                message: "the store answered without an upload id".into(),
            })
    }

    /// A PUT URL for one part that accepts exactly `size` bytes.
    pub async fn presign_part(
        &self,
        key: &str,
        multipart_id: &str,
        number: i32,
        size: i64,
        valid_for: Duration,
    ) -> Result<Presigned, StoreError> {
        self.presign(presign::PutRequest {
            key,
            size,
            content_type: None,
            checksum_sha256: None,
            part: Some((multipart_id, number)),
            valid_for,
            signed_at: SystemTime::now(),
        })
        .await
    }

    /// Joins the parts, given each part's ETag in order, into one object.
    pub async fn complete_multipart(
        &self,
        key: &str,
        multipart_id: &str,
        parts: &[(i32, String)],
    ) -> Result<(), StoreError> {
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|(number, etag)| {
                        CompletedPart::builder()
                            .part_number(*number)
                            .e_tag(etag)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(multipart_id)
            .multipart_upload(completed)
            .send()
            .await
            .map_err(failed("complete_multipart_upload"))?;
        Ok(())
    }

    /// Throws away an unfinished upload in parts. One already finished or thrown away
    /// counts as done.
    pub async fn abort_multipart(&self, key: &str, multipart_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(multipart_id)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(()),
            Err(e) => {
                // Some stores (s3s-fs) answer 403 for an upload already joined into an
                // object: that one is finished, not unfinished.
                if self.head(key).await?.is_some() {
                    return Ok(());
                }
                Err(failed("abort_multipart_upload")(e))
            }
        }
    }

    /// Size and checksum of an object, or None if it is not there.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        match result {
            Ok(head) => Ok(Some(ObjectInfo {
                size: head.content_length().unwrap_or(0),
                checksum_sha256: head.checksum_sha256().map(str::to_owned),
            })),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => Ok(None),
            Err(e) => Err(failed("head_object")(e)),
        }
    }

    /// Deletes up to 1,000 keys in one request. Keys already gone count as deleted.
    pub async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let objects = keys
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Failed {
                operation: "delete_objects",
                message: e.to_string(),
            })?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| StoreError::Failed {
                operation: "delete_objects",
                message: e.to_string(),
            })?;
        let answer = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(failed("delete_objects"))?;
        if let Some(first) = answer.errors().first() {
            return Err(StoreError::Failed {
                operation: "delete_objects",
                message: format!(
                    "{} of {} keys failed, first {:?}: {}",
                    answer.errors().len(),
                    keys.len(),
                    first.key().unwrap_or(""),
                    first.message().unwrap_or("no message")
                ),
            });
        }
        Ok(())
    }

    /// Every object in the bucket, page by page.
    pub async fn list_all(&self) -> Result<Vec<ListedObject>, StoreError> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(failed("list_objects_v2"))?;
            for object in page.contents() {
                objects.push(ListedObject {
                    key: object.key().unwrap_or_default().to_owned(),
                    size: object.size().unwrap_or(0),
                    last_modified: object
                        .last_modified()
                        .and_then(|t| SystemTime::try_from(*t).ok()),
                });
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(objects)
    }

    /// Stores a small object the server made itself (a derived image), whole.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .map_err(failed("put_object"))?;
        Ok(())
    }

    /// Stores a file the server made itself (a video's web copy), streamed from disk.
    pub async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| StoreError::Failed {
                operation: "put_object",
                message: format!("could not read {}: {e}", path.display()),
            })?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(failed("put_object"))?;
        Ok(())
    }
}

/// The key of one of an item's objects.
pub fn object_key(prefix: &str, name: ObjectName) -> String {
    format!("{prefix}/{name}")
}
