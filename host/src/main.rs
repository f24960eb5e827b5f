//! The `host` command: see `host --help`.

fn main() -> std::process::ExitCode {
    ion_host::cli::main()
}
