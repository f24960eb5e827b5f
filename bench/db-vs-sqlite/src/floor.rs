//! The floor under a durable 1-datom transaction on `file:` storage: appending a small
//! record and `fdatasync`ing it, 2,000 times, done four ways in the same run: inline on
//! the async task (what the log did before, blocking a serving thread), on tokio's
//! blocking pool (`spawn_blocking`), under `block_in_place`, and on a thread of its own
//! that a channel wakes and a oneshot answers (what the `file:` committer does). The
//! difference between the first and the others is what keeping fsync off the serving
//! threads costs on this machine.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const N: usize = 2000;

fn append(file: &File) {
    let mut f = file;
    f.write_all(&[7u8; 120]).unwrap();
    f.sync_data().unwrap();
}

fn open(path: &Path) -> Arc<File> {
    let _ = std::fs::remove_file(path);
    Arc::new(OpenOptions::new().create(true).append(true).open(path).unwrap())
}

/// The rows: (how, appends a second).
pub async fn run(dir: &Path) -> Vec<(&'static str, f64)> {
    let mut rows = Vec::new();
    let file = open(&dir.join("floor-inline"));
    let t = Instant::now();
    for _ in 0..N {
        append(&file);
    }
    rows.push(("inline on the task", N as f64 / t.elapsed().as_secs_f64()));
    let file = open(&dir.join("floor-pool"));
    let t = Instant::now();
    for _ in 0..N {
        let file = file.clone();
        tokio::task::spawn_blocking(move || append(&file)).await.unwrap();
    }
    rows.push(("spawn_blocking", N as f64 / t.elapsed().as_secs_f64()));
    let file = open(&dir.join("floor-in-place"));
    let t = Instant::now();
    for _ in 0..N {
        let file = file.clone();
        tokio::spawn(async move { tokio::task::block_in_place(|| append(&file)) })
            .await
            .unwrap();
    }
    rows.push(("block_in_place in a spawned task", N as f64 / t.elapsed().as_secs_f64()));
    let file = open(&dir.join("floor-thread"));
    let (tx, rx) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<()>>();
    let writer = std::thread::spawn(move || {
        for done in rx {
            append(&file);
            let _ = done.send(());
        }
    });
    let t = Instant::now();
    for _ in 0..N {
        let (done, wait) = tokio::sync::oneshot::channel();
        tx.send(done).unwrap();
        wait.await.unwrap();
    }
    rows.push(("a thread of its own, a channel there and a oneshot back", N as f64 / t.elapsed().as_secs_f64()));
    drop(tx);
    writer.join().unwrap();
    rows
}
