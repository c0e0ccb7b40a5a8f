//! The object store: any S3 endpoint, through `aws-sdk-s3`.
//!
//! The same code talks to AWS, SeaweedFS, MinIO or the in-process endpoint of embedded
//! mode. Clients never send bytes through the server: it hands out presigned PUT URLs
//! whose `content-length` (and, where the store checks it, `x-amz-checksum-sha256`) is part
//! of the signature, then HEADs what arrived. Object keys are `<random prefix>/<name>`,
//! made here, never from user input.

use std::collections::BTreeMap;
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

use crate::config::Config;

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

#[derive(Clone)]
pub struct ObjectStore {
    client: Client,
    presigner: Client,
    bucket: String,
    checksums: bool,
}

impl ObjectStore {
    pub fn new(settings: &StoreSettings) -> ObjectStore {
        let client_for = |endpoint: Option<&String>| {
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
        };
        let client = client_for(settings.endpoint.as_ref());
        let presigner = match &settings.public_endpoint {
            Some(public) => client_for(Some(public)),
            None => client.clone(),
        };
        ObjectStore {
            client,
            presigner,
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
        let mut request = self
            .presigner
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(size)
            .content_type(content_type);
        if self.checksums
            && let Some(checksum) = sha256_base64
        {
            request = request.checksum_sha256(checksum);
        }
        let presigning =
            PresigningConfig::expires_in(valid_for).map_err(|e| StoreError::Failed {
                operation: "presign",
                message: e.to_string(),
            })?;
        let presigned = request
            .presigned(presigning)
            .await
            .map_err(failed("presign put_object"))?;
        Ok(Presigned::from(&presigned))
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
        let presigning =
            PresigningConfig::expires_in(valid_for).map_err(|e| StoreError::Failed {
                operation: "presign",
                message: e.to_string(),
            })?;
        let presigned = self
            .presigner
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(multipart_id)
            .part_number(number)
            .content_length(size)
            .presigned(presigning)
            .await
            .map_err(failed("presign upload_part"))?;
        Ok(Presigned::from(&presigned))
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

    /// The whole object (for tests and checks; the family page streams through the edge).
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(failed("get_object"))?;
        collect(object.body).await
    }
}

/// A whole body read into memory (only for what is known to be small, or for checks).
async fn collect(body: aws_sdk_s3::primitives::ByteStream) -> Result<Vec<u8>, StoreError> {
    let bytes = body.collect().await.map_err(|e| StoreError::Failed {
        operation: "get_object",
        message: e.to_string(),
    })?;
    Ok(bytes.into_bytes().to_vec())
}

impl ObjectStore {
    /// The first `n` bytes of an object (fewer if it is shorter).
    pub async fn read_prefix(&self, key: &str, n: usize) -> Result<Vec<u8>, StoreError> {
        let range = format!("bytes=0-{}", n.max(1) - 1);
        match self.read(key, Some(&range)).await? {
            ReadOutcome::Found(object) => {
                let mut bytes = collect(object.body).await?;
                bytes.truncate(n);
                Ok(bytes)
            }
            // An empty object has no byte 0 to start a range at.
            ReadOutcome::Missing | ReadOutcome::RangeNotSatisfiable => Ok(Vec::new()),
        }
    }

    /// Reads a whole object chunk by chunk, never holding more than one in memory.
    pub async fn read_each_chunk(
        &self,
        key: &str,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), StoreError> {
        let ReadOutcome::Found(object) = self.read(key, None).await? else {
            return Err(StoreError::Failed {
                operation: "get_object",
                message: format!("{key:?} is not there"),
            });
        };
        let mut body = object.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| StoreError::Failed {
            operation: "get_object",
            message: e.to_string(),
        })? {
            each(&chunk);
        }
        Ok(())
    }
}

/// An object being read, for streaming to a client.
pub struct ObjectStream {
    /// 206 when a byte range was asked for and served.
    pub partial: bool,
    pub content_length: i64,
    pub content_range: Option<String>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub body: aws_sdk_s3::primitives::ByteStream,
}

/// What a ranged read can come to besides the bytes.
pub enum ReadOutcome {
    Found(Box<ObjectStream>),
    Missing,
    /// The range asked for lies outside the object.
    RangeNotSatisfiable,
}

impl ObjectStore {
    /// Starts reading an object, optionally a byte range (`bytes=0-99`), without
    /// buffering it.
    pub async fn read(&self, key: &str, range: Option<&str>) -> Result<ReadOutcome, StoreError> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range.map(str::to_owned))
            .send()
            .await;
        match result {
            Ok(object) => Ok(ReadOutcome::Found(Box::new(ObjectStream {
                partial: object.content_range().is_some(),
                content_length: object.content_length().unwrap_or(0),
                content_range: object.content_range().map(str::to_owned),
                content_type: object.content_type().map(str::to_owned),
                etag: object.e_tag().map(str::to_owned),
                body: object.body,
            }))),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => {
                Ok(ReadOutcome::Missing)
            }
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 416 => {
                Ok(ReadOutcome::RangeNotSatisfiable)
            }
            Err(e) => Err(failed("get_object")(e)),
        }
    }
}

/// The key of one of an item's objects.
pub fn object_key(prefix: &str, name: ObjectName) -> String {
    format!("{prefix}/{name}")
}
