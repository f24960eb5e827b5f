//! `response_json`: body as text or base64, header shapes, cookies.

use super::pairs;
use crate::*;
use serde_json::{Value, json};

/// `response_json` parsed back, for comparison as a value.
fn response(version: PayloadVersion, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let response = GatewayResponse {
        status,
        headers: pairs(headers),
        body: body.to_vec(),
    };
    serde_json::from_str(&response_json(version, &response)).unwrap()
}

#[test]
fn text_body_is_sent_as_text() {
    let ct = "text/plain; charset=utf-8";
    let out = response(
        PayloadVersion::V1,
        200,
        &[("Content-Type", ct)],
        "héllo".as_bytes(),
    );
    let expected = json!({
        "statusCode": 200,
        "headers": {"content-type": ct},
        "multiValueHeaders": {"content-type": [ct]},
        "body": "héllo",
        "isBase64Encoded": false,
    });
    assert_eq!(out, expected);
}

#[test]
fn json_body_is_sent_as_text_and_v2_has_cookies() {
    let out = response(
        PayloadVersion::V2,
        201,
        &[("content-type", "application/json")],
        b"{}",
    );
    let expected = json!({
        "statusCode": 201,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "body": "{}",
        "isBase64Encoded": false,
        "cookies": [],
    });
    assert_eq!(out, expected);
}

#[test]
fn textual_content_types_and_missing_ones() {
    let text = |ct: Option<&str>, body: &[u8]| {
        let headers: Vec<(&str, &str)> = ct.map(|c| ("Content-Type", c)).into_iter().collect();
        let out = response(PayloadVersion::V1, 200, &headers, body);
        out["isBase64Encoded"] == json!(false)
    };
    for ct in [
        "text/html",
        "TEXT/CSV; charset=utf-8",
        "application/edn",
        "application/xml",
        "application/javascript",
        "application/vnd.api+json",
        "application/atom+xml; charset=utf-8",
    ] {
        assert!(text(Some(ct), b"ok"), "{ct}");
    }
    assert!(text(None, b"ok"));
    assert!(!text(None, b"\xff"));
    assert!(!text(Some("application/octet-stream"), b"ok"));
    assert!(!text(Some("text/plain"), b"\xc3"));
}

#[test]
fn binary_body_is_sent_as_base64() {
    let body = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff";
    for version in [PayloadVersion::V1, PayloadVersion::V2] {
        let out = response(version, 200, &[("Content-Type", "image/png")], body);
        assert_eq!(out["body"], json!("iVBORw0KGgoAAAANSUhEUv8="));
        assert_eq!(out["isBase64Encoded"], json!(true));
    }
}

#[test]
fn repeated_headers_are_comma_joined_and_listed() {
    let headers = [("Vary", "Accept"), ("X-Id", "7"), ("vary", "Origin")];
    for version in [PayloadVersion::V1, PayloadVersion::V2] {
        let out = response(version, 404, &headers, b"");
        assert_eq!(out["statusCode"], json!(404));
        assert_eq!(
            out["headers"],
            json!({"vary": "Accept, Origin", "x-id": "7"})
        );
        assert_eq!(
            out["multiValueHeaders"],
            json!({"vary": ["Accept", "Origin"], "x-id": ["7"]})
        );
        assert_eq!(
            (&out["body"], &out["isBase64Encoded"]),
            (&json!(""), &json!(false))
        );
    }
}

#[test]
fn set_cookie_in_v1_keeps_every_value_in_multi_value_headers() {
    let headers = [
        ("Set-Cookie", "a=1; Path=/"),
        ("set-cookie", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"),
    ];
    let out = response(PayloadVersion::V1, 200, &headers, b"");
    let expected = json!({
        "statusCode": 200,
        "headers": {"set-cookie": headers[1].1},
        "multiValueHeaders": {"set-cookie": [headers[0].1, headers[1].1]},
        "body": "",
        "isBase64Encoded": false,
    });
    assert_eq!(out, expected);
}

#[test]
fn set_cookie_in_v2_becomes_cookies() {
    let headers = [
        ("Set-Cookie", "a=1"),
        ("Content-Type", "text/plain"),
        ("set-cookie", "b=2"),
    ];
    let out = response(PayloadVersion::V2, 302, &headers, b"moved");
    let expected = json!({
        "statusCode": 302,
        "headers": {"content-type": "text/plain"},
        "multiValueHeaders": {"set-cookie": ["a=1", "b=2"], "content-type": ["text/plain"]},
        "body": "moved",
        "isBase64Encoded": false,
        "cookies": ["a=1", "b=2"],
    });
    assert_eq!(out, expected);
}
