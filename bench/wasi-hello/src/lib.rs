//! GET anything -> 200 "Hello from wasi:http" (text/plain), through the wasi:http 0.2
//! proxy world: the peer `wasmtime serve` runs in scripts/bench.

use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

const BODY: &[u8] = b"Hello from wasi:http";

struct Hello;

impl Guest for Hello {
    fn handle(_request: IncomingRequest, response_out: ResponseOutparam) {
        let headers = Fields::from_list(&[
            ("content-type".to_owned(), b"text/plain; charset=utf-8".to_vec()),
            ("content-length".to_owned(), BODY.len().to_string().into_bytes()),
        ])
        .expect("valid headers");
        let response = OutgoingResponse::new(headers);
        response.set_status_code(200).expect("valid status");
        let body = response.body().expect("body taken once");
        ResponseOutparam::set(response_out, Ok(response));
        let stream = body.write().expect("stream taken once");
        stream.blocking_write_and_flush(BODY).expect("write body");
        drop(stream);
        OutgoingBody::finish(body, None).expect("finish body");
    }
}

wasi::http::proxy::export!(Hello);
