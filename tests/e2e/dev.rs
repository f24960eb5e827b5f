//! `host dev`: an edited ion is rebuilt and swapped in while requests keep succeeding.

use crate::server::{Server, agent};
use crate::support::{app, repo};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A copy of the starter app in a temporary folder under a package name of its own (so
/// its builds never overwrite the starter's in the shared target dir).
fn starter_copy() -> std::path::PathBuf {
    app("examples/starter");
    let dir = std::env::temp_dir().join(format!("ion-dev-starter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    crate::fixtures::starter_copy(&dir, "starter-dev", &repo().join("sdk/rust"));
    dir
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", file.display());
    std::fs::write(file, text.replace(from, to)).unwrap();
}

#[test]
fn an_edited_ion_is_swapped_in_while_requests_keep_succeeding() {
    let dir = starter_copy();
    swap_then_break(&dir, "src/lib.rs", ("pub fn echo(", "pub fn echo(oops "));
}

#[test]
fn an_edited_python_ion_is_swapped_in_while_requests_keep_succeeding() {
    let dir = interpreted_copy("examples/starter-py");
    swap_then_break(&dir, "app.py", ("def echo(", "def echo(:"));
}

#[test]
fn an_edited_javascript_ion_is_swapped_in_while_requests_keep_succeeding() {
    let dir = interpreted_copy("examples/starter-js");
    swap_then_break(&dir, "app.js", ("function echo(", "function echo(:"));
}

/// A copy of a Python or JavaScript starter in a temporary folder, sharing the built
/// starter's `node_modules` when it has one.
fn interpreted_copy(starter: &str) -> std::path::PathBuf {
    let built = app(starter);
    let name = starter.rsplit('/').next().unwrap();
    let dir = std::env::temp_dir().join(format!("ion-dev-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    crate::fixtures::copy_dir(&built, &dir);
    if built.join("node_modules").exists() {
        std::os::unix::fs::symlink(built.join("node_modules"), dir.join("node_modules")).unwrap();
    }
    dir
}

/// Swaps an edit of `file` in under load, then breaks `file` with `broken` (a
/// replacement that does not build or load) and checks the last good revision still
/// serves.
fn swap_then_break(dir: &Path, file: &str, broken: (&str, &str)) {
    let s = swapped_under_load(dir, file);
    edit(&dir.join(file), broken.0, broken.1);
    s.wait_for_log("does not build or load");
    assert_eq!(
        get(&format!("{}/", s.http)),
        (200, "Hello again from ion.starter".to_owned())
    );
}

fn get(url: &str) -> (u16, String) {
    let mut r = agent().get(url).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// Serves the app in `dir` with `host dev`, edits its hello in `file` while two clients
/// ask all the time, and checks the edit is served with no request failing.
fn swapped_under_load(dir: &Path, file: &str) -> Server {
    let s = Server::dev(dir);
    let url = format!("{}/", s.http);
    assert_eq!(get(&url), (200, "Hello from ion.starter".to_owned()));

    // Load: two clients asking all the time, counting anything but a 200 with a hello.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, bad) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (url, stop, ok, bad) = (url.clone(), stop.clone(), ok.clone(), bad.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, text) = get(&url);
                    if status == 200 && text.starts_with("Hello") {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    let edited = Instant::now();
    edit(
        &dir.join(file),
        "Hello from ion.starter",
        "Hello again from ion.starter",
    );
    let deadline = edited + Duration::from_secs(120);
    while get(&url).1 != "Hello again from ion.starter" {
        assert!(
            Instant::now() < deadline,
            "the edit was not served within 120 s; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = edited.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(
        bad.load(Ordering::Relaxed),
        0,
        "requests failed during the swap"
    );
    assert!(
        ok.load(Ordering::Relaxed) > 10,
        "too few requests ran during the swap"
    );
    eprintln!(
        "host dev served the edit of {file} after {took:?} ({} requests meanwhile)",
        ok.load(Ordering::Relaxed)
    );
    s
}
