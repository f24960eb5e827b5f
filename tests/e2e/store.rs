//! The revision store through `host push`, `host revisions`, `host gc` and loading a
//! pushed revision: on a local directory and on an S3-compatible server (moto), with
//! real builds of the starter app and real AWS clients looking at what was stored.

use crate::fixtures::*;
use crate::moto::{AWS_ENV, Moto};
use crate::support::*;
use ion_edn::Edn;
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn pushes_share_parts_a_one_line_change_uploads_little_and_a_flipped_byte_is_caught() {
    let dir = scratch("local");
    let (store, home) = (dir.join("store"), dir.join("home"));
    let app = dir.join("app");
    starter_copy(&app, "starter-push", &repo().join("sdk/rust"));
    let push = |uname: &str| {
        ok(host_at(&home)
            .args(["push", "--app"])
            .arg(&app)
            .args(["--uname", uname, "--store"])
            .arg(&store)
            .output()
            .unwrap())
    };

    let first = push("v1");
    let first_doc = edn(&first);
    let total = int(&first_doc, &["uploaded", "component-bytes"]);
    assert_eq!(text(&first_doc, "uname"), "v1");
    assert!(int(&first_doc, &["uploaded", "bytes"]) > 0);
    assert!(
        stderr(&first).contains(&format!("for a {total}-byte component")),
        "{}",
        stderr(&first)
    );
    assert_eq!(
        text(&first_doc, "deploy-command"),
        format!(
            "host deploy --group GROUP --uname v1 --store {}",
            store.display()
        )
    );

    // The same revision again: nothing to upload.
    let again = edn(&push("v1"));
    assert_eq!(int(&again, &["uploaded", "bytes"]), 0);
    assert_eq!(int(&again, &["uploaded", "parts"]), 0);

    // One line changed: a small delta against the previous revision.
    let lib = app.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        source.replace(
            "Hello from ion.starter",
            "Hello from the edited ion.starter",
        ),
    )
    .unwrap();
    let second = edn(&push("v2"));
    let (uploaded, of) = (
        int(&second, &["uploaded", "bytes"]),
        int(&second, &["uploaded", "component-bytes"]),
    );
    eprintln!("one-line change: uploaded {uploaded} of {of} bytes");
    assert!(
        uploaded * 4 < of,
        "a one-line change uploaded {uploaded} of {of} bytes"
    );

    // A uname names one revision: other content under it is refused.
    std::fs::write(
        &lib,
        source.replace("Hello from ion.starter", "Hello, third version"),
    )
    .unwrap();
    let reused = host_at(&home)
        .args(["push", "--app"])
        .arg(&app)
        .args(["--uname", "v1", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(reused.status.code(), Some(2));
    assert!(
        error_line(&reused).contains("uname \"v1\" already names a different revision"),
        "{}",
        stderr(&reused)
    );

    // Every stored part is named by the SHA-256 of its content: load v2 on a machine
    // with empty caches, byte for byte what was built.
    let fresh = dir.join("fresh-home");
    let out = ok(host_at(&fresh)
        .args(["invoke", "--uname", "v2", "--store"])
        .arg(&store)
        .args(["ion.starter/web", r#"{:request-method :get :uri "/"}"#])
        .output()
        .unwrap());
    assert!(
        stdout(&out).contains("Hello from the edited ion.starter"),
        "{}",
        stdout(&out)
    );
    let listed = edn(&ok(host_at(&home)
        .args(["revisions", "--app-name", "starter", "--store"])
        .arg(&store)
        .output()
        .unwrap()));
    let Edn::Vector(revs) = &listed else { panic!() };
    assert_eq!(revs.len(), 2, "{}", ion_edn::print(&listed));

    // A flipped byte in a stored part is refused, naming the part.
    let parts_dir = store.join("parts/sha256");
    let biggest = std::fs::read_dir(&parts_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&biggest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&biggest, bytes).unwrap();
    let corrupt = host_at(&dir.join("another-fresh-home"))
        .args(["invoke", "--uname", "v1", "--store"])
        .arg(&store)
        .args(["echo", "1"])
        .output()
        .unwrap();
    let name = biggest.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(corrupt.status.code(), Some(2));
    assert!(
        error_line(&corrupt).contains(&format!("part sha256:{name} in the store"))
            && error_line(&corrupt).contains("is corrupt"),
        "{}",
        stderr(&corrupt)
    );
}

#[test]
fn a_reproducible_push_is_named_by_its_commit_and_needs_a_clean_tree_inside_the_repository() {
    let dir = scratch("git");
    let (store, home) = (dir.join("store"), dir.join("home"));
    let push = |app: &Path| {
        host_at(&home)
            .args(["push", "--app"])
            .arg(app)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap()
    };

    // Not in a repository.
    let loose = dir.join("loose");
    starter_copy(&loose, "starter-loose", &repo().join("sdk/rust"));
    let out = push(&loose);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_line(&out).contains("is not in a git repository"),
        "{}",
        stderr(&out)
    );
    assert!(
        error_line(&out).contains("--uname NAME"),
        "{}",
        stderr(&out)
    );

    // A repository whose app depends on an SDK outside it.
    let outside = dir.join("outside");
    starter_copy(
        &outside.join("app"),
        "starter-outside",
        &repo().join("sdk/rust"),
    );
    std::fs::write(outside.join(".gitignore"), "target/\n").unwrap();
    ok(host_at(&home)
        .args(["build", "--app"])
        .arg(outside.join("app"))
        .output()
        .unwrap());
    git(&outside, &["init", "-q"]);
    git(&outside, &["add", "-A"]);
    git(&outside, &["commit", "-q", "-m", "app"]);
    let out = push(&outside.join("app"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_line(&out).contains("local path dependencies outside the repository")
            && error_line(&out).contains("ion-sdk"),
        "{}",
        stderr(&out)
    );

    // A repository holding the app and the SDK it uses: named by HEAD once clean.
    let mono = dir.join("mono");
    for item in ["sdk", "wit"] {
        copy_dir(&repo().join(item), &mono.join(item));
    }
    std::fs::copy(repo().join("Cargo.toml"), mono.join("Cargo.toml")).unwrap();
    starter_copy(&mono.join("app"), "starter-mono", &mono.join("sdk/rust"));
    std::fs::write(mono.join(".gitignore"), "target/\n").unwrap();
    ok(host_at(&home)
        .args(["build", "--app"])
        .arg(mono.join("app"))
        .output()
        .unwrap());
    git(&mono, &["init", "-q"]);
    git(&mono, &["add", "-A"]);
    git(&mono, &["commit", "-q", "-m", "app"]);
    std::fs::write(mono.join("app/notes.txt"), "wip").unwrap();
    let dirty = push(&mono.join("app"));
    assert_eq!(dirty.status.code(), Some(2));
    assert!(
        error_line(&dirty).contains("has uncommitted changes (?? app/notes.txt)"),
        "{}",
        stderr(&dirty)
    );
    std::fs::remove_file(mono.join("app/notes.txt")).unwrap();
    let head = Command::new("git")
        .arg("-C")
        .arg(&mono)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    let head = stdout(&head).trim().to_owned();
    let doc = edn(&ok(push(&mono.join("app"))));
    assert_eq!(text(&doc, "rev"), head);
    assert!(ion_edn::get(&doc, "uname").is_none());
    assert_eq!(
        text(&doc, "deploy-command"),
        format!(
            "host deploy --group GROUP --rev {head} --store {}",
            store.display()
        )
    );
    // The same commit again uploads nothing; the op-map form pushes too.
    assert_eq!(
        int(&edn(&ok(push(&mono.join("app")))), &["uploaded", "bytes"]),
        0
    );
    let op = format!(
        "{{:op :push :uname \"janes-wip\" :app {:?} :store {:?}}}",
        mono.join("app").display().to_string(),
        store.display().to_string()
    );
    let doc = edn(&ok(host_at(&home).arg(op).output().unwrap()));
    assert_eq!(text(&doc, "uname"), "janes-wip");
    assert_eq!(int(&doc, &["uploaded", "parts"]), 0);
}

/// A component that imports `names` and nothing else, in an app folder of its own.
fn importing_app(dir: &Path, names: &[&str]) -> PathBuf {
    use wasm_encoder::{
        Component, ComponentImportSection, ComponentTypeRef, ComponentTypeSection, InstanceType,
    };
    let mut types = ComponentTypeSection::new();
    types.instance(&InstanceType::new());
    let mut imports = ComponentImportSection::new();
    for name in names {
        imports.import(*name, ComponentTypeRef::Instance(0));
    }
    let mut component = Component::new();
    component.section(&types);
    component.section(&imports);
    let app = dir.join("conflicted");
    std::fs::create_dir_all(app.join("target/ion")).unwrap();
    std::fs::write(app.join("ion-config.edn"), "{:app-name \"conflicted\"}\n").unwrap();
    std::fs::write(app.join("target/ion/app.wasm"), component.finish()).unwrap();
    app
}

#[test]
fn imports_the_host_lacks_are_dependency_conflicts_with_the_hosts_version() {
    let dir = scratch("conflicts");
    let app = importing_app(
        &dir,
        &[
            "wasi:cli/environment@0.2.3",
            "ion:host/env@0.1.0",
            "wasi:http/types@0.3.0",
            "acme:billing/ledger@1.2.0",
        ],
    );
    let out = ok(host_at(&dir.join("home"))
        .args(["push", "--no-build", "--uname", "c1", "--app"])
        .arg(&app)
        .arg("--store")
        .arg(dir.join("store"))
        .output()
        .unwrap());
    let doc = edn(&out);
    let deps = ion_edn::get(&doc, "dependency-conflicts").and_then(|c| ion_edn::get(c, "deps"));
    assert_eq!(
        deps.map(ion_edn::print).unwrap_or_default(),
        r#"{"acme:billing/ledger" {:host nil, :import "acme:billing/ledger@1.2.0", :wanted "1.2.0"}, "wasi:http/types" {:host "wasi:http/types@0.2.12", :import "wasi:http/types@0.3.0", :wanted "0.3.0"}}"#,
        "{}",
        stdout(&out)
    );
    // --no-build without a uname is refused: no commit is known to have made the file.
    let out = host_at(&dir.join("home"))
        .args(["push", "--no-build", "--app"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_line(&out).contains("--uname NAME"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn gc_removes_only_what_no_revision_needs_and_compiled_code_is_reused() {
    let dir = scratch("gc");
    let (store, home) = (dir.join("store"), dir.join("home"));
    let app = dir.join("app");
    starter_copy(&app, "starter-gc", &repo().join("sdk/rust"));
    let push = |uname: &str| {
        ok(host_at(&home)
            .args(["push", "--uname", uname, "--app"])
            .arg(&app)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap());
    };
    push("g1");
    let lib = app.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        source.replace("Hello from ion.starter", "Hello from g2"),
    )
    .unwrap();
    push("g2");
    // g1 goes away; g2's parts are deltas against g1's, so gc must keep those.
    std::fs::remove_file(store.join("revisions/starter/uname/g1.edn")).unwrap();
    std::fs::write(store.join("parts/sha256").join("0".repeat(64)), b"stray").unwrap();
    let gc = |grace: &str| {
        edn(&ok(host_at(&home)
            .args(["gc", "--grace-secs", grace, "--store"])
            .arg(&store)
            .output()
            .unwrap()))
    };
    assert_eq!(int(&gc("3600"), &["deleted"]), 0, "young parts are kept");
    let report = gc("0");
    assert!(
        int(&report, &["deleted"]) >= 1,
        "{}",
        ion_edn::print(&report)
    );
    assert!(!store.join("parts/sha256").join("0".repeat(64)).exists());

    let fresh = dir.join("fresh-home");
    let invoke = || {
        ok(host_at(&fresh)
            .args(["invoke", "--uname", "g2", "--store"])
            .arg(&store)
            .args(["ion.starter/web", r#"{:request-method :get :uri "/"}"#])
            .output()
            .unwrap())
    };
    let first = invoke();
    assert!(
        stdout(&first).contains("Hello from g2"),
        "{}",
        stdout(&first)
    );
    assert!(
        stderr(&first).contains("compiled the component"),
        "{}",
        stderr(&first)
    );
    let second = invoke();
    assert!(
        stderr(&second).contains("compiled code loaded from the cache"),
        "{}",
        stderr(&second)
    );
    assert!(
        !stderr(&second).contains("compiled the component"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn pushes_to_s3_upload_each_part_once_and_load_back() {
    let moto = Moto::start();
    let dir = scratch("s3");
    let python = |args: &[&str]| {
        let out = Command::new(venv_python())
            .arg(repo().join("tests/clients/s3_objects.py"))
            .arg(&moto.url)
            .args(args)
            .output()
            .unwrap();
        ok(out)
    };
    python(&["create-bucket", "ion-revisions"]);
    let app = dir.join("app");
    starter_copy(&app, "starter-s3", &repo().join("sdk/rust"));
    let s3 = |home: &str, args: &[&str]| {
        let mut cmd = host_at(&dir.join(home));
        // The endpoint through the flag where there is one, else the SDK's variable.
        cmd.envs(AWS_ENV)
            .env("AWS_ENDPOINT_URL_S3", &moto.url)
            .args(args);
        cmd.args(["--store", "s3://ion-revisions/team-a"]);
        if args[0] != "invoke" {
            cmd.args(["--endpoint-url", &moto.url]);
        }
        cmd.output().unwrap()
    };
    let app_arg = app.display().to_string();
    let first = edn(&ok(s3(
        "home",
        &["push", "--uname", "s1", "--app", &app_arg],
    )));
    let objects: serde_json::Value =
        serde_json::from_str(&stdout(&python(&["list", "ion-revisions", "team-a/"]))).unwrap();
    let keys: Vec<&str> = objects
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap())
        .collect();
    let parts = keys
        .iter()
        .filter(|k| k.starts_with("team-a/parts/sha256/"))
        .count() as i64;
    assert_eq!(parts, int(&first, &["uploaded", "parts"]), "{keys:?}");
    assert!(
        keys.contains(&"team-a/revisions/starter/uname/s1.edn"),
        "{keys:?}"
    );
    let stored: i64 = objects
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Size"].as_i64().unwrap())
        .sum();
    assert!(
        stored >= int(&first, &["uploaded", "bytes"]) - 64,
        "{stored}"
    );

    // Another push of the same component under a new name uploads no part again.
    let second = edn(&ok(s3(
        "home",
        &["push", "--uname", "s2", "--app", &app_arg],
    )));
    assert_eq!(int(&second, &["uploaded", "parts"]), 0);
    let listed = edn(&ok(s3("home", &["revisions"])));
    let Edn::Vector(revs) = &listed else { panic!() };
    assert_eq!(revs.len(), 2);

    // A node with empty caches loads the revision from S3.
    let out = ok(s3(
        "node-home",
        &["invoke", "--uname", "s1", "echo", "[\"from s3\"]"],
    ));
    assert_eq!(stdout(&out), "[\"from s3\"]");
}

#[test]
fn concurrent_pushes_to_one_store_all_land_whole() {
    let dir = scratch("concurrent");
    let store = dir.join("store");
    let built = app("examples/starter");
    let pushes: Vec<_> = ["p1", "p2", "p3", "p3"]
        .iter()
        .enumerate()
        .map(|(i, uname)| {
            host_at(&dir.join(format!("home-{i}")))
                .args(["push", "--no-build", "--uname", uname, "--app"])
                .arg(&built)
                .arg("--store")
                .arg(&store)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in pushes {
        ok(child.wait_with_output().unwrap());
    }
    for uname in ["p1", "p2", "p3"] {
        let out = ok(host_at(&dir.join("reader"))
            .args(["invoke", "--uname", uname, "--store"])
            .arg(&store)
            .args(["echo", "[1]"])
            .output()
            .unwrap());
        assert_eq!(stdout(&out), "[1]");
    }
    let names: Vec<String> = std::fs::read_dir(store.join("parts/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.len() == 64),
        "stray temporary files: {names:?}"
    );
}
