//! Reading a proxy event: payload detection, the per-version field layout, and the parts
//! both versions share (headers, scheme, host, port, body, EDN data).

use crate::{EventError, GatewayRequest, PayloadVersion};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use std::fmt::Write as _;

type Object = Map<String, Value>;

/// Standard base64, padded or not: what API Gateway sends, and what hand-made events use.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What a method field must hold.
const METHOD: &str = "a string such as \"GET\"";
/// What a path field must hold.
const PATH: &str = "a string such as \"/my/path\"";

/// Reads an API Gateway proxy event (REST API, or HTTP API payload 1.0 or 2.0) as a request.
pub fn parse_event(event_json: &str) -> Result<GatewayRequest, EventError> {
    let event: Value = serde_json::from_str(event_json).map_err(|e| {
        EventError::new(format_args!(
            "the text is not JSON ({e}); expected a proxy event object"
        ))
    })?;
    let Value::Object(obj) = &event else {
        return Err(EventError::new(format_args!(
            "the event is {}; expected a JSON object",
            describe(&event)
        )));
    };
    let version = detect(obj)?;
    let parts = match version {
        PayloadVersion::V1 => v1(obj)?,
        PayloadVersion::V2 => v2(obj)?,
    };
    let mut headers = parts.headers;
    for (name, _) in &mut headers {
        name.make_ascii_lowercase();
    }
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let scheme = match header("x-forwarded-proto").map(first_item) {
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ => "https",
    };
    let server_name = match header("host").map(strip_port) {
        Some(host) if !host.is_empty() => host,
        _ => parts.domain_name.unwrap_or_default(),
    };
    let server_port = header("x-forwarded-port")
        .map(first_item)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse::<u16>().ok());
    Ok(GatewayRequest {
        method: parts.method.to_ascii_lowercase(),
        path: parts.path.to_owned(),
        query_string: parts.query_string,
        scheme: scheme.to_owned(),
        server_name: server_name.to_owned(),
        server_port,
        headers,
        body: body(obj)?,
        protocol: parts.protocol.unwrap_or("HTTP/1.1").to_owned(),
        remote_addr: parts.remote_addr.unwrap_or_default().to_owned(),
        json: event_json.to_owned(),
        data: ion_edn::print(&ion_edn::json_to_edn(&event)),
        version,
    })
}

/// The fields whose place differs between payload versions.
struct Parts<'a> {
    method: &'a str,
    path: &'a str,
    query_string: Option<String>,
    headers: Vec<(String, String)>,
    protocol: Option<&'a str>,
    remote_addr: Option<&'a str>,
    domain_name: Option<&'a str>,
}

/// Tells payload 2.0 (`"version": "2.0"`) from 1.0 (`httpMethod`, with or without
/// `"version": "1.0"`).
fn detect(obj: &Object) -> Result<PayloadVersion, EventError> {
    match present(obj, "version") {
        Some(Value::String(v)) if v == "2.0" => Ok(PayloadVersion::V2),
        Some(Value::String(v)) if v == "1.0" => Ok(PayloadVersion::V1),
        Some(other) => Err(EventError::new(format_args!(
            "`version` is {}; expected \"1.0\" or \"2.0\"",
            describe(other)
        ))),
        None if obj.contains_key("httpMethod") => Ok(PayloadVersion::V1),
        None => Err(EventError::new(
            "neither `httpMethod` nor `version` is present; expected a REST API proxy event \
             or an HTTP API event of payload format 1.0 or 2.0",
        )),
    }
}

/// REST API proxy events and HTTP API payload 1.0.
fn v1(obj: &Object) -> Result<Parts<'_>, EventError> {
    let method = check_method(
        required_str(obj, "httpMethod", "httpMethod", METHOD)?,
        "httpMethod",
    )?;
    let path = required_str(obj, "path", "path", PATH)?;
    let headers = pairs_of(obj, "multiValueHeaders", "headers")?;
    let mut params = pairs_of(
        obj,
        "multiValueQueryStringParameters",
        "queryStringParameters",
    )?;
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let ctx = optional_obj(obj, "requestContext", "requestContext")?;
    let identity = match ctx {
        Some(ctx) => optional_obj(ctx, "identity", "requestContext.identity")?,
        None => None,
    };
    Ok(Parts {
        method,
        path,
        query_string: query_string(&params),
        headers,
        protocol: optional_in(ctx, "protocol", "requestContext.protocol")?,
        remote_addr: optional_in(identity, "sourceIp", "requestContext.identity.sourceIp")?,
        domain_name: optional_in(ctx, "domainName", "requestContext.domainName")?,
    })
}

/// HTTP API payload 2.0.
fn v2(obj: &Object) -> Result<Parts<'_>, EventError> {
    let ctx = required_obj(obj, "requestContext", "requestContext")?;
    let http = required_obj(ctx, "http", "requestContext.http")?;
    let method = required_str(http, "method", "requestContext.http.method", METHOD)?;
    let method = check_method(method, "requestContext.http.method")?;
    let path = required_str(obj, "rawPath", "rawPath", PATH)?;
    let query_string = optional_str(obj, "rawQueryString", "rawQueryString")?
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    let mut headers = match optional_obj(obj, "headers", "headers")? {
        Some(single) => single_values(single, "headers")?,
        None => Vec::new(),
    };
    if let Some(cookies) = present(obj, "cookies") {
        let cookies = strings(cookies, "cookies")?;
        if !cookies.is_empty() {
            headers.push(("cookie".to_owned(), cookies.join("; ")));
        }
    }
    Ok(Parts {
        method,
        path,
        query_string,
        headers,
        protocol: optional_str(http, "protocol", "requestContext.http.protocol")?,
        remote_addr: optional_str(http, "sourceIp", "requestContext.http.sourceIp")?,
        domain_name: optional_str(ctx, "domainName", "requestContext.domainName")?,
    })
}

/// The body, base64-decoded when `isBase64Encoded` is true. Absent or `null` is no body.
fn body(obj: &Object) -> Result<Option<Vec<u8>>, EventError> {
    let encoded = match present(obj, "isBase64Encoded") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(EventError::new(format_args!(
                "`isBase64Encoded` is {}; expected true or false",
                describe(other)
            )));
        }
    };
    let Some(text) = optional_str(obj, "body", "body")? else {
        return Ok(None);
    };
    if !encoded {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    BASE64.decode(text).map(Some).map_err(|_| {
        EventError::new(
            "`body` is not valid base64 although `isBase64Encoded` is true; \
             expected standard base64 text",
        )
    })
}

/// Checks that `value` is an HTTP method token.
fn check_method<'a>(value: &'a str, path: &str) -> Result<&'a str, EventError> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if !value.is_empty() && value.bytes().all(token) {
        Ok(value)
    } else {
        Err(mismatch(path, &Value::String(value.to_owned()), METHOD))
    }
}

/// Name-value pairs from the multi-value object `multi` when it is present and not empty,
/// else from the single-value object `single` (payload 1.0 carries both).
fn pairs_of(obj: &Object, multi: &str, single: &str) -> Result<Vec<(String, String)>, EventError> {
    if let Some(map) = optional_obj(obj, multi, multi)?.filter(|m| !m.is_empty()) {
        return multi_values(map, multi);
    }
    match optional_obj(obj, single, single)? {
        Some(map) => single_values(map, single),
        None => Ok(Vec::new()),
    }
}

/// `{name: [value, …]}` as pairs; `path` names the object in errors.
fn multi_values(map: &Object, path: &str) -> Result<Vec<(String, String)>, EventError> {
    let mut pairs = Vec::new();
    for (name, values) in map {
        for value in strings(values, &format!("{path}.{name}"))? {
            pairs.push((name.clone(), value.to_owned()));
        }
    }
    Ok(pairs)
}

/// `{name: value}` as pairs; `path` names the object in errors.
fn single_values(map: &Object, path: &str) -> Result<Vec<(String, String)>, EventError> {
    map.iter()
        .map(|(name, value)| match value {
            Value::String(s) => Ok((name.clone(), s.clone())),
            other => Err(mismatch(&format!("{path}.{name}"), other, "a string")),
        })
        .collect()
}

/// An array of strings.
fn strings<'a>(value: &'a Value, path: &str) -> Result<Vec<&'a str>, EventError> {
    let Value::Array(items) = value else {
        return Err(mismatch(path, value, "an array of strings"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.as_str()),
            other => Err(mismatch(&format!("{path}[{i}]"), other, "a string")),
        })
        .collect()
}

/// A raw query string from decoded parameters, every byte outside RFC 3986's unreserved
/// set percent-encoded; `None` when there are none.
fn query_string(params: &[(String, String)]) -> Option<String> {
    let mut out = String::new();
    for (name, value) in params {
        if !out.is_empty() {
            out.push('&');
        }
        percent_encode(name, &mut out);
        out.push('=');
        percent_encode(value, &mut out);
    }
    (!out.is_empty()).then_some(out)
}

/// Appends `text` to `out`, percent-encoding all but `A-Z a-z 0-9 - . _ ~`.
fn percent_encode(text: &str, out: &mut String) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// The first item of a comma-separated header value, trimmed.
fn first_item(value: &str) -> &str {
    value.split(',').next().unwrap_or_default().trim()
}

/// A `Host` header value without its port (`example.com:8443` → `example.com`).
fn strip_port(host: &str) -> &str {
    let host = host.trim();
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// `obj[key]` unless absent or `null`.
fn present<'a>(obj: &'a Object, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// A string field that must be there.
fn required_str<'a>(
    obj: &'a Object,
    key: &str,
    path: &str,
    expected: &str,
) -> Result<&'a str, EventError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(mismatch(path, other, expected)),
        None => Err(missing(path, expected)),
    }
}

/// An object field that must be there.
fn required_obj<'a>(obj: &'a Object, key: &str, path: &str) -> Result<&'a Object, EventError> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(other) => Err(mismatch(path, other, "an object")),
        None => Err(missing(path, "an object")),
    }
}

/// A string field that may be absent or `null`.
fn optional_str<'a>(obj: &'a Object, key: &str, path: &str) -> Result<Option<&'a str>, EventError> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(mismatch(path, other, "a string")),
    }
}

/// [`optional_str`] inside an object that may itself be absent.
fn optional_in<'a>(
    obj: Option<&'a Object>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, EventError> {
    obj.map_or(Ok(None), |o| optional_str(o, key, path))
}

/// An object field that may be absent or `null`.
fn optional_obj<'a>(
    obj: &'a Object,
    key: &str,
    path: &str,
) -> Result<Option<&'a Object>, EventError> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(mismatch(path, other, "an object")),
    }
}

/// `` `path` is missing; expected … ``
fn missing(path: &str, expected: &str) -> EventError {
    EventError::new(format_args!("`{path}` is missing; expected {expected}"))
}

/// `` `path` is <value>; expected … ``
fn mismatch(path: &str, value: &Value, expected: &str) -> EventError {
    EventError::new(format_args!(
        "`{path}` is {}; expected {expected}",
        describe(value)
    ))
}

/// A short rendering of a JSON value for messages: scalars as JSON, containers by kind.
fn describe(value: &Value) -> String {
    match value {
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        Value::String(s) if s.chars().count() > 40 => {
            let head: String = s.chars().take(40).collect();
            format!("{}…", Value::String(head))
        }
        scalar => scalar.to_string(),
    }
}
