//! The stable-Rust fuzz driver (`scripts/fuzz`). Supervisor mode runs every target in a
//! worker process of its own for a bounded time and prints a table; a worker runs one
//! target on its corpus and then on random mutations of it, catching panics. A worker
//! that dies (stack overflow, abort) is restarted, and the input it was running — kept in
//! a file before each run — is saved as a crash. Every crash lands in
//! `tests/cases/fuzz/<target>/crash-<hash>`, where the regression test replays it.
//!
//! Usage: ion-fuzz-driver [SECONDS_PER_TARGET] [TARGET...]

use ion_fuzz_driver::{TARGETS, corpus, corpus_dir, lambda_api, mutate, run};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Worker threads run targets on the stack a tokio worker thread has (2 MiB), so deep
/// recursion that would crash a node crashes here too.
const STACK: usize = 2 * 1024 * 1024;
/// Restarts of a dying worker per target before the target is given up.
const MAX_RESTARTS: u32 = 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        let [_, target, secs, seed, current, skip] = args.as_slice() else {
            panic!("--worker TARGET SECONDS SEED CURRENT_FILE SKIP_CORPUS");
        };
        let (secs, seed) = (secs.parse().expect("seconds"), seed.parse().expect("seed"));
        let (target, current, skip) = (target.clone(), PathBuf::from(current), skip == "true");
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || worker(&target, secs, seed, &current, skip))
            .expect("spawning the worker thread")
            .join()
            .expect("the worker thread");
        return;
    }
    let secs: u64 = match args.first() {
        Some(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("{s}: expected seconds per target")),
        None => 30,
    };
    let targets: Vec<&str> = if args.len() > 1 {
        args[1..].iter().map(String::as_str).collect()
    } else {
        TARGETS.to_vec()
    };
    println!("| target | inputs run | crashes | restarts |");
    println!("|---|---:|---:|---:|");
    let mut total_crashes = 0;
    for target in targets {
        let (inputs, crashes, restarts) = supervise(target, secs);
        total_crashes += crashes;
        println!("| {target} | {inputs} | {crashes} | {restarts} |");
    }
    if total_crashes > 0 {
        eprintln!("crashes were saved under tests/cases/fuzz/<target>/crash-*");
        std::process::exit(1);
    }
}

/// Runs `target` for `secs` in worker processes; returns (inputs, crashes, restarts).
fn supervise(target: &str, secs: u64) -> (u64, u64, u32) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let current =
        std::env::temp_dir().join(format!("ion-fuzz-{}-{target}.current", std::process::id()));
    let (mut inputs, mut crashes, mut restarts) = (0u64, 0u64, 0u32);
    loop {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_secs()
            .max(1);
        let mut child = Command::new(std::env::current_exe().expect("this executable"))
            .args([
                "--worker",
                target,
                &left.to_string(),
                &(1000 + restarts as u64).to_string(),
            ])
            .arg(&current)
            .arg((restarts > 0).to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting a worker");
        let mut last = 0;
        for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
            let line = line.unwrap_or_default();
            let mut words = line.split_whitespace();
            match words.next() {
                Some("progress") | Some("done") => {
                    last = words.next().and_then(|n| n.parse().ok()).unwrap_or(last);
                }
                Some("crash") => {
                    crashes += 1;
                    eprintln!("{target}: {line}");
                }
                _ => eprintln!("{target} worker: {line}"),
            }
        }
        inputs += last;
        let status = child.wait().expect("waiting for a worker");
        if status.success() {
            break;
        }
        let data = std::fs::read(&current).unwrap_or_default();
        let path = save_crash(target, &data);
        crashes += 1;
        eprintln!("{target}: the worker died ({status}) on {}", path.display());
        restarts += 1;
        if restarts >= MAX_RESTARTS || Instant::now() >= deadline {
            break;
        }
    }
    let _ = std::fs::remove_file(&current);
    (inputs, crashes, restarts)
}

/// Saves a crashing input as `crash-<hash>` in the target's corpus.
fn save_crash(target: &str, data: &[u8]) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    let path = corpus_dir(target).join(format!("crash-{:016x}", h.finish()));
    std::fs::create_dir_all(corpus_dir(target)).expect("creating the corpus folder");
    std::fs::write(&path, data).expect("saving a crash");
    path
}

/// The message of the last panic, taken by the hook instead of printing it.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn worker(target: &str, secs: u64, seed: u64, current: &Path, skip_corpus: bool) {
    std::panic::set_hook(Box::new(|info| {
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.to_string());
    }));
    let node = (target == "lambda-api").then(|| {
        lambda_api::Node::start(&lambda_api::host_binary()).unwrap_or_else(|e| {
            println!("error {e}");
            std::process::exit(2)
        })
    });
    let seeds: Vec<Vec<u8>> = corpus(target).into_iter().map(|(_, b)| b).collect();
    let seeds = if seeds.is_empty() {
        vec![Vec::new()]
    } else {
        seeds
    };
    let file = std::fs::File::create(current).expect("creating the current-input file");
    let mut rng = fastrand::Rng::with_seed(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut n, mut crashes) = (0u64, 0u64);
    let mut last_report = Instant::now();
    let mut replay = if skip_corpus { seeds.len() } else { 0 };
    while Instant::now() < deadline {
        let input = if replay < seeds.len() {
            replay += 1;
            seeds[replay - 1].clone()
        } else {
            let a = &seeds[rng.usize(..seeds.len())];
            let b = &seeds[rng.usize(..seeds.len())];
            mutate::mutate(&mut rng, target, a, b)
        };
        file.set_len(0).ok();
        file.write_all_at(&input, 0).ok();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(target, &input, node.as_ref())
        }));
        n += 1;
        if outcome.is_err() {
            crashes += 1;
            let message = PANIC
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            let path = save_crash(target, &input);
            let mut message = message.replace('\n', " ");
            if message.len() > 300 {
                let mut cut = 300;
                while !message.is_char_boundary(cut) {
                    cut -= 1;
                }
                message.truncate(cut);
                message.push('…');
            }
            println!("crash {} {message}", path.display());
        }
        if last_report.elapsed() > Duration::from_millis(500) {
            println!("progress {n} {crashes}");
            last_report = Instant::now();
        }
    }
    println!("done {n} {crashes}");
}
