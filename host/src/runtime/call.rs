//! One call of one ion: a fresh instance under a deadline and a memory limit, its output
//! captured, and every way it can fail turned into an `IonError` that names the ion.

use super::app::LoadedApp;
use super::state::{CallInfo, IonState};
use crate::anomaly::{Category, IonError};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::AsyncWrite;
use wasmtime::component::Instance;
use wasmtime::{Store, Trap, UpdateDeadline};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// What an ion wrote to stdout and stderr during one call, kept up to a cap; past the
/// cap output is counted, not kept, and the ion is not disturbed.
#[derive(Clone)]
pub struct CallLog {
    inner: Arc<Mutex<LogBuf>>,
}

struct LogBuf {
    bytes: Vec<u8>,
    cap: usize,
    dropped: usize,
}

impl CallLog {
    /// An empty log keeping at most `cap` bytes.
    pub fn new(cap: usize) -> CallLog {
        CallLog {
            inner: Arc::new(Mutex::new(LogBuf {
                bytes: Vec::new(),
                cap,
                dropped: 0,
            })),
        }
    }

    /// Everything kept, as text (invalid UTF-8 replaced), with a note when output was cut.
    pub fn text(&self) -> String {
        let buf = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::from_utf8_lossy(&buf.bytes).into_owned();
        if buf.dropped > 0 {
            text.push_str(&format!(
                "\n[output cut: {} more bytes past the {} byte limit]\n",
                buf.dropped, buf.cap
            ));
        }
        text
    }

    /// The last `max` bytes of the log, cut at a character boundary.
    pub fn tail(&self, max: usize) -> String {
        let text = self.text();
        let mut start = text.len().saturating_sub(max);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        text[start..].to_owned()
    }

    /// Moves what was kept into a new log and leaves this one empty: how a reused
    /// instance, whose WASI streams write to one log for its life, hands each call its own.
    pub(crate) fn detach(&self) -> CallLog {
        let mut buf = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let cap = buf.cap;
        let taken = LogBuf {
            bytes: std::mem::take(&mut buf.bytes),
            cap,
            dropped: std::mem::take(&mut buf.dropped),
        };
        CallLog {
            inner: Arc::new(Mutex::new(taken)),
        }
    }

    fn write(&self, data: &[u8]) {
        let mut buf = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = buf.cap.saturating_sub(buf.bytes.len());
        let keep = room.min(data.len());
        buf.bytes.extend_from_slice(&data[..keep]);
        buf.dropped += data.len() - keep;
    }
}

impl IsTerminal for CallLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CallLog {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for CallLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.write(data);
        Poll::Ready(Ok(data.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The error an epoch callback raises when a call passes its deadline.
#[derive(Debug)]
struct DeadlinePassed;

impl std::fmt::Display for DeadlinePassed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline passed")
    }
}

impl std::error::Error for DeadlinePassed {}

/// The store of one call, with what is needed to explain its failure.
pub(crate) struct Live {
    pub store: Store<IonState>,
    pub log: CallLog,
    pub fn_name: String,
    pub timeout: Duration,
    /// The instance's exports, looked up on its first call.
    pub guests: super::guests::Guests,
}

impl LoadedApp {
    /// Instantiates the component for one call of `fn_name`, which must finish within
    /// `timeout`.
    pub(crate) async fn instantiate(
        &self,
        request_id: &str,
        fn_name: &str,
        timeout: Duration,
    ) -> Result<(Live, Instance), IonError> {
        let settings = self.runtime.settings();
        let log = CallLog::new(settings.output_limit_bytes);
        let call = CallInfo {
            request_id: request_id.to_owned(),
            fn_name: fn_name.to_owned(),
            deadline: Some((Instant::now() + timeout, timeout)),
        };
        let mut state = IonState::new(
            self.context.clone(),
            call,
            &log,
            settings.memory_limit_bytes(),
        );
        state.app_calls = Some(self.clone());
        let mut store = Store::new(&self.runtime.inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        // The deadline is read from the call's state, so a reused instance's next call
        // runs under its own.
        store.epoch_deadline_callback(|ctx| match ctx.data().call.deadline {
            Some((deadline, _)) if Instant::now() >= deadline => {
                Err(wasmtime::Error::new(DeadlinePassed))
            }
            _ => Ok(UpdateDeadline::Yield(1)),
        });
        crate::metrics::metrics().instance_made();
        let mut live = Live {
            store,
            log,
            fn_name: fn_name.to_owned(),
            timeout,
            guests: Default::default(),
        };
        match self.pre.instantiate_async(&mut live.store).await {
            Ok(instance) => Ok((live, instance)),
            Err(e) => Err(live.error(e)),
        }
    }

    /// Instantiates the component and drops the instance without calling an ion: what a
    /// call costs around the ion's own code (instantiation, then the slot's reset). For
    /// `benches/calls.rs`, which tracks it against the calls.
    #[doc(hidden)]
    pub async fn instantiate_and_drop(&self, request_id: &str) -> Result<(), IonError> {
        let (live, _instance) = self
            .instantiate(request_id, "(instantiation only)", Duration::from_secs(60))
            .await?;
        drop(live);
        Ok(())
    }
}

impl Live {
    /// Readies a reused instance for its next call: its request id, ion, deadline and
    /// cast count are the new call's, and it may call `app`'s functions again.
    pub(crate) fn begin(
        &mut self,
        app: &LoadedApp,
        request_id: &str,
        fn_name: &str,
        timeout: Duration,
    ) {
        let state = self.store.data_mut();
        state.call = CallInfo {
            request_id: request_id.to_owned(),
            fn_name: fn_name.to_owned(),
            deadline: Some((Instant::now() + timeout, timeout)),
        };
        state.casts = 0;
        state.app_calls = Some(app.clone());
        self.fn_name = fn_name.to_owned();
        self.timeout = timeout;
        self.store.set_epoch_deadline(1);
    }

    /// Ends a call whose instance may be kept: drops its hold on the app (an idle
    /// instance must not keep its app alive) and its deadline.
    pub(crate) fn end(&mut self) {
        let state = self.store.data_mut();
        state.app_calls = None;
        state.call.deadline = None;
    }

    /// The error a call that failed with `err` answers, and why its instance must not
    /// serve another.
    pub(crate) fn failure(&self, err: wasmtime::Error) -> (IonError, super::reuse::Discard) {
        use super::reuse::Discard;
        let why = if err.downcast_ref::<DeadlinePassed>().is_some() {
            Discard::Timeout
        } else if self.store.data().limiter.exceeded.is_some() {
            Discard::Memory
        } else {
            Discard::Trap
        };
        (self.error(err), why)
    }

    /// Turns a trap or host error from this call into the error its caller sees.
    pub fn error(&self, err: wasmtime::Error) -> IonError {
        let name = &self.fn_name;
        if err.downcast_ref::<DeadlinePassed>().is_some() {
            return IonError::new(
                Category::Interrupted,
                format!(
                    "{name} timed out after {} (its :timeout-secs)",
                    human(self.timeout)
                ),
            );
        }
        if let Some(asked) = self.store.data().limiter.exceeded {
            return IonError::new(
                Category::Fault,
                format!(
                    "{name} exceeded its memory limit of {} MiB (it asked for {:.1} MiB)",
                    self.store.data().limiter.limit_mib(),
                    asked as f64 / f64::from(1 << 20)
                ),
            );
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::StackOverflow) => IonError::new(
                Category::Fault,
                format!("{name} overflowed its call stack (runaway recursion?)"),
            ),
            Some(Trap::UnreachableCodeReached) => match panic_message(&self.log.text()) {
                Some(msg) => IonError::new(Category::Fault, format!("{name} panicked: {msg}")),
                None => IonError::new(
                    Category::Fault,
                    format!(
                        "{name} aborted (wasm `unreachable`){}",
                        output_note(&self.log)
                    ),
                ),
            },
            Some(Trap::MemoryOutOfBounds) => IonError::new(
                Category::Fault,
                format!(
                    "{name} trapped: out of bounds memory access (most often the ion's own stack, kept in its memory, overflowing through runaway recursion){}",
                    output_note(&self.log)
                ),
            ),
            Some(Trap::AllocationTooLarge) => IonError::new(
                Category::Busy,
                format!("{name} could not start: no free instance slot on this node"),
            ),
            Some(trap) => IonError::new(
                Category::Fault,
                format!("{name} trapped: {trap}{}", output_note(&self.log)),
            ),
            None => IonError::new(
                Category::Fault,
                format!("{name} failed: {err:#}{}", output_note(&self.log)),
            ),
        }
    }
}

/// The message of a Rust panic in an ion's output: the text after `panicked at FILE:`.
fn panic_message(output: &str) -> Option<String> {
    let at = output.rfind("panicked at ")?;
    let rest = &output[at + "panicked at ".len()..];
    let (location, message) = rest.split_once(":\n")?;
    let message: Vec<&str> = message
        .lines()
        .take_while(|l| !l.starts_with("note: "))
        .collect();
    Some(format!("{} (at {location})", message.join("\n").trim()))
}

fn output_note(log: &CallLog) -> String {
    let tail = log.tail(400);
    let tail = tail.trim();
    if tail.is_empty() {
        String::new()
    } else {
        format!("; its output ended with: {tail}")
    }
}

pub(crate) fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Converts an error an ion returned into the host's terms.
pub(crate) fn from_guest(e: super::bindings::types::IonError) -> IonError {
    use super::bindings::types::Category as G;
    let category = match e.category {
        G::Incorrect => Category::Incorrect,
        G::Forbidden => Category::Forbidden,
        G::NotFound => Category::NotFound,
        G::Conflict => Category::Conflict,
        G::Fault => Category::Fault,
        G::Unavailable => Category::Unavailable,
        G::Busy => Category::Busy,
        G::Interrupted => Category::Interrupted,
        G::Unsupported => Category::Unsupported,
    };
    IonError {
        category,
        message: e.message,
        data: e.data,
    }
}

/// The WIT category of a host category (for errors handed to an ion).
pub(crate) fn wit_category(c: Category) -> super::bindings::types::Category {
    use super::bindings::types::Category as G;
    match c {
        Category::Incorrect => G::Incorrect,
        Category::Forbidden => G::Forbidden,
        Category::NotFound => G::NotFound,
        Category::Conflict => G::Conflict,
        Category::Fault => G::Fault,
        Category::Unavailable => G::Unavailable,
        Category::Busy => G::Busy,
        Category::Interrupted => G::Interrupted,
        Category::Unsupported => G::Unsupported,
    }
}
