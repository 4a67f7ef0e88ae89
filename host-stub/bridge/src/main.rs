//! `openclaw-provider-bridge`: the provider plugin in this folder, served over JSON on stdio to
//! hosts that cannot load a native plugin. All the work is in `provider_bridge`.

fn main() -> std::process::ExitCode {
    provider_bridge::main()
}
