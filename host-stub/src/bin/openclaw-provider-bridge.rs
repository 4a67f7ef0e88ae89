//! `openclaw-provider-bridge`: the provider plugin in this folder, one operation per run, JSON over
//! stdio — for hosts that cannot load a native plugin. All the work is in `host_stub::bridge`.

fn main() -> std::process::ExitCode {
    host_stub::bridge::main()
}
