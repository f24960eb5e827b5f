//! The `host` command: see `host --help`.

fn main() -> std::process::ExitCode {
    one_malloc_arena();
    ion_host::cli::main()
}

/// Caps glibc's malloc arenas at one, unless `MALLOC_ARENA_MAX` says otherwise. By
/// default glibc gives each thread that meets contention an arena of its own, up to 8 per
/// core, and an arena keeps the pages freed inside it: under `scripts/soak`'s steady mixed
/// load the node's short-lived allocations, made on tokio workers and blocking-pool
/// threads, spread over them and RSS rose 43% in 8 minutes while heaptrack showed a flat
/// live heap (/proc smaps put the growth in the arenas). With one arena it rose 12–18%
/// (docs/reliability.md). Called first, before any thread exists.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc parameter, and no other thread runs yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}
