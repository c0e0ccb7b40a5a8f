//! Reading objects back: whole, a prefix, chunk by chunk, or streamed with a range.

use aws_sdk_s3::error::SdkError;

use super::{ObjectStore, StoreError, failed};

impl ObjectStore {
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
