//! A local SSM-compatible server (moto, installed by scripts/setup) for the parameter
//! tests: started on a free loopback port, waited for, filled through boto3, killed on drop.

use crate::support::{repo, venv_python};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// Its endpoint URL.
    pub url: String,
}

impl Moto {
    /// Starts moto and waits until it answers.
    pub fn start() -> Moto {
        Moto::launch(|port| {
            let mut cmd = Command::new(venv_python());
            cmd.args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ]);
            cmd
        })
    }

    /// Starts moto answering one request at a time (tests/clients/moto_serial.py), so
    /// that its conditional writes are atomic, as S3's are.
    pub fn start_serial() -> Moto {
        Moto::launch(|port| {
            let mut cmd = Command::new(venv_python());
            cmd.arg(repo().join("tests/clients/moto_serial.py"))
                .args(["127.0.0.1", &port.to_string()]);
            cmd
        })
    }

    fn launch(command: impl FnOnce(u16) -> Command) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = command(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto (scripts/setup installs it)");
        let url = format!("http://127.0.0.1:{port}");
        let moto = Moto { child, url };
        let deadline = Instant::now() + Duration::from_secs(60);
        let agent = crate::server::agent();
        while agent.get(format!("{}/moto-api/", moto.url)).call().is_err() {
            assert!(Instant::now() < deadline, "moto did not answer within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// Creates S3 bucket `name` through boto3.
    pub fn create_bucket(&self, name: &str) {
        let out = Command::new(venv_python())
            .arg(repo().join("tests/clients/s3_objects.py"))
            .args([&self.url, "create-bucket", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "s3_objects.py create-bucket failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Puts parameters `(name, value, type)` through boto3.
    pub fn put(&self, params: &[(&str, &str, &str)]) {
        let list: Vec<serde_json::Value> = params
            .iter()
            .map(|(n, v, t)| serde_json::json!({"Name": n, "Value": v, "Type": t}))
            .collect();
        let out = Command::new(venv_python())
            .arg(repo().join("tests/clients/ssm_put.py"))
            .arg(&self.url)
            .arg(serde_json::Value::Array(list).to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssm_put.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Environment for a `host` that talks to moto: test credentials, no instance metadata,
/// no user AWS config.
pub const AWS_ENV: [(&str, &str); 6] = [
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/nonexistent/ion-test-aws-config"),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/ion-test-aws-credentials",
    ),
];
