//! Real OpenClaw in an isolated home: its commands run to success with no token in their output,
//! the JSON document a command prints among its log lines, our folder installed with the
//! documented command.

use std::path::Path;

use openclaw_e2e::{
    MockRouter, Run, SENTINEL_TOKEN,
    openclaw::{Home, assemble_folder},
};
use serde_json::Value;

/// Asserts that the sentinel token is in none of OpenClaw's output.
pub fn assert_no_leak(run: &Run) {
    assert!(
        !run.all_output().contains(SENTINEL_TOKEN),
        "the token leaked into OpenClaw's output:\n{run}"
    );
}

/// Asserts that the command succeeded without the token in its output; returns it.
pub fn ok(run: Run) -> Run {
    assert_eq!(run.code, Some(0), "openclaw failed:\n{run}");
    assert_no_leak(&run);
    run
}

/// The JSON document a command printed (OpenClaw may print log lines before it): from the first
/// `{` or `[` where the rest of the output parses.
pub fn json_of(run: &Run) -> Value {
    let stdout = run.stdout.as_str();
    let mut last_error = None;
    for (start, _) in stdout.match_indices(['{', '[']) {
        match serde_json::from_str(stdout[start..].trim()) {
            Ok(value) => return value,
            Err(err) => last_error = Some(err),
        }
    }
    match last_error {
        None => panic!("no JSON in the output:\n{run}"),
        Some(err) => panic!("output is not JSON ({err}):\n{run}"),
    }
}

/// The first JSON document of a command's output, whatever follows it (log lines, a second
/// document).
pub fn first_json(run: &Run) -> Value {
    let start = run
        .stdout
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in the output:\n{run}"));
    serde_json::Deserializer::from_str(&run.stdout[start..])
        .into_iter::<Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("output is not JSON:\n{run}"))
}

/// A home with our folder installed (assembled in `scratch`), the sentinel token in OpenClaw's
/// environment, the Hub and the router on `router`.
pub fn home_for(router: &MockRouter, scratch: &Path) -> Home {
    let mut home = Home::new();
    home.set_env("HF_TOKEN", SENTINEL_TOKEN)
        .set_env("HF_ENDPOINT", &router.origin());
    install(&home, &assemble_folder(scratch));
    ok(home.run([
        "config",
        "set",
        "plugins.entries.huggingface.config.baseUrl",
        &router.base_url(),
    ]));
    home
}

/// `openclaw plugins install --force --accept-capabilities <source>` (a folder or an archive),
/// as the README says.
pub fn install(home: &Home, source: &Path) -> Run {
    let install = ok(home.run([
        "plugins".as_ref(),
        "install".as_ref(),
        "--force".as_ref(),
        "--accept-capabilities".as_ref(),
        source.as_os_str(),
    ]));
    assert!(
        install.stdout.contains("Installed plugin: huggingface"),
        "{install}"
    );
    install
}
