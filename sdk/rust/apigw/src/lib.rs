//! AWS API Gateway Lambda proxy events for Ion Host: the one place that turns a proxy
//! event (REST API, HTTP API payload 1.0 or 2.0) into a neutral HTTP request, and a neutral
//! HTTP response back into the proxy response JSON. Shared by the host and by the Rust SDK
//! inside guests, so both sides read and answer events alike.
//!
//! Pure data conversion: it knows nothing of hosts, wasm or sockets, does no I/O, and
//! never panics on bad input (a malformed event is an [`EventError`] naming the field).
//!
//! JSON objects carry no order that survives parsing, so request headers (and the query
//! parameters of payload 1.0) come out sorted by name; the values of one name keep the
//! event's order.

mod request;
mod response;

use std::fmt;

pub use request::parse_event;
pub use response::response_json;

/// An HTTP request read from an API Gateway proxy event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRequest {
    /// The HTTP verb in lower case: `get`, `post`.
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    /// The raw query string without `?`, percent-encoded as it would arrive on the wire.
    pub query_string: Option<String>,
    /// Headers, names lower case and sorted; a repeated header appears once per value, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes (decoded when the event says `isBase64Encoded`).
    pub body: Option<Vec<u8>>,
    /// The protocol, e.g. `HTTP/1.1`.
    pub protocol: String,
    /// The caller's address, `""` when the event has none.
    pub remote_addr: String,
    /// `https`, or `http` when `X-Forwarded-Proto` says so.
    pub scheme: String,
    /// The host name: the `Host` header without its port, else the API's domain name.
    pub server_name: String,
    /// The port from `X-Forwarded-Port`, when present and numeric.
    pub server_port: Option<u16>,
    /// The event JSON text, unchanged.
    pub json: String,
    /// The event as EDN text, keys as keywords.
    pub data: String,
    /// Which payload format the event has (and the response must have).
    pub version: PayloadVersion,
}

/// The payload format of a proxy event, which decides the response format too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadVersion {
    /// REST API proxy events and HTTP API payload format 1.0.
    V1,
    /// HTTP API payload format 2.0.
    V2,
}

/// A neutral HTTP response, to be written as proxy response JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GatewayResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Headers; a name may repeat (e.g. several `set-cookie`).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// Why a text is not an API Gateway proxy event this crate can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// What is wrong, naming the field and what was expected.
    pub message: String,
}

impl EventError {
    /// An error with `message` prefixed by `API Gateway event: `.
    fn new(message: impl fmt::Display) -> Self {
        EventError {
            message: format!("API Gateway event: {message}"),
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EventError {}

#[cfg(test)]
mod tests;
