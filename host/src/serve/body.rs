//! Response bodies and the small response builders every listener uses.

use crate::anomaly::IonError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::Response;

/// The error type of response bodies.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// Every response body the node sends.
pub type Body = UnsyncBoxBody<Bytes, BodyError>;

/// Why a request body could not be read whole.
pub enum ReadError {
    /// It is longer than the limit.
    TooLarge,
    /// The connection failed while reading it.
    Failed(String),
}

/// Reads a request body of at most `limit` bytes.
pub async fn read_limited(body: hyper::body::Incoming, limit: usize) -> Result<Bytes, ReadError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ReadError::TooLarge)
        }
        Err(e) => Err(ReadError::Failed(e.to_string())),
    }
}

/// A body of `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with `status`, `content-type` and `body`.
pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(full(body))
        .expect("status and content-type are valid")
}

/// An anomaly as an EDN response, with the request id.
pub fn anomaly(e: &IonError, request_id: &str) -> Response<Body> {
    let edn = e.to_edn_with(&[("ion/request-id", ion_edn::string(request_id))]);
    let mut r = respond(e.category.http_status(), "application/edn", edn);
    if let Ok(v) = request_id.parse() {
        r.headers_mut().insert("x-request-id", v);
    }
    r
}
