//! S3 storage's index segments: objects `PREFIX/db/ID/segment/KEY`, read one by one on
//! a cache miss (blocking, on the runtime that opened the storage), listed and deleted by
//! garbage collection. Part of `s3`.

use super::super::StoredSegment;
use super::{Inner, StorageError};
use crate::segment::{Key, SegmentSource};
use std::sync::Arc;

/// A database's segments: `PREFIX/db/ID/segment/KEY`.
pub(super) struct S3Segments {
    pub(super) storage: Arc<Inner>,
    pub(super) prefix: String,
    pub(super) handle: tokio::runtime::Handle,
}

impl SegmentSource for S3Segments {
    fn read_segment(&self, key: &Key) -> Result<Vec<u8>, StorageError> {
        let name = format!("{}{}", self.prefix, key.hex());
        let got = crate::segment::block_on(
            &self.handle,
            &self.storage.describe,
            self.storage.get(&name),
        )??;
        got.ok_or_else(|| {
            StorageError::corrupt(
                &self.storage.describe,
                format!(
                    "the index root names segment s3://{}/{}, which is missing",
                    self.storage.bucket,
                    self.storage.key(&name)
                ),
            )
        })
    }

    fn describe(&self) -> &str {
        &self.storage.describe
    }
}

impl Inner {
    /// The segments under `prefix`, with when each was written and its size.
    pub(super) async fn segment_objects(
        &self,
        prefix: &str,
    ) -> Result<Vec<StoredSegment>, StorageError> {
        let full = self.key(prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&full)
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| self.failed("ListObjectsV2", prefix, e))?;
            for object in page.contents() {
                let Some(key) = object
                    .key()
                    .and_then(|k| k.strip_prefix(&full))
                    .and_then(Key::parse)
                else {
                    continue;
                };
                let written = object
                    .last_modified()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok())
                    .ok_or_else(|| {
                        StorageError::corrupt(
                            &self.describe,
                            format!("segment {key:?} has no LastModified"),
                        )
                    })?;
                out.push(StoredSegment {
                    key,
                    written,
                    bytes: object.size().unwrap_or(0).max(0) as u64,
                });
            }
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}
