//! HTTP Direct: every request becomes the reference's web request map for the app's
//! `:http-direct :handler-fn`. At most `:processing-concurrency` requests run at once and
//! `:pending-ops-queue-length` wait; past that the node answers
//! `:pending-ops-exceeded-code` with `:pending-ops-exceeded-message` at once.

use super::Node;
use super::body::{Body, BodyError, ReadError, anomaly, full, respond};
use crate::anomaly::{Category, IonError};
use crate::config::HttpDirectConfig;
use crate::runtime::{WebRequest, WebResponse};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// The largest request body HTTP Direct accepts.
pub const MAX_REQUEST_BODY: usize = 10 << 20;

/// Admission to HTTP Direct: `processing` run at once, `queue` more may wait.
pub struct Gate {
    admitted: AtomicUsize,
    limit: usize,
    running: Semaphore,
    exceeded_code: u16,
    exceeded_message: String,
    /// `ion_queue_depth{listener="http-direct"}`.
    queue_depth: prometheus_client::metrics::gauge::Gauge,
}

impl Gate {
    /// A gate sized by `config`.
    pub fn new(config: &HttpDirectConfig) -> Gate {
        let processing = config.processing_concurrency as usize;
        Gate {
            admitted: AtomicUsize::new(0),
            limit: processing + config.pending_ops_queue_length as usize,
            running: Semaphore::new(processing),
            exceeded_code: config.pending_ops_exceeded_code,
            exceeded_message: config.pending_ops_exceeded_message.clone(),
            queue_depth: crate::metrics::metrics().queue_gauge("http-direct"),
        }
    }

    /// Requests admitted now (running or waiting).
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Relaxed)
    }

    fn try_admit(&self) -> Option<Admitted<'_>> {
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Admitted(self))
    }
}

struct Admitted<'a>(&'a Gate);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one HTTP Direct request.
pub async fn handle(
    node: Arc<Node>,
    req: Request<Incoming>,
    peer: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("request_id", request_id.as_str());
    let Some(slot) = node.current() else {
        let e = IonError::new(
            Category::Unavailable,
            format!(
                "no revision is deployed to compute group {} yet",
                node.group
            ),
        );
        return anomaly(&e, &request_id);
    };
    let (Some(config), Some(gate)) = (slot.app.config().http_direct.as_ref(), slot.gate.as_ref())
    else {
        let e = IonError::new(
            Category::NotFound,
            "this app has no :http-direct entry point",
        );
        return anomaly(&e, &request_id);
    };
    tracing::Span::current().record("ion", config.handler_fn.as_str());
    let Some(_admitted) = gate.try_admit() else {
        tracing::debug!(request_id, "HTTP Direct queue full; throttled");
        crate::metrics::metrics().throttled("http-direct");
        return respond(
            gate.exceeded_code,
            "text/plain; charset=utf-8",
            gate.exceeded_message.clone(),
        );
    };
    // Only a request that has to wait counts in the queue depth: most find a slot free,
    // and skip the gauge's two writes, which every core would contend on.
    let running = match gate.running.try_acquire() {
        Err(tokio::sync::TryAcquireError::NoPermits) => {
            gate.queue_depth.inc();
            let running = gate.running.acquire().await;
            gate.queue_depth.dec();
            running.ok()
        }
        other => other.ok(),
    };
    let Some(_running) = running else {
        return anomaly(
            &IonError::new(Category::Unavailable, "the node is shutting down"),
            &request_id,
        );
    };
    if slot.app.is_wasi_http() {
        return match slot.app.handle_wasi_http(req, &request_id).await {
            Ok(response) => {
                response.map(|b| b.map_err(|e| Box::new(e) as BodyError).boxed_unsync())
            }
            Err(e) => {
                tracing::warn!(request_id, ion = %config.handler_fn, error = %e, "wasi:http handler failed");
                anomaly(&e, &request_id)
            }
        };
    }
    let request = match web_request(req, peer, local).await {
        Ok(r) => r,
        Err(e) => return anomaly(&e, &request_id),
    };
    let call = slot
        .app
        .call_web(&config.handler_fn, request, &request_id)
        .await;
    match call.result {
        Ok(response) => to_hyper(response, &request_id).unwrap_or_else(|e| {
            tracing::warn!(request_id, ion = %config.handler_fn, error = %e, "web ion answered an invalid response");
            anomaly(&e, &request_id)
        }),
        Err(e) => {
            tracing::warn!(request_id, ion = %config.handler_fn, error = %e, "web ion failed");
            anomaly(&e, &request_id)
        }
    }
}

/// The reference's request map from a hyper request.
async fn web_request(
    req: Request<Incoming>,
    peer: SocketAddr,
    local: SocketAddr,
) -> Result<WebRequest, IonError> {
    let (parts, body) = req.into_parts();
    let body = super::listener::read_body(body, &parts.extensions, MAX_REQUEST_BODY)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge => IonError::new(
                Category::Incorrect,
                format!("the request body is larger than {MAX_REQUEST_BODY} bytes"),
            ),
            ReadError::Failed(e) => IonError::new(
                Category::Incorrect,
                format!("reading the request body failed: {e}"),
            ),
        })?;
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let authority = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok()?.parse::<hyper::http::uri::Authority>().ok())
        .or_else(|| parts.uri.authority().cloned());
    let (server_name, server_port) = match authority {
        Some(a) => (a.host().to_owned(), a.port_u16().unwrap_or(local.port())),
        None => (local.ip().to_string(), local.port()),
    };
    Ok(WebRequest {
        request_method: parts.method.as_str().to_ascii_lowercase(),
        uri: parts.uri.path().to_owned(),
        query_string: parts.uri.query().map(str::to_owned),
        headers,
        body: (!body.is_empty()).then(|| body.to_vec()),
        protocol: format!("{:?}", parts.version),
        remote_addr: peer.ip().to_string(),
        scheme: "http".into(),
        server_name,
        server_port: Some(server_port),
        api_gateway_json: None,
        api_gateway_data: None,
    })
}

/// A hyper response from a web ion's response map; bad status or headers are the ion's fault.
fn to_hyper(r: WebResponse, request_id: &str) -> Result<Response<Body>, IonError> {
    let mut builder = Response::builder().status(r.status);
    for (name, value) in &r.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder = builder.header("x-request-id", request_id);
    builder.body(full(r.body)).map_err(|e| {
        IonError::new(
            Category::Fault,
            format!("the web ion's response is not valid HTTP: {e}"),
        )
    })
}
