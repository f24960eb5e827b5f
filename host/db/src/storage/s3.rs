//! `s3://BUCKET/PREFIX`: databases as objects, through aws-sdk-s3.
//!
//! - `PREFIX/databases/NAME` holds the database's id, new for every creation (so a
//!   database deleted and created again never mixes with its old records).
//! - `PREFIX/db/ID/log/T` (T zero-padded to 20 digits, so keys sort by `t`) is one
//!   transaction's record, written with `If-None-Match: *`: S3 refuses a second writer
//!   of the same `t`, which makes every commit a conditional append.
//! - `PREFIX/db/ID/snapshot/T`: the newest two snapshots.
//!
//! S3 tells no one of a write, so nodes on S3 storage tell each other (the node's admin
//! API) and poll. A batch is written record by record, in order: a conflict after some
//! of them leaves those written, and says how many.

use super::{Appended, Cursor, DbStorage, Record, Snapshot, Storage, StorageError};
use crate::segment::{Key, SegmentSource};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use futures_util::{StreamExt as _, TryStreamExt as _};
use segments::S3Segments;
use std::sync::Arc;
use std::time::Duration;

#[path = "s3_segments.rs"]
mod segments;

/// GETs in flight at once while reading the log.
const PARALLEL_GETS: usize = 16;

/// Databases in an S3 bucket under a prefix.
pub struct S3Storage(Arc<Inner>);

struct Inner {
    client: Client,
    bucket: String,
    /// The key prefix, ending in `/` unless empty.
    prefix: String,
    describe: String,
}

impl S3Storage {
    /// The storage in `bucket` under `prefix`, reached with `client`.
    pub fn new(client: Client, bucket: &str, prefix: &str) -> S3Storage {
        let prefix = prefix.trim_matches('/');
        S3Storage(Arc::new(Inner {
            client,
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            describe: format!("s3://{bucket}/{prefix}"),
        }))
    }
}

fn log_key(t: i64) -> String {
    format!("{t:020}")
}

impl Inner {
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn failed<E, R>(&self, op: &str, key: &str, e: SdkError<E, R>) -> StorageError
    where
        E: std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        StorageError::unavailable(
            &self.describe,
            format!(
                "{op} s3://{}/{} failed: {}",
                self.bucket,
                self.key(key),
                DisplayErrorContext(e)
            ),
        )
    }

    /// The object at `key`, if there is one.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
        {
            Ok(out) => match out.body.collect().await {
                Ok(body) => Ok(Some(body.into_bytes().to_vec())),
                Err(e) => Err(StorageError::unavailable(
                    &self.describe,
                    format!("reading s3://{}/{}: {e}", self.bucket, self.key(key)),
                )),
            },
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(self.failed("GetObject", key, e)),
        }
    }

    /// Writes `bytes` at `key` unless an object is there: `false` when one was.
    async fn put_new(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StorageError> {
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .if_none_match("*")
            .body(ByteStream::from(bytes))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            // 412: the key is taken. 409: another conditional write to it is in flight
            // (S3 asks to retry); either way another writer got there.
            Err(e)
                if matches!(
                    e.raw_response().map(|r| r.status().as_u16()),
                    Some(412 | 409)
                ) || matches!(
                    e.code(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict")
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.failed("PutObject", key, e)),
        }
    }

    /// The keys under `prefix` after `start_after`, in order, at most `limit` (all when
    /// `None`).
    async fn keys(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, StorageError> {
        let full = self.key(prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut list = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&full)
                .set_continuation_token(token.clone());
            if let Some(after) = start_after {
                list = list.start_after(self.key(after));
            }
            if let Some(limit) = limit {
                list = list.max_keys((limit - out.len()).min(1000) as i32);
            }
            let page = list
                .send()
                .await
                .map_err(|e| self.failed("ListObjectsV2", prefix, e))?;
            for object in page.contents() {
                if let Some(k) = object.key().and_then(|k| k.strip_prefix(&self.prefix)) {
                    out.push(k.to_owned());
                }
            }
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() || limit.is_some_and(|l| out.len() >= l) {
                return Ok(out);
            }
        }
    }

    /// Deletes every object under `prefix`.
    async fn delete_all(&self, prefix: &str) -> Result<(), StorageError> {
        let keys = self.keys(prefix, None, None).await?;
        self.delete_keys(&keys).await
    }

    /// Deletes the objects `keys` (relative to the prefix).
    async fn delete_keys(&self, keys: &[String]) -> Result<(), StorageError> {
        let prefix = keys.first().map_or("", |k| k.as_str());
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| {
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key(self.key(k))
                        .build()
                        .map_err(|e| StorageError::unavailable(&self.describe, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let delete = aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .build()
                .map_err(|e| StorageError::unavailable(&self.describe, e))?;
            self.client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| self.failed("DeleteObjects", prefix, e))?;
        }
        Ok(())
    }

    /// The id of database `name`, if it exists.
    async fn id_of(&self, name: &str) -> Result<Option<String>, StorageError> {
        Ok(self
            .get(&format!("databases/{name}"))
            .await?
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned()))
    }
}

#[async_trait]
impl Storage for S3Storage {
    fn describe(&self) -> &str {
        &self.0.describe
    }

    async fn create(&self, name: &str) -> Result<(), StorageError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.0
            .put_new(&format!("databases/{name}"), id.into_bytes())
            .await
            .map(|_| ())
    }

    async fn list(&self) -> Result<Vec<String>, StorageError> {
        Ok(self
            .0
            .keys("databases/", None, None)
            .await?
            .into_iter()
            .filter_map(|k| k.strip_prefix("databases/").map(str::to_owned))
            .collect())
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let Some(id) = self.0.id_of(name).await? else {
            return Ok(());
        };
        let key = format!("databases/{name}");
        self.0
            .client
            .delete_object()
            .bucket(&self.0.bucket)
            .key(self.0.key(&key))
            .send()
            .await
            .map_err(|e| self.0.failed("DeleteObject", &key, e))?;
        self.0.delete_all(&format!("db/{id}/")).await
    }

    async fn open(&self, name: &str) -> Result<Arc<dyn DbStorage>, StorageError> {
        match self.0.id_of(name).await? {
            Some(id) => Ok(Arc::new(S3Db {
                storage: self.0.clone(),
                log: format!("db/{id}/log/"),
                snapshots: format!("db/{id}/snapshot/"),
                segments: format!("db/{id}/segment/"),
                handle: tokio::runtime::Handle::current(),
                id,
            })),
            None => Err(StorageError::NotFound {
                storage: self.0.describe.clone(),
                name: name.to_owned(),
            }),
        }
    }

    fn poll_interval(&self) -> Duration {
        // Each poll is a LIST request; peers' notifications carry the commits.
        Duration::from_secs(1)
    }
}

/// One database's objects.
struct S3Db {
    storage: Arc<Inner>,
    id: String,
    log: String,
    snapshots: String,
    segments: String,
    /// The runtime that drives blocking segment reads.
    handle: tokio::runtime::Handle,
}

impl S3Db {
    fn t_of(&self, key: &str, prefix: &str) -> Result<i64, StorageError> {
        key.strip_prefix(prefix)
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| {
                StorageError::corrupt(&self.storage.describe, format!("{key} is not named by a t"))
            })
    }
}

#[async_trait]
impl DbStorage for S3Db {
    fn id(&self) -> &str {
        &self.id
    }

    async fn append(&self, after: Cursor, records: &[Record]) -> Result<Appended, StorageError> {
        let mut cursor = after;
        for (i, r) in records.iter().enumerate() {
            let key = format!("{}{}", self.log, log_key(r.t));
            if !self.storage.put_new(&key, r.bytes.clone()).await? {
                return Ok(Appended::Conflict { written: i, cursor });
            }
            cursor = Cursor { t: r.t, offset: 0 };
        }
        Ok(Appended::All(cursor))
    }

    async fn read(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Record>, Cursor), StorageError> {
        let start = format!("{}{}", self.log, log_key(after.t));
        let keys = self
            .storage
            .keys(&self.log, Some(&start), Some(limit))
            .await?;
        let mut ts = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let t = self.t_of(key, &self.log)?;
            if t != after.t + 1 + i as i64 {
                return Err(StorageError::corrupt(
                    &self.storage.describe,
                    format!(
                        "{}: the log skips from t {} to t {t}",
                        self.log,
                        after.t + i as i64
                    ),
                ));
            }
            ts.push(t);
        }
        let bodies: Vec<Option<Vec<u8>>> = futures_util::stream::iter(keys)
            .map(|k| {
                let storage = self.storage.clone();
                async move { storage.get(&k).await }
            })
            .buffered(PARALLEL_GETS)
            .try_collect()
            .await?;
        let mut records = Vec::with_capacity(bodies.len());
        for (t, body) in ts.into_iter().zip(bodies) {
            let bytes = body.ok_or_else(|| {
                StorageError::corrupt(
                    &self.storage.describe,
                    format!("{}{}: listed but gone", self.log, log_key(t)),
                )
            })?;
            records.push(Record { t, bytes });
        }
        let cursor = Cursor {
            t: records.last().map_or(after.t, |r| r.t),
            offset: 0,
        };
        Ok((records, cursor))
    }

    async fn record_at(
        &self,
        t: i64,
        _near: Cursor,
    ) -> Result<Option<(Record, Cursor)>, StorageError> {
        let key = format!("{}{}", self.log, log_key(t));
        Ok(self
            .storage
            .get(&key)
            .await?
            .map(|bytes| (Record { t, bytes }, Cursor { t, offset: 0 })))
    }

    async fn load_snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        let keys = self.storage.keys(&self.snapshots, None, None).await?;
        let Some(newest) = keys.last() else {
            return Ok(None);
        };
        let t = self.t_of(newest, &self.snapshots)?;
        Ok(self.storage.get(newest).await?.map(|bytes| Snapshot {
            cursor: Cursor { t, offset: 0 },
            bytes,
        }))
    }

    async fn roots(&self) -> Result<Vec<Snapshot>, StorageError> {
        let keys = self.storage.keys(&self.snapshots, None, None).await?;
        let mut out = Vec::new();
        for key in keys.iter().rev() {
            let t = self.t_of(key, &self.snapshots)?;
            if let Some(bytes) = self.storage.get(key).await? {
                out.push(Snapshot {
                    cursor: Cursor { t, offset: 0 },
                    bytes,
                });
            }
        }
        Ok(out)
    }

    async fn list_segments(&self) -> Result<Vec<super::StoredSegment>, StorageError> {
        self.storage.segment_objects(&self.segments).await
    }

    async fn delete_segments(&self, keys: Vec<Key>) -> Result<(), StorageError> {
        let names: Vec<String> = keys
            .iter()
            .map(|k| format!("{}{}", self.segments, k.hex()))
            .collect();
        self.storage.delete_keys(&names).await
    }

    async fn put_segment(&self, key: Key, bytes: Vec<u8>) -> Result<(), StorageError> {
        // Named by its hash: an object already there holds the same bytes.
        let name = format!("{}{}", self.segments, key.hex());
        self.storage.put_new(&name, bytes).await.map(|_| ())
    }

    fn segments(&self) -> Arc<dyn SegmentSource> {
        Arc::new(S3Segments {
            storage: self.storage.clone(),
            prefix: self.segments.clone(),
            handle: self.handle.clone(),
        })
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StorageError> {
        let key = format!("{}{}", self.snapshots, log_key(snapshot.cursor.t));
        self.storage.put_new(&key, snapshot.bytes).await?;
        // Keep the newest two: one being read by a node that is opening stays whole.
        let keys = self.storage.keys(&self.snapshots, None, None).await?;
        for old in keys.iter().rev().skip(2) {
            let _ = self
                .storage
                .client
                .delete_object()
                .bucket(&self.storage.bucket)
                .key(self.storage.key(old))
                .send()
                .await;
        }
        Ok(())
    }
}
