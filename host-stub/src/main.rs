//! The `host-stub` command. All the work is in the library; see `host_stub::cli`.

fn main() -> std::process::ExitCode {
    host_stub::cli::main()
}
