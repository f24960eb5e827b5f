//! Writing a proxy response: headers in both the single- and multi-value shapes, cookies
//! for payload 2.0, and the body as text or base64.

use crate::{GatewayResponse, PayloadVersion};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// Writes `response` as the proxy response JSON API Gateway expects for `version`.
///
/// Header names are lower-cased. `headers` holds one value per name (repeated names
/// comma-joined, except `set-cookie`, which keeps its last value under payload 1.0 and is
/// left out under 2.0); `multiValueHeaders` holds every value; payload 2.0 also gets
/// `cookies`, the `set-cookie` values. The body is text when it is UTF-8 and its content
/// type is textual (or absent), else base64 with `isBase64Encoded` true.
pub fn response_json(version: PayloadVersion, response: &GatewayResponse) -> String {
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in &response.headers {
        let name = name.to_ascii_lowercase();
        let value = Value::String(value.clone());
        match multi.get_mut(&name) {
            Some(Value::Array(values)) => values.push(value),
            _ => {
                multi.insert(name, Value::Array(vec![value]));
            }
        }
    }
    let mut single = Map::new();
    let mut cookies = Vec::new();
    for (name, values) in &multi {
        let values: Vec<&str> = values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let joined = if name == "set-cookie" {
            cookies.extend(values.iter().map(|v| Value::String((*v).to_owned())));
            match version {
                PayloadVersion::V1 => values.last().map(|v| (*v).to_owned()),
                PayloadVersion::V2 => None,
            }
        } else {
            Some(values.join(", "))
        };
        if let Some(joined) = joined {
            single.insert(name.clone(), Value::String(joined));
        }
    }
    let content_type = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.as_str());
    let (body, base64) = match std::str::from_utf8(&response.body) {
        Ok(text) if content_type.is_none_or(is_textual) => (text.to_owned(), false),
        _ => (STANDARD.encode(&response.body), true),
    };
    let mut out = json!({
        "statusCode": response.status,
        "headers": single,
        "multiValueHeaders": multi,
        "body": body,
        "isBase64Encoded": base64,
    });
    if version == PayloadVersion::V2 {
        out["cookies"] = Value::Array(cookies);
    }
    out.to_string()
}

/// Whether a `Content-Type` value names text: `text/*`, JSON, EDN, XML, JavaScript, or a
/// `+json` / `+xml` suffix.
fn is_textual(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json" | "application/edn" | "application/xml" | "application/javascript"
        )
        || media.ends_with("+json")
        || media.ends_with("+xml")
}
