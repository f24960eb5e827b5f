//! `kill -9` at the worst moments: during `host push` (the store never holds a
//! half-written part or manifest), during `host deploy --wait` (the next orchestrator finds
//! the execution finished or rolled back, and the group serves one revision), and during
//! a stream of transactions, killed again and again (no acknowledged transaction is lost,
//! none is applied in part).

use crate::deploy::{create_group, deploy, status};
use crate::fixtures::*;
use crate::server::Server;
use crate::support::*;
use ion_edn::Edn;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Every file under `dir`, at any depth, but the temporary files of unfinished writes.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if !entry.file_name().to_string_lossy().starts_with(".tmp-") {
                out.push(path);
            }
        }
    }
    out
}

/// A stored part, decoded (through its delta bases) and checked against its SHA-256.
fn decoded(store: &Path, hex: &str) -> Vec<u8> {
    use ion_host::store::{PartId, part};
    let path = store.join("parts/sha256").join(hex);
    let encoded = std::fs::read(&path).unwrap();
    let header = part::header(&encoded)
        .unwrap_or_else(|e| panic!("{}: a half-written part: {e:#}", path.display()));
    let base = header.base.map(|(b, _)| decoded(store, &b.hex()));
    let bytes = part::decode(&encoded, base.as_deref(), part::MAX_PART_BYTES)
        .unwrap_or_else(|e| panic!("{}: a half-written part: {e:#}", path.display()));
    assert_eq!(
        PartId::of(&bytes).hex(),
        hex,
        "{}: a part whose bytes do not match its name",
        path.display()
    );
    bytes
}

/// Checks every part and manifest in a local store: a part decodes to bytes whose
/// SHA-256 is its name, a manifest reads and names only parts that are there. Returns
/// (parts, manifests).
fn check_store(store: &Path) -> (usize, usize) {
    let parts = files(&store.join("parts/sha256"));
    for part in &parts {
        decoded(store, &part.file_name().unwrap().to_string_lossy());
    }
    let manifests = files(&store.join("revisions"));
    for m in &manifests {
        let text = std::fs::read_to_string(m).unwrap();
        let manifest = ion_host::store::Manifest::from_edn(&text, &m.display().to_string())
            .unwrap_or_else(|e| panic!("a half-written manifest: {e:#}"));
        for p in &manifest.parts {
            let path = store.join("parts/sha256").join(p.id.hex());
            assert!(
                path.is_file(),
                "{} names a missing part {}",
                m.display(),
                p.id.hex()
            );
        }
    }
    (parts.len(), manifests.len())
}

/// The starter's built component with a custom section of `size` bytes of noise seeded by
/// `seed` appended: new, incompressible parts for every push, big enough to take a while.
fn noisy_app(dir: &Path, seed: u64, size: usize) -> PathBuf {
    let starter = app("examples/starter");
    let to = dir.join(format!("app-{seed}"));
    std::fs::create_dir_all(to.join("target/ion")).unwrap();
    std::fs::copy(starter.join("ion-config.edn"), to.join("ion-config.edn")).unwrap();
    let mut wasm = std::fs::read(starter.join("target/ion/app.wasm")).unwrap();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let noise: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    wasm_encoder::Section::append_to(
        &wasm_encoder::CustomSection {
            name: "noise".into(),
            data: noise.into(),
        },
        &mut wasm,
    );
    std::fs::write(to.join("target/ion/app.wasm"), wasm).unwrap();
    to
}

fn push(dir: &Path, store: &Path, app: &Path, uname: &str) -> std::process::Command {
    let mut cmd = host_at(&dir.join("pusher"));
    cmd.args(["push", "--no-build", "--uname", uname, "--store"])
        .arg(store)
        .arg("--app")
        .arg(app)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Kills `child` once `after` has passed (or it has exited); true if it was killed.
fn kill_after(child: &mut Child, after: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    true
}

#[test]
fn a_push_killed_at_any_point_leaves_no_half_written_part_or_manifest() {
    let dir = scratch("crash-push");
    let store = dir.join("store");
    // How long a whole push of a fresh 8 MB component takes here, once the pusher's
    // function cache knows the component's code (as it does for the pushes below).
    ok(push(&dir, &store, &noisy_app(&dir, 1, 8 << 20), "warm-up")
        .output()
        .unwrap());
    // The quicker of two, so the kill points fall inside even a quick push.
    let whole = [3u64, 4]
        .into_iter()
        .map(|seed| {
            let started = Instant::now();
            ok(push(
                &dir,
                &store,
                &noisy_app(&dir, seed, 8 << 20),
                &format!("whole-{seed}"),
            )
            .output()
            .unwrap());
            started.elapsed()
        })
        .min()
        .unwrap();
    let mut killed = 0;
    for i in 0..8u32 {
        let app = noisy_app(&dir, 100 + i as u64, 8 << 20);
        let mut child = push(&dir, &store, &app, &format!("killed-{i}"))
            .spawn()
            .unwrap();
        // Kill points spread over the whole push: compile check, encode, part and
        // manifest writes.
        killed += kill_after(&mut child, whole * (i + 1) / 10) as u32;
        check_store(&store);
    }
    assert!(
        killed >= 6,
        "only {killed} of 8 pushes were killed before they finished"
    );
    let tmp_left = std::fs::read_dir(store.join("parts/sha256"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .count();
    let listed = ok(host_at(&dir.join("pusher"))
        .args(["revisions", "--app-name", "starter", "--store"])
        .arg(&store)
        .output()
        .unwrap());
    assert!(stdout(&listed).contains("whole-3"), "{}", stdout(&listed));
    ok(host_at(&dir.join("pusher"))
        .args(["gc", "--grace-secs", "0", "--store"])
        .arg(&store)
        .output()
        .unwrap());
    let after = noisy_app(&dir, 2, 1 << 20);
    ok(push(&dir, &store, &after, "after").output().unwrap());
    let (parts, manifests) = check_store(&store);
    eprintln!(
        "push killed {killed} times (whole push {whole:?}); {tmp_left} temporary files left; \
         after gc and a new push: {parts} parts, {manifests} manifests, all verified"
    );
}

/// The revision a node serves, per its health map.
fn revision(node: &Server) -> String {
    match ion_edn::get(&node.health(), "revision") {
        Some(Edn::Str(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// The step statuses of the group's one unfinished execution, if any.
fn running_steps(store: &Path) -> Option<Vec<String>> {
    for f in files(&store.join("executions/g")) {
        let Ok(doc) = ion_edn::read(&std::fs::read_to_string(&f).unwrap_or_default()) else {
            continue;
        };
        if ion_edn::get(&doc, "finished-at").is_some_and(|v| *v != Edn::Nil) {
            continue;
        }
        let Some(Edn::Vector(nodes)) = ion_edn::get(&doc, "nodes") else {
            continue;
        };
        return Some(nodes.iter().map(|n| text(n, "status")).collect());
    }
    None
}

#[test]
fn a_deploy_whose_orchestrator_is_killed_is_finished_or_rolled_back_by_the_next() {
    let dir = scratch("crash-deploy");
    let store_dir = dir.join("store");
    let store = store_dir.display().to_string();
    let starter = app("examples/starter");
    for uname in ["A", "B"] {
        ok(push(&dir, &store_dir, &starter, uname).output().unwrap());
    }
    create_group(&dir, &store, &[]);
    let nodes: Vec<Server> = (0..3)
        .map(|_| Server::group_node("g", &store, &[]))
        .collect();
    let (a, code) = deploy(&dir, &store, &[], "A");
    assert_eq!((status(&a), code), ("SUCCEEDED".to_owned(), Some(0)));
    // Deploy B; kill the orchestrator once the first node has switched, before the last.
    let mut orchestrator = host_at(&dir.join("deployer"))
        .env("ION_ADMIN_TOKEN", crate::server::TOKEN)
        .args([
            "deploy", "--group", "g", "--uname", "B", "--wait", "--store", &store,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mid_way = loop {
        assert!(Instant::now() < deadline, "the deploy of B never got going");
        if orchestrator.try_wait().unwrap().is_some() {
            break false;
        }
        if let Some(steps) = running_steps(&store_dir)
            && steps.first().is_some_and(|s| s == "SUCCEEDED")
        {
            orchestrator.kill().unwrap();
            break true;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    orchestrator.wait().unwrap();
    assert!(
        mid_way,
        "the deploy finished before it could be killed mid-way"
    );
    let served: BTreeSet<String> = nodes.iter().map(revision).collect();
    eprintln!("orchestrator killed mid-deploy; nodes serve {served:?}");
    // The next orchestrator: it must not wait for the dead one, and afterwards every node
    // serves the same revision.
    let started = Instant::now();
    let (next, code) = deploy(&dir, &store, &[], "B");
    assert_eq!(
        (status(&next), code),
        ("SUCCEEDED".to_owned(), Some(0)),
        "{}",
        ion_edn::print(&next)
    );
    let served: BTreeSet<String> = nodes.iter().map(revision).collect();
    assert_eq!(served.len(), 1, "nodes serve {served:?}");
    assert!(
        served.iter().all(|r| r.contains("B")),
        "nodes serve {served:?}"
    );
    // The killed execution is no longer running: it ended, rolled back or finished.
    assert_eq!(
        running_steps(&store_dir),
        None,
        "an execution is still running"
    );
    eprintln!("the next deploy took {:?}", started.elapsed());
}

/// `host db` on the test's own database folder.
fn db(dir: &Path) -> std::process::Command {
    let mut cmd = host_at(&dir.join("home"));
    // Index every 64 KiB of log (about 50 of these transactions): kills fall during
    // indexing too, between segments written and the root that names them.
    cmd.env("ION_DB_INDEX_EVERY", "64KiB");
    cmd.args(["db", "--db-dir"]).arg(dir.join("dbs"));
    cmd
}

/// `[e a v]` datoms of attribute `attr`, as a map from entity to value.
fn by_entity(dir: &Path, attr: &str) -> BTreeMap<i64, i64> {
    let out = ok(db(dir)
        .args(["datoms", "k", "aevt", attr, "--limit", "10000000"])
        .output()
        .unwrap());
    let doc = edn(&out);
    let Edn::Vector(datoms) = &doc else {
        panic!("datoms: {}", stdout(&out))
    };
    datoms
        .iter()
        .map(|d| match d {
            Edn::Vector(f) => match (&f[0], &f[2]) {
                (Edn::Int(e), Edn::Int(v)) => (*e, *v),
                _ => panic!("{}", ion_edn::print(d)),
            },
            _ => panic!("{}", ion_edn::print(d)),
        })
        .collect()
}

#[test]
fn transactions_killed_again_and_again_lose_nothing_acknowledged() {
    let dir = scratch("crash-transact");
    ok(db(&dir).args(["create", "k"]).output().unwrap());
    let schema = r#"[{:db/ident :k/id :db/valueType :db.type/long :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
                     {:db/ident :k/payload :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                     {:db/ident :k/check :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;
    ok(db(&dir).args(["transact", "k", schema]).output().unwrap());
    let mut acknowledged: BTreeSet<i64> = BTreeSet::new();
    // Each round reopens what the last kill left and is killed after a different number
    // of acknowledgements, while the writer is still sending.
    for (round, kill_at) in [37usize, 150, 1, 400].into_iter().enumerate() {
        let mut child = db(&dir)
            .args(["transact", "k", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = round as i64 * 1_000_000;
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            for n in 0..100_000i64 {
                let id = base + n;
                let payload = "y".repeat(1000 + (n as usize % 977));
                let line = format!(
                    "[{{:k/id {id} :k/payload \"{payload}\" :k/check {}}}]\n",
                    id * 7
                );
                if stdin.write_all(line.as_bytes()).is_err() {
                    return;
                }
            }
        });
        // The stream answers each line in order: the i-th acknowledgement is id base+i.
        let mut acks = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut n = 0i64;
        while (n as usize) < kill_at {
            line.clear();
            assert!(
                acks.read_line(&mut line).unwrap() > 0,
                "the stream ended early"
            );
            assert!(line.starts_with("{:basis-t"), "{line}");
            acknowledged.insert(base + n);
            n += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        line.clear();
        while acks.read_line(&mut line).is_ok_and(|r| r > 0) {
            assert!(line.starts_with("{:basis-t"), "{line}");
            acknowledged.insert(base + n);
            n += 1;
            line.clear();
        }
        let _ = writer.join();
    }
    let ids = by_entity(&dir, ":k/id");
    let checks = by_entity(&dir, ":k/check");
    let present: BTreeSet<i64> = ids.values().copied().collect();
    let lost: Vec<&i64> = acknowledged.difference(&present).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    for (e, id) in &ids {
        assert_eq!(
            checks.get(e),
            Some(&(id * 7)),
            "entity {e} (:k/id {id}): a partial transaction"
        );
    }
    // The database was indexed, and the root names only segments that are there: every
    // index reads whole.
    let segments = std::fs::read_dir(dir.join("dbs/k/segments"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(segments > 10, "{segments} segments");
    for index in ["eavt", "avet", "vaet"] {
        ok(db(&dir)
            .args(["datoms", "k", index, "--limit", "10000000"])
            .output()
            .unwrap());
    }
    eprintln!(
        "4 kills: {} transactions acknowledged, {} present, none lost or partial, {segments} segments",
        acknowledged.len(),
        present.len()
    );
}

/// `kill -9` while `host db index` writes segments, before it writes the root: the old
/// root (here: none) stands, every datom is there, the orphan segments are garbage that
/// `host db gc` removes, and the next indexing succeeds.
#[test]
fn a_kill_9_while_indexing_leaves_the_old_root_and_loses_nothing() {
    let dir = scratch("crash-index");
    let db = |dir: &Path| {
        let mut cmd = db(dir);
        // No indexing but the one this test starts.
        cmd.env("ION_DB_INDEX_EVERY", "1GiB");
        cmd
    };
    ok(db(&dir).args(["create", "k"]).output().unwrap());
    let schema = r#"[{:db/ident :k/id :db/valueType :db.type/long :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
                     {:db/ident :k/check :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;
    ok(db(&dir).args(["transact", "k", schema]).output().unwrap());
    let mut child = db(&dir)
        .args(["transact", "k", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let items = 300_000i64;
    for b in 0..items / 3000 {
        let line: String = (b * 3000..(b + 1) * 3000)
            .map(|id| format!("{{:k/id {id} :k/check {}}}", id * 7))
            .collect();
        writeln!(stdin, "[{line}]").unwrap();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let (root, segments) = (dir.join("dbs/k/snapshot"), dir.join("dbs/k/segments"));
    // Segments (named by 64 hex digits), not the temporary file of one being written.
    let count = || {
        std::fs::read_dir(&segments).map_or(0, |d| {
            d.flatten().filter(|e| e.file_name().len() == 64).count()
        })
    };
    let mut indexing = db(&dir).args(["index", "k"]).spawn().unwrap();
    // Killed once its first segments are on disk, while it writes the rest.
    while count() == 0 {
        assert!(
            indexing.try_wait().unwrap().is_none(),
            "indexing ended before it could be killed"
        );
        std::thread::yield_now();
    }
    indexing.kill().unwrap();
    indexing.wait().unwrap();
    assert!(!root.exists(), "the kill came after the root was written");
    let orphans = count();
    assert!(orphans > 0);
    // Every datom is there (from the log), and reads work.
    let ids = by_entity(&dir, ":k/id");
    let checks = by_entity(&dir, ":k/check");
    assert_eq!(ids.len(), items as usize);
    assert!(ids.iter().all(|(e, id)| checks.get(e) == Some(&(id * 7))));
    // The orphans are garbage: no root names them.
    let gc = edn(&ok(db(&dir)
        .args(["gc", "k", "--grace-secs", "0"])
        .output()
        .unwrap()));
    assert_eq!(
        ion_edn::get(&gc, "deleted"),
        Some(&Edn::Int(orphans as i64))
    );
    assert_eq!(count(), 0);
    // Indexing again writes a root whose segments are all there.
    ok(db(&dir).args(["index", "k"]).output().unwrap());
    assert!(root.exists());
    assert_eq!(by_entity(&dir, ":k/id"), ids);
    for index in ["eavt", "avet", "vaet"] {
        ok(db(&dir)
            .args(["datoms", "k", index, "--limit", "10000000"])
            .output()
            .unwrap());
    }
}
