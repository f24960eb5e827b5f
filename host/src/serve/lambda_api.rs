//! The AWS Lambda Invoke API, wire-compatible with AWS so the AWS CLI and SDKs work:
//! `POST /2015-03-31/functions/{FunctionName}/invocations`, invocation types
//! `RequestResponse`, `Event` (202, runs in the background) and `DryRun` (204), function
//! errors as `X-Amz-Function-Error: Unhandled`, `X-Amz-Log-Type: Tail`, and AWS's error
//! shapes (`x-amzn-ErrorType`) for unknown functions, throttling and bad requests.

use super::Node;
use super::body::{Body, ReadError, full, respond};
use super::sigv4::{self, Credentials};
use crate::anomaly::{Category, IonError};
use crate::runtime::{CallResult, LambdaPermit, function_arn};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, Request, Response};
use std::sync::Arc;
use std::time::Instant;

/// AWS's limit on a synchronous invocation's request and response payloads.
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024;
/// AWS's limit on an asynchronous invocation's payload.
pub const MAX_EVENT_PAYLOAD: usize = 256 * 1024;
/// The most that accepted, unfinished `Event` invocations may hold on one node, in bytes:
/// each counts its payload, and at least `EVENT_OVERHEAD` for its task and context.
pub const EVENT_QUEUE_BYTES: usize = 64 << 20;
/// What an `Event` invocation counts against `EVENT_QUEUE_BYTES` at the least.
const EVENT_OVERHEAD: usize = 4096;
/// How much of a call's log `X-Amz-Log-Type: Tail` returns.
const TAIL_BYTES: usize = 4096;

/// Serves one Lambda API request; with `credentials`, only requests they signed (SigV4).
pub async fn handle(
    node: Arc<Node>,
    credentials: Option<Arc<Credentials>>,
    req: Request<Incoming>,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("request_id", request_id.as_str());
    let (parts, body) = req.into_parts();
    let mut response = match signed_body(credentials.as_deref(), &parts, body).await {
        Err(refused) => refused,
        Ok(body) => match invoke(node, parts, body, &request_id).await {
            Ok(r) => r,
            Err(e) => e.response(),
        },
    };
    if let Ok(v) = request_id.parse() {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

/// A service-level error, in AWS's shape.
struct ApiError {
    status: u16,
    error_type: &'static str,
    message: String,
    reason: Option<&'static str>,
}

impl ApiError {
    fn new(status: u16, error_type: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error_type,
            message: message.into(),
            reason: None,
        }
    }

    fn response(self) -> Response<Body> {
        let mut body = serde_json::json!({"Type": "User", "message": self.message});
        if let Some(reason) = self.reason {
            body["Reason"] = reason.into();
        }
        let mut r = respond(self.status, "application/json", body.to_string());
        r.headers_mut().insert(
            "x-amzn-errortype",
            self.error_type.parse().expect("error types are ASCII"),
        );
        r
    }
}

/// The request's body, read whole once the signature's header is checked, then checked
/// against the signature: an unsigned request is refused before its body is read.
async fn signed_body(
    credentials: Option<&Credentials>,
    parts: &Parts,
    body: Incoming,
) -> Result<Bytes, Response<Body>> {
    let refuse = |d: sigv4::Denied| {
        tracing::info!(error_type = d.error_type, message = %d.message, "Lambda API request refused");
        d.response()
    };
    let auth = match credentials {
        Some(c) => Some(
            sigv4::authorize(c, &parts.headers, std::time::SystemTime::now()).map_err(refuse)?,
        ),
        None => None,
    };
    let body = super::listener::read_body(body, &parts.extensions, MAX_PAYLOAD)
        .await
        .map_err(|e| payload_error(e, MAX_PAYLOAD).response())?;
    if let Some(auth) = auth {
        auth.verify(&parts.method, &parts.uri, &parts.headers, &body)
            .map_err(refuse)?;
    }
    Ok(body)
}

async fn invoke(
    node: Arc<Node>,
    req: Parts,
    body: Bytes,
    request_id: &str,
) -> Result<Response<Body>, ApiError> {
    let path = req.uri.path().to_owned();
    let Some(function) = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|p| p.strip_suffix("/invocations"))
    else {
        return Err(ApiError::new(
            404,
            "UnknownOperationException",
            format!("no Lambda API operation at {} {path}", req.method),
        ));
    };
    if req.method != Method::POST {
        return Err(ApiError::new(
            405,
            "UnknownOperationException",
            format!("Invoke is POST, not {}", req.method),
        ));
    }
    let function = percent_decode(function);
    let qualifier = req
        .uri
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("Qualifier=")))
        .map(percent_decode);
    let (function_name, arn_qualifier) = function_name(&function);
    let arn = function_arn(function_name);
    let Some(slot) = node.current() else {
        return Err(ApiError::new(
            404,
            "ResourceNotFoundException",
            format!(
                "Function not found: {arn} (no revision is deployed to compute group {} yet)",
                node.group
            ),
        ));
    };
    let lambda = slot
        .app
        .config()
        .lambda_by_function_name(&node.group, function_name)
        .cloned();
    let qualifier_ok = matches!(
        qualifier.as_deref().or(arn_qualifier),
        None | Some("$LATEST")
    );
    let (Some(lambda), true) = (lambda, qualifier_ok) else {
        return Err(ApiError::new(
            404,
            "ResourceNotFoundException",
            format!("Function not found: {arn}"),
        ));
    };
    tracing::Span::current().record("ion", lambda.fn_name.as_str());
    let header = |name: &str| {
        req.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let invocation_type =
        header("x-amz-invocation-type").unwrap_or_else(|| "RequestResponse".into());
    let tail = header("x-amz-log-type").is_some_and(|t| t == "Tail");
    let client_context = match header("x-amz-client-context") {
        None => None,
        Some(b64) => Some(client_context(&b64)?),
    };
    let limit = if invocation_type == "Event" {
        MAX_EVENT_PAYLOAD
    } else {
        MAX_PAYLOAD
    };
    let payload = read_payload(body, limit)?;

    match invocation_type.as_str() {
        "DryRun" => Ok(respond(204, "application/json", "")),
        "Event" => {
            let charge = payload.len().max(EVENT_OVERHEAD) as u32;
            let queued = node
                .event_queue
                .clone()
                .try_acquire_many_owned(charge)
                .map_err(|_| {
                    crate::metrics::metrics().throttled("lambda-api");
                    ApiError {
                        status: 429,
                        error_type: "TooManyRequestsException",
                        message: format!(
                            "Rate Exceeded. The node's asynchronous invocations already hold their limit of {} MiB; retry later",
                            EVENT_QUEUE_BYTES >> 20
                        ),
                        reason: None,
                    }
                })?;
            let (node2, name, fn_name, rid, input) = (
                node.clone(),
                lambda.name.clone(),
                lambda.fn_name.clone(),
                request_id.to_owned(),
                payload,
            );
            let context = slot
                .app
                .lambda_context(&node.group, &lambda, request_id, client_context);
            node.background.spawn(async move {
                let _queued = queued;
                let Some(slot) = node2.current() else {
                    tracing::warn!(request_id = rid, lambda = name, "asynchronous invocation dropped: the node serves no revision now");
                    return;
                };
                let outcome = match slot.app.acquire_lambda(&name).await {
                    Ok(permit) => slot.app.call_lambda_with(permit, &input, context).await.result.map(|_| ()),
                    Err(e) => Err(e),
                };
                if let Err(e) = outcome {
                    tracing::warn!(request_id = rid, lambda = name, ion = %fn_name, error = %e, "asynchronous invocation failed");
                }
            });
            Ok(respond(202, "application/json", ""))
        }
        "RequestResponse" => {
            let permit: LambdaPermit =
                slot.app
                    .try_acquire_lambda(&lambda.name)
                    .map_err(|e| match e.category {
                        Category::Busy => {
                            crate::metrics::metrics().throttled("lambda-api");
                            ApiError {
                                status: 429,
                                error_type: "TooManyRequestsException",
                                message: format!("Rate Exceeded. {}", e.message),
                                reason: Some("ReservedFunctionConcurrentInvocationLimitExceeded"),
                            }
                        }
                        _ => ApiError::new(
                            404,
                            "ResourceNotFoundException",
                            format!("Function not found: {arn}"),
                        ),
                    })?;
            let context = slot
                .app
                .lambda_context(&node.group, &lambda, request_id, client_context);
            let started = Instant::now();
            let call = slot.app.call_lambda_with(permit, &payload, context).await;
            let tail = tail.then(|| tail_log(&call, started, slot.app.memory_limit_mib()));
            Ok(result_response(call, tail, lambda.fn_name.as_str()))
        }
        other => Err(ApiError::new(
            400,
            "InvalidParameterValueException",
            format!("X-Amz-Invocation-Type is {other}; expected RequestResponse, Event or DryRun"),
        )),
    }
}

/// The function name and qualifier in a name, a full ARN or a partial ARN.
fn function_name(function: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = function.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name] => (name, None),
        ["arn", _, "lambda", _, _, "function", name, q] => (name, Some(q)),
        [_, "function", name] => (name, None),
        [_, "function", name, q] => (name, Some(q)),
        [name, q] => (name, Some(q)),
        _ => (function, None),
    }
}

fn client_context(b64: &str) -> Result<String, ApiError> {
    let bad = |why: String| {
        ApiError::new(
            400,
            "InvalidRequestContentException",
            format!("X-Amz-Client-Context {why}"),
        )
    };
    let bytes = BASE64
        .decode(b64.trim())
        .map_err(|e| bad(format!("is not base64: {e}")))?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("is not base64 of JSON: {e}")))?;
    Ok(ion_edn::print(&ion_edn::json_to_edn(&json)))
}

fn payload_error(e: ReadError, limit: usize) -> ApiError {
    match e {
        ReadError::TooLarge => ApiError::new(
            413,
            "RequestTooLargeException",
            format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
        ),
        ReadError::Failed(e) => ApiError::new(
            400,
            "InvalidRequestContentException",
            format!("reading the payload failed: {e}"),
        ),
    }
}

fn read_payload(bytes: Bytes, limit: usize) -> Result<String, ApiError> {
    if bytes.len() > limit {
        return Err(payload_error(ReadError::TooLarge, limit));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok("{}".into());
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::new(
            400,
            "InvalidRequestContentException",
            "Could not parse request body into json: it is not UTF-8",
        )
    })?;
    serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|e| {
        ApiError::new(
            400,
            "InvalidRequestContentException",
            format!("Could not parse request body into json: {e}"),
        )
    })?;
    Ok(text)
}

/// The synchronous invocation's response: the payload, or a function error.
fn result_response(call: CallResult<Vec<u8>>, tail: Option<String>, ion: &str) -> Response<Body> {
    let (payload, function_error) = match call.result {
        Ok(bytes) if bytes.len() <= MAX_PAYLOAD => (bytes, false),
        Ok(bytes) => (
            error_payload(
                "Function.ResponseSizeTooLarge",
                &format!(
                    "Response payload size ({} bytes) exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).",
                    bytes.len()
                ),
                &call.request_id,
                None,
            ),
            true,
        ),
        Err(e) => {
            tracing::warn!(request_id = call.request_id, ion, error = %e, "lambda failed");
            (
                error_payload(&error_type(&e), &e.message, &call.request_id, Some(&e)),
                true,
            )
        }
    };
    let mut builder = Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("x-amz-executed-version", "$LATEST");
    if function_error {
        builder = builder.header("x-amz-function-error", "Unhandled");
    }
    if let Some(tail) = tail {
        builder = builder.header("x-amz-log-result", BASE64.encode(tail));
    }
    builder.body(full(payload)).expect("headers are valid")
}

fn error_type(e: &IonError) -> String {
    match e.category {
        Category::Interrupted => "Sandbox.Timedout".into(),
        c => format!("cognitect.anomalies/{}", c.name()),
    }
}

fn error_payload(
    error_type: &str,
    message: &str,
    request_id: &str,
    e: Option<&IonError>,
) -> Vec<u8> {
    let mut body = serde_json::json!({
        "errorMessage": message,
        "errorType": error_type,
        "stackTrace": [],
        "requestId": request_id,
    });
    if let Some(e) = e {
        body["anomaly"] = serde_json::Value::String(e.to_edn());
    }
    body.to_string().into_bytes()
}

/// The last 4 KB of the call's log, framed as AWS frames a Lambda's log.
fn tail_log(call: &CallResult<Vec<u8>>, started: Instant, memory_mib: u32) -> String {
    let id = &call.request_id;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut log = format!(
        "START RequestId: {id} Version: $LATEST\n{}",
        call.log.text()
    );
    if !log.ends_with('\n') {
        log.push('\n');
    }
    if let Err(e) = &call.result {
        log.push_str(&format!("{e}\n"));
    }
    log.push_str(&format!(
        "END RequestId: {id}\nREPORT RequestId: {id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {memory_mib} MB\n",
        ms.ceil() as u64
    ));
    let mut start = log.len().saturating_sub(TAIL_BYTES);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    log[start..].to_owned()
}

fn percent_decode(s: &str) -> String {
    super::sigv4::decode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_from_names_and_arns() {
        assert_eq!(function_name("g-echo"), ("g-echo", None));
        assert_eq!(function_name("g-echo:$LATEST"), ("g-echo", Some("$LATEST")));
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:g-echo"),
            ("g-echo", None)
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:g-echo:7"),
            ("g-echo", Some("7"))
        );
        assert_eq!(
            function_name("123456789012:function:g-echo"),
            ("g-echo", None)
        );
        assert_eq!(percent_decode("arn%3Aaws%3Alambda"), "arn:aws:lambda");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
