//! A real PostgreSQL server for the shared-database tests: Debian's `postgresql` package
//! (scripts/test installs it through scripts/setup-postgres), a cluster made with
//! `initdb` in a temp dir, started with `pg_ctl` on a free loopback port, stopped
//! (immediately) on drop. As root, the server runs as the `postgres` user, since
//! PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running PostgreSQL server.
pub struct Postgres {
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Its connection URI (user `postgres`, trust authentication, database `postgres`).
    pub url: String,
}

/// The newest installed PostgreSQL's bin directory.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("/usr/lib/postgresql: scripts/setup-postgres installs Debian's postgresql package")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().expect("an installed PostgreSQL with initdb")
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `bin/tool args…`, as the `postgres` user when the tests run as root.
fn tool(bin: &Path, name: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(bin.join(name));
        cmd
    } else {
        Command::new(bin.join(name))
    }
}

fn checked(out: Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    /// A new cluster under `dir`, started.
    pub fn start(dir: &Path) -> Postgres {
        let bin = bin_dir();
        let data = dir.join("pgdata");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        if is_root() {
            checked(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir)
                    .output()
                    .unwrap(),
                "chown",
            );
        }
        checked(
            tool(&bin, "initdb")
                .args(["-D"])
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
                .output()
                .unwrap(),
            "initdb",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            data,
            bin,
            port,
        };
        pg.pg_ctl("start");
        pg
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=on -c max_connections=200",
            self.port,
            self.data.display()
        );
        let mut cmd = tool(&self.bin, "pg_ctl");
        cmd.args([action, "-w", "-t", "60", "-D"])
            .arg(&self.data)
            .args(["-o", &options, "-l"])
            .arg(self.data.join("server.log"));
        if action != "start" {
            cmd.args(["-m", "fast"]);
        }
        checked(cmd.output().unwrap(), &format!("pg_ctl {action}"));
    }

    /// Stops the server (fast: open connections are cut) and starts it again on the same
    /// port.
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    /// Runs `sql` through psql; its output (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url,
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        checked(out.clone(), &format!("psql {sql:?}"));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = tool(&self.bin, "pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
    }
}
