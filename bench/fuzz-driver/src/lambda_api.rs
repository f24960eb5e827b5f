//! The Lambda API target: each input is an HTTP request (head and body) sent over loopback
//! to a real `host serve` node serving the hostile test app. The driver frames it
//! (`Content-Length`, `Connection: close`) so the node reads the whole request, then
//! waits for its answer. A finding is a panic in the node's log, the node exiting, or no
//! answer within `ANSWER_WITHIN`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The longest an answer may take: the slowest lambda of the hostile app runs 5 s.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(15);

/// A `host serve` node, killed on drop.
pub struct Node {
    child: Mutex<Child>,
    addr: SocketAddr,
    log: Mutex<std::fs::File>,
    log_path: PathBuf,
}

/// The `host` binary: `$ION_FUZZ_HOST`, else `host` beside this executable's folder
/// (`target/debug/host` for `target/debug/deps/…` and `target/debug/ion-fuzz-driver`).
pub fn host_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ION_FUZZ_HOST") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("the current executable");
    let dir = exe.parent().expect("the executable's folder");
    [dir.join("host"), dir.join("../host")]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| dir.join("host"))
}

/// Where guest apps are built: the e2e tests' folder, so their build is reused.
fn guest_target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo().join("target"))
        .join("guests")
}

impl Node {
    /// Builds the hostile test app and serves it on a loopback Lambda API port.
    pub fn start(host: &Path) -> Result<Node, String> {
        let app = crate::repo().join("tests/guests/hostile");
        let home = std::env::temp_dir().join(format!("ion-fuzz-home-{}", std::process::id()));
        let command = || {
            let mut cmd = Command::new(host);
            cmd.env("CARGO_TARGET_DIR", guest_target_dir())
                .env("ION_HOME", &home);
            for var in [
                "ION_ENV_MAP",
                "DATOMIC_ENV_MAP",
                "ION_LOG",
                "ION_LOG_FORMAT",
            ] {
                cmd.env_remove(var);
            }
            cmd
        };
        let built = command()
            .args(["build", "--app"])
            .arg(&app)
            .output()
            .map_err(|e| format!("running {} build: {e}", host.display()))?;
        if !built.status.success() {
            return Err(format!(
                "host build --app {} failed:\n{}",
                app.display(),
                String::from_utf8_lossy(&built.stderr)
            ));
        }
        let log_path =
            std::env::temp_dir().join(format!("ion-fuzz-node-{}.log", std::process::id()));
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let mut child = command()
            .args(["serve", "--no-build", "--app"])
            .arg(&app)
            .args(["--lambda-api", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting host serve: {e}"))?;
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("piped")),
            &mut line,
        )
        .map_err(|e| e.to_string())?;
        let addr = ion_edn::read(&line)
            .ok()
            .and_then(|ready| match ion_edn::get(&ready, "lambda-api") {
                Some(ion_edn::Edn::Str(a)) => a.parse().ok(),
                _ => None,
            })
            .ok_or_else(|| {
                format!(
                    "host serve printed {line:?}, not its addresses:\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                )
            })?;
        let log = std::fs::File::open(&log_path).map_err(|e| e.to_string())?;
        Ok(Node {
            child: child.into(),
            addr,
            log: log.into(),
            log_path,
        })
    }

    /// Sends one request and checks the node survived it unharmed.
    pub fn send(&self, data: &[u8]) -> Result<(), String> {
        let request = frame(data);
        let mut stream = TcpStream::connect(self.addr).map_err(|e| format!("connecting: {e}"))?;
        stream.set_read_timeout(Some(ANSWER_WITHIN)).ok();
        stream.set_write_timeout(Some(ANSWER_WITHIN)).ok();
        // The node may answer (400) and close before it has read it all: not a finding.
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let read = stream.read_to_end(&mut answer);
        if let Some(status) = self
            .child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_wait()
            .map_err(|e| e.to_string())?
        {
            return Err(format!("the node exited ({status}):\n{}", self.log_tail()));
        }
        let mut new = String::new();
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read_to_string(&mut new)
            .ok();
        if let Some(at) = new.find("panicked at") {
            let start = new[..at].rfind('\n').map_or(0, |i| i + 1);
            return Err(format!(
                "the node panicked: {}",
                &new[start..(at + 400).min(new.len())]
            ));
        }
        match read {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Err(format!("no answer within {ANSWER_WITHIN:?} (a hang)"))
            }
            _ => Ok(()),
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let mut start = text.len().saturating_sub(2000);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        text[start..].to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `data` as one well-framed request: its head (up to the first blank line) without the
/// framing headers, then `Connection: close` and the body's true `Content-Length`.
pub fn frame(data: &[u8]) -> Vec<u8> {
    let (head, body) = match data.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (&data[..i], &data[i + 4..]),
        None => (data, &[][..]),
    };
    let mut out = Vec::with_capacity(data.len() + 64);
    for (i, line) in head.split(|&b| b == b'\n').enumerate() {
        let lower = String::from_utf8_lossy(line).to_ascii_lowercase();
        let framing = ["content-length:", "transfer-encoding:", "connection:"]
            .iter()
            .any(|h| lower.starts_with(h));
        if i > 0 && framing || line.is_empty() {
            continue;
        }
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "Connection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}
