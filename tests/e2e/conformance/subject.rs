//! The app under test: built, given a home with the tutorial database and parameters,
//! and served by a node; plus the calls cases make through it.

use crate::server::{Server, agent};
use crate::support::{app, host, stderr};
use ion_edn::Edn;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The parameters every starter reads.
pub const PARAMS: [(&str, &str); 2] = [
    ("/conformance/greeting", "héllo wörld"),
    ("/conformance/nested/deeper", "🚀"),
];

/// The tutorial's items, as `create-item` arguments.
pub const ITEMS: &str = r#"[[ion.starter/create-item "SKU-1" "small" "red" "shirt"]
 [ion.starter/create-item "SKU-21" "large" "blue" "shirt"]
 [ion.starter/create-item "SKU-42" :medium :green "hat"]]"#;

/// The tutorial database's name.
pub const DB: &str = "datomic-docs-tutorial";

/// One served starter.
pub struct Subject {
    /// The app folder.
    pub dir: PathBuf,
    /// Its `:app-name`, also its compute group's name.
    pub app_name: String,
    /// Its node's home (databases, params, caches).
    pub home: PathBuf,
    /// The node serving it.
    pub server: Server,
}

impl Subject {
    /// Builds `app`, fills its home and serves it.
    pub fn start(app_path: &str) -> Subject {
        let dir = app(app_path);
        let config = std::fs::read_to_string(dir.join("ion-config.edn")).unwrap();
        let app_name = match ion_edn::get(&ion_edn::read(&config).unwrap(), "app-name") {
            Some(Edn::Str(s)) => s.to_string(),
            other => panic!("{app_path}: :app-name is {other:?}"),
        };
        let home =
            std::env::temp_dir().join(format!("ion-conformance-{}-{app_name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        let mut subject_params: Vec<(String, String)> = PARAMS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        subject_params.push((
            format!("/datomic-shared/conformance/{app_name}/db-name"),
            DB.to_owned(),
        ));
        for (name, value) in &subject_params {
            let out = host()
                .env("ION_HOME", &home)
                .args(["params", "put", "--store"])
                .arg(home.join("params.edn"))
                .args([name, value])
                .output()
                .unwrap();
            assert!(out.status.success(), "params put: {}", stderr(&out));
        }
        fill_tutorial(&dir, &home, None);
        // The node opens the database from an index root and reads it through segments,
        // and indexes again every 2 KiB of log as the cases transact.
        let out = host()
            .env("ION_HOME", &home)
            .args(["db", "index", DB])
            .output()
            .unwrap();
        assert!(out.status.success(), "db index: {}", stderr(&out));
        let server = Server::serve_app(
            &dir,
            &[
                ("ION_HOME", home.to_str().unwrap()),
                ("ION_ENV_MAP", "{:env :conformance}"),
                ("ION_DB_INDEX_EVERY", "2KiB"),
            ],
            &[
                "--params",
                &format!("local:{}", home.join("params.edn").display()),
            ],
        );
        Subject {
            dir,
            app_name,
            home,
            server,
        }
    }

    /// `host ARGS` in this subject's home.
    pub fn host(&self, args: &[&str]) -> Output {
        host()
            .env("ION_HOME", &self.home)
            .args(args)
            .output()
            .unwrap()
    }

    /// `host invoke --app DIR --no-build NAME INPUT`.
    pub fn invoke(&self, name: &str, input: &str) -> Output {
        let dir = self.dir.to_str().unwrap().to_owned();
        self.host(&["invoke", "--app", &dir, "--no-build", name, input])
    }

    /// An HTTP Direct request; returns status, content type and body.
    pub fn web(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Web {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.server.http));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let mut r = agent().run(req.body(body.to_vec()).unwrap()).unwrap();
        Web {
            status: r.status().as_u16(),
            content_type: r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: r
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .unwrap(),
        }
    }

    /// A Lambda Invoke API call of `{app-name}-{lambda}`.
    pub fn lambda(&self, lambda: &str, payload: &[u8], headers: &[(&str, &str)]) -> Lambda {
        let mut req = ureq::http::Request::builder().method("POST").uri(format!(
            "{}/2015-03-31/functions/{}-{lambda}/invocations",
            self.server.lambda, self.app_name
        ));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut r = agent().run(req.body(payload.to_vec()).unwrap()).unwrap();
        let header = |name: &str| {
            r.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        Lambda {
            status: r.status().as_u16(),
            function_error: header("x-amz-function-error"),
            request_id: header("x-amzn-requestid"),
            body: r
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .unwrap(),
        }
    }
}

/// Creates and fills the tutorial database in `home` (or `db_dir`) through the app's own
/// get-schema lambda and create-item transaction function.
pub fn fill_tutorial(dir: &Path, home: &Path, db_dir: Option<&Path>) {
    let run = |args: &[&str]| {
        let mut cmd = host();
        cmd.env("ION_HOME", home).args(args);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "host {args:?} failed:\n{}",
            stderr(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let app = dir.to_str().unwrap();
    let db_dir = db_dir.map(|d| d.to_str().unwrap());
    // `host db [--db-dir D] [--app APP --no-build] ARGS...`
    let db = |with_app: bool, args: &[&str]| {
        let mut v = vec!["db"];
        v.extend(db_dir.iter().flat_map(|d| ["--db-dir", d]));
        if with_app {
            v.extend(["--app", app, "--no-build"]);
        }
        v.extend(args);
        run(&v)
    };
    db(false, &["create", DB]);
    let schema = run(&["invoke", "--app", app, "--no-build", "get-schema"]);
    db(false, &["transact", DB, schema.trim()]);
    db(true, &["transact", DB, ITEMS]);
}

/// An HTTP Direct response.
pub struct Web {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Web {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body read as EDN.
    pub fn edn(&self) -> Edn<'static> {
        ion_edn::read(&self.text())
            .unwrap_or_else(|e| panic!("the body is not EDN ({e}): {}", self.text()))
    }
}

/// A Lambda Invoke API response.
pub struct Lambda {
    pub status: u16,
    pub function_error: Option<String>,
    pub request_id: Option<String>,
    pub body: Vec<u8>,
}

impl Lambda {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text()))
    }
}
