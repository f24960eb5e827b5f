//! A `host serve` process for tests: started on OS-chosen loopback ports (read from the
//! EDN line it prints when ready), stopped with SIGTERM or killed on drop.

use crate::support::{app, host, repo, venv_python};
use ion_edn::Edn;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The admin token test servers use.
pub const TOKEN: &str = "test-token";

/// A running node.
pub struct Server {
    child: Child,
    /// The node's id in its compute group (empty outside one).
    pub node: String,
    /// HTTP Direct base URL.
    pub http: String,
    /// Lambda API base URL.
    pub lambda: String,
    /// Admin API base URL.
    pub admin: String,
    log: PathBuf,
}

impl Server {
    /// Serves test app `app_name` on all three listeners.
    pub fn start(app_name: &str) -> Server {
        Self::start_with(app_name, &[])
    }

    /// Like `start`, with extra arguments after `host serve`.
    pub fn start_with(app_name: &str, extra: &[&str]) -> Server {
        Self::spawn(&["serve", "--no-build"], &app(app_name), extra)
    }

    /// `host dev` on the app folder `dir`.
    pub fn dev(dir: &std::path::Path) -> Server {
        Self::spawn(&["dev"], dir, &[])
    }

    /// A node of the stored compute group `group` (`host serve --group G --store S`),
    /// with `env` added to its environment (for example AWS settings for an S3 store).
    pub fn group_node(group: &str, store: &str, env: &[(&str, &str)]) -> Server {
        let mut cmd = host();
        // Each node has a home of its own, as nodes on separate machines do: its own
        // caches and databases.
        let home =
            std::env::temp_dir().join(format!("ion-node-home-{}-{}", std::process::id(), uuid()));
        cmd.env("ION_HOME", home);
        cmd.args(["serve", "--group", group, "--store", store]);
        cmd.envs(env.iter().copied());
        Self::launch(cmd, &[])
    }

    /// `host serve --no-build --app DIR` with `env` added and `extra` arguments.
    pub fn serve_app(dir: &std::path::Path, env: &[(&str, &str)], extra: &[&str]) -> Server {
        let mut cmd = host();
        cmd.args(["serve", "--no-build", "--app"])
            .arg(dir)
            .envs(env.iter().copied());
        Self::launch(cmd, extra)
    }

    fn spawn(command: &[&str], dir: &std::path::Path, extra: &[&str]) -> Server {
        let mut cmd = host();
        cmd.args(command).arg("--app").arg(dir);
        Self::launch(cmd, extra)
    }

    fn launch(mut cmd: std::process::Command, extra: &[&str]) -> Server {
        let log =
            std::env::temp_dir().join(format!("ion-serve-{}-{}.log", std::process::id(), uuid()));
        cmd.args([
            "--http",
            "127.0.0.1:0",
            "--lambda-api",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("ION_ADMIN_TOKEN", TOKEN)
        .env("ION_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().expect("starting host serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            !line.is_empty(),
            "host serve exited before it was ready:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let ready = ion_edn::read(&line).unwrap();
        let url = |k: &str| match ion_edn::get(&ready, k) {
            Some(Edn::Str(a)) => format!("http://{a}"),
            _ => String::new(),
        };
        Server {
            node: match ion_edn::get(&ready, "node") {
                Some(Edn::Str(id)) => id.to_string(),
                _ => String::new(),
            },
            http: url("http-direct"),
            lambda: url("lambda-api"),
            admin: url("admin"),
            child,
            log,
        }
    }

    /// The node's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The node's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The admin API's health map.
    pub fn health(&self) -> Edn<'static> {
        let mut r = agent()
            .get(format!("{}/health", self.admin))
            .header("authorization", format!("Bearer {TOKEN}"))
            .call()
            .unwrap();
        ion_edn::read(&r.body_mut().read_to_string().unwrap()).unwrap()
    }

    /// Polls the health map until `done` holds (at most 20 s).
    pub fn wait_until(&self, what: &str, done: impl Fn(&Edn<'static>) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let health = self.health();
            if done(&health) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited 20 s for {what}; health is {}",
                ion_edn::print(&health)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Polls the node's log until a line contains `needle` (at most 20 s).
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "waited 20 s for {needle:?} in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Invokes the Lambda API through boto3 with each of `requests` (invoke arguments).
    pub fn boto(&self, requests: serde_json::Value) -> Vec<serde_json::Value> {
        let out = self
            .boto_command(&requests)
            .output()
            .expect("running boto3 (scripts/setup installs it)");
        boto_results(out)
    }

    /// Starts boto3 with `requests` and waits until its client is made; the requests are
    /// sent when `BotoGate::go` is called.
    pub fn boto_gated(&self, requests: serde_json::Value) -> BotoGate {
        let mut child = self
            .boto_command(&requests)
            .arg("--wait-for-go")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running boto3 (scripts/setup installs it)");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the boto3 client did not start");
        BotoGate { child, stdout }
    }

    fn boto_command(&self, requests: &serde_json::Value) -> std::process::Command {
        let mut cmd = std::process::Command::new(venv_python());
        cmd.arg(repo().join("tests/clients/lambda_invoke.py"))
            .arg(&self.lambda)
            .arg(requests.to_string());
        cmd
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(mut self) -> ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A boto3 client waiting to send its requests.
pub struct BotoGate {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
}

impl BotoGate {
    /// Sends the requests and returns their results.
    pub fn go(mut self) -> Vec<serde_json::Value> {
        use std::io::{Read, Write};
        self.child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let mut stdout = Vec::new();
        self.stdout.read_to_end(&mut stdout).unwrap();
        let mut out = self.child.wait_with_output().unwrap();
        out.stdout = stdout;
        boto_results(out)
    }
}

fn boto_results(out: std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "boto3 client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An HTTP client that reports every status as a response, not an error.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent()
}

fn uuid() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
