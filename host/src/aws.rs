//! How the host reaches AWS services (SSM for parameters, S3 for the revision store): one
//! SDK configuration from the normal credential chain, an optional named profile, an
//! explicit region (never guessed from instance metadata) and an optional endpoint for
//! AWS-compatible servers, with bounded timeouts and retries. Knows no service's API.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// No region is known for reaching a service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} needs a region: pass --region or set AWS_REGION")]
pub struct NoRegion {
    /// The service, as messages name it ("AWS SSM", "the S3 store", …).
    pub service: String,
}

/// Where and as whom to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsTarget {
    /// The region; default AWS_REGION, then AWS_DEFAULT_REGION.
    pub region: Option<String>,
    /// An endpoint URL for an AWS-compatible server (SDK default: AWS itself).
    pub endpoint: Option<String>,
    /// A named profile from ~/.aws/config and ~/.aws/credentials.
    pub profile: Option<String>,
}

impl AwsTarget {
    /// The SDK configuration for reaching `service` (named in the error when no region is known).
    pub async fn sdk_config(&self, service: &str) -> Result<SdkConfig, NoRegion> {
        let region = self
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .ok_or_else(|| NoRegion {
                service: service.to_owned(),
            })?;
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_timeout(Duration::from_secs(60))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(timeouts);
        if let Some(endpoint) = &self.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        Ok(loader.load().await)
    }

    /// Where this target points, for messages: `at ENDPOINT`, `in REGION` or nothing.
    pub fn describe(&self) -> String {
        match (&self.endpoint, &self.region) {
            (Some(e), _) => format!(" at {e}"),
            (None, Some(r)) => format!(" in {r}"),
            (None, None) => String::new(),
        }
    }
}
