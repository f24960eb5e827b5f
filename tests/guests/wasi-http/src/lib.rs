//! A plain wasi:http/proxy component: answers `METHOD PATH?QUERY body=N x-test=V`, reading
//! the whole request body from its stream; `/calls` answers how many requests this
//! instance has served (a module-level counter, for instance reuse).

use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};

struct Echo;

static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Guest for Echo {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let method = match request.method() {
            Method::Get => "GET".to_owned(),
            Method::Post => "POST".to_owned(),
            Method::Put => "PUT".to_owned(),
            Method::Delete => "DELETE".to_owned(),
            Method::Patch => "PATCH".to_owned(),
            Method::Other(other) => other,
            other => format!("{other:?}").to_uppercase(),
        };
        let path = request.path_with_query().unwrap_or_default();
        let x_test = request.headers().get("x-test").first().map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default();
        let mut length = 0usize;
        if let Ok(body) = request.consume() {
            if let Ok(stream) = body.stream() {
                while let Ok(chunk) = stream.blocking_read(64 * 1024) {
                    length += chunk.len();
                }
            }
        }
        let calls = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let text = if path == "/calls" {
            calls.to_string()
        } else {
            format!("{method} {path} body={length} x-test={x_test}")
        };
        let headers = Fields::from_list(&[("content-type".to_owned(), b"text/plain".to_vec())]).expect("valid headers");
        let response = OutgoingResponse::new(headers);
        response.set_status_code(200).expect("valid status");
        let body = response.body().expect("body taken once");
        ResponseOutparam::set(response_out, Ok(response));
        let stream = body.write().expect("stream taken once");
        stream.blocking_write_and_flush(text.as_bytes()).expect("write body");
        drop(stream);
        OutgoingBody::finish(body, None).expect("finish body");
    }
}

wasi::http::proxy::export!(Echo);
