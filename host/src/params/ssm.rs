//! AWS Systems Manager Parameter Store: `GetParametersByPath`, recursive, with decryption,
//! every page. Credentials come from the normal AWS chain; the region from `--region` or
//! the environment (never guessed from instance metadata); the endpoint can point at an
//! SSM-compatible server. The SDK client is made on first use.

use super::{Param, ParamsError, ParamsFuture, ParamsProvider, check_path};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ssm::error::DisplayErrorContext;
use aws_sdk_ssm::types::ParameterType;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Parameters in AWS SSM (or an SSM-compatible server).
pub struct SsmStore {
    region: Option<String>,
    endpoint: Option<String>,
    client: OnceCell<aws_sdk_ssm::Client>,
}

impl SsmStore {
    /// A store in `region` (else the environment's), at `endpoint` (else AWS's).
    pub fn new(region: Option<String>, endpoint: Option<String>) -> SsmStore {
        SsmStore {
            region,
            endpoint,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&aws_sdk_ssm::Client, ParamsError> {
        self.client
            .get_or_try_init(|| async {
                let region = self
                    .region
                    .clone()
                    .or_else(|| std::env::var("AWS_REGION").ok())
                    .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
                    .ok_or_else(|| {
                        ParamsError(
                            "AWS SSM needs a region: pass --region or set AWS_REGION".into(),
                        )
                    })?;
                let timeouts = TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_timeout(Duration::from_secs(20))
                    .build();
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .region(Region::new(region))
                    .retry_config(RetryConfig::standard().with_max_attempts(3))
                    .timeout_config(timeouts);
                if let Some(endpoint) = &self.endpoint {
                    loader = loader.endpoint_url(endpoint);
                }
                Ok(aws_sdk_ssm::Client::new(&loader.load().await))
            })
            .await
    }
}

impl ParamsProvider for SsmStore {
    fn get_by_path<'a>(&'a self, path: &'a str) -> ParamsFuture<'a> {
        Box::pin(async move {
            check_path(path)?;
            let client = self.client().await?;
            // SSM names a hierarchy without its trailing slash.
            let hierarchy = if path.len() > 1 {
                path.trim_end_matches('/')
            } else {
                path
            };
            let mut pages = client
                .get_parameters_by_path()
                .path(hierarchy)
                .recursive(true)
                .with_decryption(true)
                .max_results(10)
                .into_paginator()
                .send();
            let mut out = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    ParamsError(format!(
                        "GetParametersByPath failed: {}",
                        DisplayErrorContext(&e)
                    ))
                })?;
                for p in page.parameters() {
                    let (Some(name), Some(value)) = (p.name(), p.value()) else {
                        continue;
                    };
                    let secure = p.r#type() == Some(&ParameterType::SecureString);
                    out.push(Param {
                        name: name.to_owned(),
                        value: value.to_owned(),
                        secure,
                    });
                }
            }
            Ok(out)
        })
    }

    fn describe(&self) -> String {
        match (&self.endpoint, &self.region) {
            (Some(e), _) => format!("AWS SSM at {e}"),
            (None, Some(r)) => format!("AWS SSM in {r}"),
            (None, None) => "AWS SSM".into(),
        }
    }
}
