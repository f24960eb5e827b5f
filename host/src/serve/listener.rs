//! Accept loops: one per listener, HTTP/1.1 and HTTP/2, each connection in its own task,
//! with graceful shutdown (stop accepting, let requests in flight finish), and the limits
//! every listener holds a client to: the size of a request head, the time to send it, and
//! how long a request body may stall. Hyper's HTTP/1.1 parser refuses smuggling attempts
//! (conflicting `Content-Length`s, a `Transfer-Encoding` whose last coding is not
//! `chunked`) with 400 and closes the connection.

use super::body::{Body, ReadError};
use anyhow::Context as _;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What a listener allows a client (documented in docs/serving.md, "Limits").
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// The largest request head (request line and headers) read, in bytes: past it,
    /// HTTP/1.1 answers 431 and HTTP/2 refuses the stream. At least 8192.
    pub max_header_bytes: usize,
    /// How long a client has to send a request head: from the connection's start, and
    /// after each response on a kept-alive connection. Past it the connection is closed.
    pub header_read_timeout: Duration,
    /// How long a request body may go without sending data before the request is
    /// answered 400 and the connection closed.
    pub body_idle_timeout: Duration,
}

impl HttpLimits {
    /// The smallest `max_header_bytes` hyper accepts (its read buffer's minimum).
    pub const MIN_HEADER_BYTES: usize = 8192;
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            max_header_bytes: 32 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
        }
    }
}

/// The body idle timeout, carried in each request's extensions for `read_body`.
#[derive(Debug, Clone, Copy)]
struct BodyIdleTimeout(Duration);

/// Binds `addr`, naming the listener in the error.
pub async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the {what} listener to {addr}"))
}

/// Serves `listener` with `handle` (request, peer address, local address) under `limits`
/// until `shutdown` is cancelled, then waits for open connections to finish their requests.
pub fn spawn<F, Fut>(
    listener: TcpListener,
    limits: HttpLimits,
    shutdown: CancellationToken,
    handle: F,
) -> JoinHandle<()>
where
    F: Fn(Request<Incoming>, SocketAddr, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let builder = builder(&limits);
        loop {
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr().unwrap_or(peer);
            let handle = handle.clone();
            let first_request = Arc::new(AtomicBool::new(false));
            let seen = first_request.clone();
            let idle = BodyIdleTimeout(limits.body_idle_timeout);
            let service = service_fn(move |mut req: Request<Incoming>| {
                seen.store(true, Ordering::Release);
                req.extensions_mut().insert(idle);
                let fut = handle(req, peer, local);
                async move { Ok::<_, Infallible>(fut.await) }
            });
            let conn = builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned();
            let conn = graceful.watch(conn);
            let first_deadline = limits.header_read_timeout;
            tokio::spawn(async move {
                // Hyper's header timeout starts once it knows the protocol; until the first
                // request arrives this one covers the protocol sniffing (and HTTP/2's
                // preface) too, so a connection that sends nothing is not held forever.
                let mut conn = std::pin::pin!(conn);
                let ended = tokio::select! {
                    ended = conn.as_mut() => Some(ended),
                    () = tokio::time::sleep(first_deadline) => None,
                };
                let ended = match ended {
                    Some(ended) => ended,
                    None if first_request.load(Ordering::Acquire) => conn.await,
                    None => {
                        tracing::debug!(%peer, "no request within the header read timeout; closing");
                        return;
                    }
                };
                if let Err(e) = ended {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
            });
        }
        drop(listener);
        graceful.shutdown().await;
    })
}

/// The connection builder: both protocols, with `limits` applied.
fn builder(limits: &HttpLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .max_buf_size(limits.max_header_bytes.max(HttpLimits::MIN_HEADER_BYTES))
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    builder
}

/// Reads a request body of at most `limit` bytes, giving up when the client sends nothing
/// for the listener's body idle timeout (read from `extensions`, which the listener fills).
pub async fn read_body(
    body: Incoming,
    extensions: &hyper::http::Extensions,
    limit: usize,
) -> Result<Bytes, ReadError> {
    // A request that says it has no body (most GETs) needs no read, and no idle timer.
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let idle = extensions
        .get::<BodyIdleTimeout>()
        .map_or(HttpLimits::default().body_idle_timeout, |t| t.0);
    let mut body = http_body_util::Limited::new(body, limit);
    let mut out = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => {
                return Err(ReadError::Failed(format!(
                    "the client sent no request body data for {} s (the body idle timeout)",
                    idle.as_secs_f64()
                )));
            }
            Ok(None) => return Ok(out.freeze()),
            Ok(Some(frame)) => frame,
        };
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                }
            }
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                return Err(ReadError::TooLarge);
            }
            Err(e) => return Err(ReadError::Failed(e.to_string())),
        }
    }
}
