//! The Lambda context a lambda ion receives, as the reference's `:context` map.

use crate::__private::bindings::exports::ion::host::lambda as wit;
use crate::Edn;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The AWS Lambda context of one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The request id, also returned to the caller.
    pub aws_request_id: String,
    /// `{group}-{name}`.
    pub function_name: String,
    /// `$LATEST` or the revision served.
    pub function_version: String,
    /// The ARN invoked.
    pub invoked_function_arn: String,
    /// Where the call's logs go.
    pub log_group_name: String,
    /// The node's log stream.
    pub log_stream_name: String,
    /// The instance's memory limit in MiB.
    pub memory_limit_in_mb: u32,
    /// The deadline, in milliseconds since the Unix epoch.
    pub deadline_ms: u64,
    /// The caller's Cognito identity, if sent.
    pub identity: Option<Edn>,
    /// The caller's client context, if sent.
    pub client_context: Option<Edn>,
}

impl Context {
    pub(crate) fn from_wit(c: wit::Context) -> Context {
        let parse = |t: Option<String>| t.and_then(|t| ion_edn::read(&t).ok());
        Context {
            aws_request_id: c.aws_request_id,
            function_name: c.function_name,
            function_version: c.function_version,
            invoked_function_arn: c.invoked_function_arn,
            log_group_name: c.log_group_name,
            log_stream_name: c.log_stream_name,
            memory_limit_in_mb: c.memory_limit_in_mb,
            deadline_ms: c.deadline_ms,
            identity: parse(c.identity),
            client_context: parse(c.client_context),
        }
    }

    /// Milliseconds left before the call's deadline.
    pub fn remaining_time_in_millis(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.deadline_ms.saturating_sub(now)
    }

    /// The context as the reference's map with keyword keys: `{:awsRequestId "…"
    /// :functionName "…" :remainingTimeInMillis n …}`.
    pub fn to_edn(&self) -> Edn {
        let s = |v: &str| ion_edn::string(v);
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: Edn| {
            m.insert(ion_edn::keyword(k), v);
        };
        put("awsRequestId", s(&self.aws_request_id));
        put("functionName", s(&self.function_name));
        put("functionVersion", s(&self.function_version));
        put("invokedFunctionArn", s(&self.invoked_function_arn));
        put("logGroupName", s(&self.log_group_name));
        put("logStreamName", s(&self.log_stream_name));
        put("memoryLimitInMB", Edn::Int(self.memory_limit_in_mb.into()));
        put(
            "remainingTimeInMillis",
            Edn::Int(self.remaining_time_in_millis() as i64),
        );
        put("identity", self.identity.clone().unwrap_or(Edn::Nil));
        put(
            "clientContext",
            self.client_context.clone().unwrap_or(Edn::Nil),
        );
        Edn::Map(m)
    }
}
