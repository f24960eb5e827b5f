//! Optional export of call traces over OTLP/HTTP (JSON encoding), behind `host
//! --otlp-endpoint URL` or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`: each request span
//! and the call span inside it become OTLP spans, posted in batches to `URL/v1/traces`
//! (or to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given). A call's trace id is its request
//! id, so the id a client got back finds its trace. Export runs on a thread of its own; a
//! full queue or a collector that is down drops spans (counted in the log), never calls.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, field::Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The spans exported: a request and the ion call in it.
const EXPORTED: [&str; 2] = ["request", "call"];
/// Spans queued for export at most; past this, spans are dropped.
const QUEUE: usize = 8192;
/// How often a batch is sent.
const EVERY: Duration = Duration::from_millis(500);

/// Where traces go, from the flag or the standard environment variables.
pub fn endpoint(flag: Option<&str>) -> Option<String> {
    if let Some(url) = flag {
        return Some(format!("{}/v1/traces", url.trim_end_matches('/')));
    }
    if let Ok(url) = std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return Some(url);
    }
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .map(|url| format!("{}/v1/traces", url.trim_end_matches('/')))
}

/// A span being recorded.
struct Open {
    span_id: [u8; 8],
    start: SystemTime,
    fields: Vec<(String, String)>,
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.retain(|(k, _)| k != field.name());
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

/// The layer that turns closed request and call spans into OTLP spans.
pub struct OtlpLayer {
    queue: SyncSender<Value>,
}

impl OtlpLayer {
    /// A layer exporting to `url`, with its export thread started.
    pub fn new(url: String) -> OtlpLayer {
        let (queue, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("otlp-export".into())
            .spawn(move || export(url, rx))
            .expect("starting the OTLP export thread");
        OtlpLayer { queue }
    }
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_string()
}

impl<S> Layer<S> for OtlpLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !EXPORTED.contains(&attrs.metadata().name()) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Vec::new();
        attrs.record(&mut Fields(&mut fields));
        span.extensions_mut().insert(Open {
            span_id: uuid::Uuid::new_v4().as_bytes()[..8]
                .try_into()
                .expect("8 bytes"),
            start: SystemTime::now(),
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(open) = span.extensions_mut().get_mut::<Open>()
        {
            values.record(&mut Fields(&mut open.fields));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(open) = span.extensions_mut().remove::<Open>() else {
            return;
        };
        // The trace is the request: the request id of this span or the nearest above.
        let mut request_id = None;
        let mut parent_id = String::new();
        for (i, s) in span.scope().enumerate() {
            let ext = s.extensions();
            let fields = if i == 0 {
                Some(&open.fields)
            } else {
                ext.get::<Open>().map(|o| &o.fields)
            };
            if i == 1 {
                parent_id = ext
                    .get::<Open>()
                    .map_or(String::new(), |o| hex::encode(o.span_id));
            }
            if request_id.is_none() {
                request_id = fields.and_then(|f| {
                    f.iter()
                        .find(|(k, _)| k == "request_id")
                        .map(|(_, v)| v.replace('-', ""))
                });
            }
        }
        let trace_id = request_id
            .filter(|r| r.len() == 32 && r.bytes().all(|b| b.is_ascii_hexdigit()))
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let attributes: Vec<Value> = open
            .fields
            .iter()
            .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
            .collect();
        let value = json!({
            "traceId": trace_id,
            "spanId": hex::encode(open.span_id),
            "parentSpanId": parent_id,
            "name": span.name(),
            "kind": if span.name() == "request" { 2 } else { 1 },
            "startTimeUnixNano": nanos(open.start),
            "endTimeUnixNano": nanos(SystemTime::now()),
            "attributes": attributes,
        });
        if let Err(TrySendError::Full(_)) = self.queue.try_send(value) {
            // Counted by the export thread's next report; calls never wait on tracing.
            DROPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

static DROPPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The export thread: batches spans and posts them until the process ends.
fn export(url: String, rx: Receiver<Value>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("otlp: cannot start the export runtime: {e}");
            return;
        }
    };
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let mut failures: HashMap<String, u64> = HashMap::new();
    loop {
        let Ok(first) = rx.recv() else { return };
        let mut batch = vec![first];
        let until = std::time::Instant::now() + EVERY;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(span) => batch.push(span),
                Err(_) => break,
            }
        }
        let body = json!({"resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "ion-host"}}
            ]},
            "scopeSpans": [{"scope": {"name": "ion-host"}, "spans": batch}],
        }]});
        let request = hyper::Request::post(&url)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(
                body.to_string(),
            )));
        let outcome = match request {
            Ok(req) => runtime.block_on(async {
                match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
                    Ok(Ok(r)) if r.status().is_success() => Ok(()),
                    Ok(Ok(r)) => Err(format!("{} answered {}", url, r.status())),
                    Ok(Err(e)) => Err(format!("{url}: {e}")),
                    Err(_) => Err(format!("{url}: no answer in 10 s")),
                }
            }),
            Err(e) => Err(format!("{url}: {e}")),
        };
        if let Err(e) = outcome {
            let n = failures.entry(e.clone()).or_default();
            *n += 1;
            // Said once per kind of failure, then every 100th time.
            if *n % 100 == 1 {
                tracing::warn!(target: "ion_host::otlp", spans = batch_len(&body), dropped = DROPPED.load(std::sync::atomic::Ordering::Relaxed), "cannot export traces: {e}");
            }
        }
    }
}

fn batch_len(body: &Value) -> usize {
    body["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .map_or(0, Vec::len)
}
