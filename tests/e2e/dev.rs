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
    let s = Server::dev(&dir);
    let url = format!("{}/", s.http);
    let body = |url: &str| {
        let mut r = agent().get(url).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(body(&url), (200, "Hello from ion.starter".to_owned()));

    // Load: two clients asking all the time, counting anything but a 200 with a hello.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, bad) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (url, stop, ok, bad) = (url.clone(), stop.clone(), ok.clone(), bad.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, text) = body(&url);
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
        &dir.join("src/lib.rs"),
        "Hello from ion.starter",
        "Hello again from ion.starter",
    );
    let deadline = edited + Duration::from_secs(120);
    while body(&url).1 != "Hello again from ion.starter" {
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
        "host dev served the edit after {took:?} ({} requests meanwhile)",
        ok.load(Ordering::Relaxed)
    );

    // A change that does not compile keeps the previous build serving.
    edit(&dir.join("src/lib.rs"), "pub fn echo(", "pub fn echo(oops ");
    s.wait_for_log("does not build or load");
    assert_eq!(body(&url), (200, "Hello again from ion.starter".to_owned()));
}
