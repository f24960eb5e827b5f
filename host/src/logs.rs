//! The node's recent log lines, kept for `host logs`: every line the process logs goes to
//! stderr as before and into a ring of the last `KEEP` lines, and is broadcast to the
//! admin API's `GET /logs?follow=true` readers. Owns no formatting (that is
//! `tracing-subscriber`'s) and no filtering beyond matching an ion's name.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{LazyLock, Mutex, OnceLock};
use tokio::sync::broadcast;

/// The compute group and node id this process serves as, for the lines logged about a
/// call (a node serves one group; its id is known once it has registered).
static GROUP: OnceLock<String> = OnceLock::new();
static NODE: OnceLock<String> = OnceLock::new();

/// Records the compute group this process serves (the first one set wins).
pub fn set_group(group: &str) {
    let _ = GROUP.set(group.to_owned());
}

/// Records this node's id (the first one set wins).
pub fn set_node(id: &str) {
    let _ = NODE.set(id.to_owned());
}

/// The compute group this process serves, `none` before one is known.
pub fn group() -> &'static str {
    GROUP.get().map_or("none", String::as_str)
}

/// This node's id, `local` for a node that has not registered in a store.
pub fn node() -> &'static str {
    NODE.get().map_or("local", String::as_str)
}

/// Lines kept for readers that arrive later.
pub const KEEP: usize = 5000;

struct Hub {
    recent: Mutex<VecDeque<String>>,
    live: broadcast::Sender<String>,
}

static HUB: LazyLock<Hub> = LazyLock::new(|| Hub {
    recent: Mutex::new(VecDeque::with_capacity(KEEP)),
    live: broadcast::channel(4096).0,
});

fn keep(line: &str) {
    let line = line.trim_end().to_owned();
    if line.is_empty() {
        return;
    }
    let mut recent = HUB.recent.lock().unwrap_or_else(|e| e.into_inner());
    if recent.len() == KEEP {
        recent.pop_front();
    }
    recent.push_back(line.clone());
    // No reader is not an error.
    let _ = HUB.live.send(line);
}

/// The lines kept now, oldest first, and a receiver of the lines after them.
pub fn subscribe() -> (Vec<String>, broadcast::Receiver<String>) {
    let recent = HUB.recent.lock().unwrap_or_else(|e| e.into_inner());
    // Subscribing under the lock: no line falls between the two.
    (recent.iter().cloned().collect(), HUB.live.subscribe())
}

/// Whether `line` was logged by (or about a call of) ion `ion`: its JSON fields or span
/// fields name it (`"ion":"NAME"`), or its text form does (`ion=NAME`).
pub fn is_of_ion(line: &str, ion: &str) -> bool {
    line.contains(&format!("\"ion\":\"{ion}\"")) || line.contains(&format!("ion={ion}"))
}

/// The writer `tracing-subscriber` formats each event into: stderr, and the hub.
pub struct Tee(Vec<u8>);

impl Tee {
    /// A writer for one event.
    pub fn new() -> Tee {
        Tee(Vec::new())
    }
}

impl Default for Tee {
    fn default() -> Self {
        Tee::new()
    }
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Tee {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let _ = std::io::stderr().write_all(&self.0);
        for line in String::from_utf8_lossy(&self.0).lines() {
            keep(line);
        }
    }
}
