//! PostgreSQL storage's index segments: rows of `ion_segments (db, key, bytes,
//! written_at)`, read one by one on a cache miss (blocking, on the runtime that opened
//! the storage), listed and deleted by garbage collection. Part of `postgres`.

use super::super::StoredSegment;
use super::{Inner, StorageError, within};
use crate::segment::{Key, SegmentSource};
use std::sync::Arc;

/// A database's segments: rows of `ion_segments`.
pub(super) struct PgSegments {
    pub(super) storage: Arc<Inner>,
    pub(super) id: String,
    pub(super) name: String,
    pub(super) handle: tokio::runtime::Handle,
}

impl PgSegments {
    async fn read(&self, key: &Key) -> Result<Vec<u8>, StorageError> {
        let client = self.storage.client().await?;
        let row = within(client.query_opt(
            "SELECT bytes FROM ion_segments WHERE db = $1 AND key = $2",
            &[&self.id, &key.0.as_slice()],
        ))
        .await
        .map_err(|e| {
            self.storage
                .error(&format!("reading a segment of database {}", self.name), &e)
        })?;
        row.map(|r| r.get(0)).ok_or_else(|| {
            StorageError::corrupt(
                &self.storage.describe,
                format!(
                    "the index root of database {} names segment {key:?}, which is missing",
                    self.name
                ),
            )
        })
    }
}

impl SegmentSource for PgSegments {
    fn read_segment(&self, key: &Key) -> Result<Vec<u8>, StorageError> {
        crate::segment::block_on(&self.handle, &self.storage.describe, self.read(key))?
    }

    fn describe(&self) -> &str {
        &self.storage.describe
    }
}

impl PgSegments {
    fn failed(&self, what: &str, e: &(dyn std::error::Error + 'static)) -> StorageError {
        self.storage
            .error(&format!("{what} of database {}", self.name), e)
    }

    /// Every segment of the database, with when it was written and its size.
    pub(super) async fn list(&self) -> Result<Vec<StoredSegment>, StorageError> {
        let client = self.storage.client().await?;
        let rows = within(client.query(
            "SELECT key, (extract(epoch FROM written_at) * 1000)::bigint, length(bytes)::bigint \
             FROM ion_segments WHERE db = $1",
            &[&self.id],
        ))
        .await
        .map_err(|e| self.failed("listing the segments", &e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let key: Vec<u8> = r.get(0);
            let key = Key(key.try_into().map_err(|_| {
                StorageError::corrupt(&self.storage.describe, "a segment key is not 32 bytes")
            })?);
            let ms: i64 = r.get(1);
            let bytes: i64 = r.get(2);
            out.push(StoredSegment {
                key,
                written: std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64),
                bytes: bytes.max(0) as u64,
            });
        }
        Ok(out)
    }

    /// Deletes segments `keys`.
    pub(super) async fn delete(&self, keys: &[Key]) -> Result<(), StorageError> {
        let client = self.storage.client().await?;
        for chunk in keys.chunks(1000) {
            let keys: Vec<&[u8]> = chunk.iter().map(|k| k.0.as_slice()).collect();
            within(client.execute(
                "DELETE FROM ion_segments WHERE db = $1 AND key = ANY($2::bytea[])",
                &[&self.id, &keys],
            ))
            .await
            .map_err(|e| self.failed("deleting segments", &e))?;
        }
        Ok(())
    }
}
