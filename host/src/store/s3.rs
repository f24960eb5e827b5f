//! The S3 backend: a store under `s3://bucket/prefix`, through `aws-sdk-s3`. Works with
//! S3-compatible servers through an endpoint override (path-style addressing then).
//! Create-if-absent writes use a conditional put (`If-None-Match: *`).

use super::backend::{Backend, Fut, Listed};
use crate::aws::AwsTarget;
use anyhow::{Context as _, Result, anyhow, bail};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use tokio::sync::OnceCell;

/// A store in an S3 bucket, under a key prefix.
pub struct S3Store {
    bucket: String,
    prefix: String,
    target: AwsTarget,
    client: OnceCell<Client>,
}

impl S3Store {
    /// Parses `s3://bucket[/prefix]`.
    pub fn new(url: &str, target: AwsTarget) -> Result<S3Store> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| anyhow!("{url}: an S3 store is named s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            bail!("{url}: the bucket name is missing (expected s3://bucket/prefix)");
        }
        let prefix = prefix.trim_matches('/');
        Ok(S3Store {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            target,
            client: OnceCell::new(),
        })
    }

    async fn client(&self) -> Result<&Client> {
        self.client
            .get_or_try_init(|| async {
                let shared = self.target.sdk_config("the S3 store").await?;
                let config = aws_sdk_s3::config::Builder::from(&shared)
                    .force_path_style(self.target.endpoint.is_some())
                    .build();
                Ok(Client::from_conf(config))
            })
            .await
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn failed<E>(&self, op: &str, key: &str, e: E) -> anyhow::Error
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        anyhow!(
            "{op} s3://{}/{}{} failed: {}",
            self.bucket,
            self.key(key),
            self.target.describe(),
            DisplayErrorContext(e)
        )
    }
}

impl Backend for S3Store {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix.trim_end_matches('/'))
    }

    fn get<'a>(&'a self, key: &'a str) -> Fut<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let client = self.client().await?;
            let got = client
                .get_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .send()
                .await;
            match got {
                Ok(out) => {
                    let body = out
                        .body
                        .collect()
                        .await
                        .map_err(|e| self.failed("reading", key, e))?;
                    Ok(Some(body.into_bytes().to_vec()))
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(self.failed("GetObject", key, e)),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            let client = self.client().await?;
            match client
                .head_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
                Err(e) => Err(self.failed("HeadObject", key, e)),
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, if_absent: bool) -> Fut<'a, bool> {
        Box::pin(async move {
            let client = self.client().await?;
            let mut put = client
                .put_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .body(ByteStream::from(bytes));
            if if_absent {
                put = put.if_none_match("*");
            }
            match put.send().await {
                Ok(_) => Ok(true),
                Err(e)
                    if if_absent
                        && matches!(
                            e.as_service_error().and_then(|s| s.code()),
                            Some("PreconditionFailed" | "ConditionalRequestConflict")
                        ) =>
                {
                    Ok(false)
                }
                Err(e) => Err(self.failed("PutObject", key, e)),
            }
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> Fut<'a, Vec<Listed>> {
        Box::pin(async move {
            let client = self.client().await?;
            let mut pages = client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(self.key(prefix))
                .into_paginator()
                .send();
            let mut out = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.failed("ListObjectsV2", prefix, e))?;
                for object in page.contents() {
                    let Some(full) = object.key() else { continue };
                    let Some(key) = full.strip_prefix(&self.prefix) else {
                        continue;
                    };
                    out.push(Listed {
                        key: key.to_owned(),
                        size: object.size().unwrap_or(0).max(0) as u64,
                        modified: object
                            .last_modified()
                            .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                    });
                }
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            let client = self.client().await?;
            client
                .delete_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.failed("DeleteObject", key, e))
                .context("deleting from the store")
        })
    }
}
