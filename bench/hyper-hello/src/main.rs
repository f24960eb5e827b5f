//! Plain hyper 1.x hello server on tokio's multi-thread runtime: every request gets
//! 200 "Hello from hyper" (text/plain). The physical-limit peer of scripts/bench.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::builder()
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(b"Hello from hyper")))
        .expect("valid response"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .ok_or("usage: hyper-hello ADDR (e.g. 127.0.0.1:8080)")?
        .parse()?;
    let listener = TcpListener::bind(addr).await?;
    eprintln!("hyper-hello: listening on http://{addr}/");
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let io = TokioIo::new(stream);
            if let Err(err) = http1::Builder::new()
                .serve_connection(io, service_fn(hello))
                .await
            {
                eprintln!("hyper-hello: connection error: {err}");
            }
        });
    }
}
