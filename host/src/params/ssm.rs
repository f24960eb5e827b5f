//! AWS Systems Manager Parameter Store: `GetParametersByPath`, recursive, with decryption,
//! every page. Credentials come from the normal AWS chain; the region from `--region` or
//! the environment (never guessed from instance metadata); the endpoint can point at an
//! SSM-compatible server. The SDK client is made on first use.

use super::{Param, ParamsError, ParamsFuture, ParamsProvider, check_path};
use crate::aws::AwsTarget;
use aws_sdk_ssm::error::DisplayErrorContext;
use aws_sdk_ssm::types::ParameterType;
use tokio::sync::OnceCell;

/// Parameters in AWS SSM (or an SSM-compatible server).
pub struct SsmStore {
    target: AwsTarget,
    client: OnceCell<aws_sdk_ssm::Client>,
}

impl SsmStore {
    /// A store in `region` (else the environment's), at `endpoint` (else AWS's).
    pub fn new(region: Option<String>, endpoint: Option<String>) -> SsmStore {
        SsmStore {
            target: AwsTarget {
                region,
                endpoint,
                profile: None,
            },
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&aws_sdk_ssm::Client, ParamsError> {
        self.client
            .get_or_try_init(|| async {
                let config = self
                    .target
                    .sdk_config("AWS SSM")
                    .await
                    .map_err(|e| ParamsError(e.to_string()))?;
                Ok(aws_sdk_ssm::Client::new(&config))
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
        format!("AWS SSM{}", self.target.describe())
    }
}
