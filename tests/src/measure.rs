//! Measuring for benchmarks: wall time and peak resident memory of whole commands (from
//! `wait4`'s resource usage, read by the `measure-child` launcher), runs of the measured command
//! interleaved with runs of its baseline so both see the same machine noise, and medians reported
//! side by side; and the growth of this process's own peak memory across a phase run in process.

use std::{
    path::Path,
    process::{Command, Stdio},
};

/// A benchmark's size setting (`RUNS`, `EVENTS`, …) from the environment, or `default` when it is
/// unset or not a number.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// One run's figures.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub wall_ms: f64,
    pub peak_rss_kib: u64,
    pub success: bool,
}

/// Runs `command` to completion through `launcher` (the `measure-child` binary) and reads its
/// figures. The launcher is a small process, so the command's peak RSS is its own: Linux
/// carries a process's memory high-water mark across `exec`, and a command spawned straight
/// from a large benchmark process would report the benchmark's RSS.
///
/// `command` must have been built with `env_clear()` (as [`crate::Sandbox::command`] does):
/// only its explicitly set variables are passed on.
pub fn sample(launcher: &Path, command: &Command) -> Sample {
    let mut wrapped = Command::new(launcher);
    wrapped
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    for (name, value) in command.get_envs() {
        if let Some(value) = value {
            wrapped.env(name, value);
        }
    }
    let output = wrapped.output().expect("running measure-child");
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let parse = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok());
    match (parse(0), parse(1), parse(2)) {
        (Some(wall_ms), Some(rss), Some(code)) => Sample {
            wall_ms,
            peak_rss_kib: rss as u64,
            success: output.status.success() && code == 0.0,
        },
        _ => panic!("measure-child printed {text:?}"),
    }
}

/// Medians of a series of samples.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub runs: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub median_rss_kib: u64,
    pub max_rss_kib: u64,
}

/// Summarises samples; panics if any run failed (a failing command measures nothing).
pub fn summarise(samples: &[Sample]) -> Summary {
    assert!(
        samples.iter().all(|s| s.success),
        "a measured command failed"
    );
    let mut times: Vec<f64> = samples.iter().map(|s| s.wall_ms).collect();
    times.sort_by(f64::total_cmp);
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    rss.sort_unstable();
    Summary {
        runs: samples.len(),
        median_ms: percentile(&times, 0.5),
        p90_ms: percentile(&times, 0.9),
        median_rss_kib: rss[rss.len() / 2],
        max_rss_kib: rss.last().copied().unwrap_or_default(),
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

/// Runs each named command `runs` times, interleaved round-robin after `warmup` unmeasured
/// rounds, and returns one summary per command in the given order.
pub fn compare(
    launcher: &Path,
    commands: &mut [(&str, &mut dyn FnMut() -> Command)],
    warmup: usize,
    runs: usize,
) -> Vec<(String, Summary)> {
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); commands.len()];
    for round in 0..warmup + runs {
        for (index, (_, make)) in commands.iter_mut().enumerate() {
            let measured = sample(launcher, &make());
            if round >= warmup {
                samples[index].push(measured);
            }
        }
    }
    commands
        .iter()
        .zip(samples)
        .map(|((name, _), samples)| ((*name).to_owned(), summarise(&samples)))
        .collect()
}

/// Prints summaries as a Markdown table, with each row's median relative to the first row.
pub fn print_table(title: &str, rows: &[(String, Summary)]) {
    println!("\n{title}\n");
    println!(
        "| command | runs | median ms | p90 ms | vs baseline | median peak RSS MiB | max peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|");
    let baseline = rows.first().map(|(_, s)| s.median_ms).unwrap_or(1.0);
    for (name, s) in rows {
        println!(
            "| `{name}` | {} | {:.2} | {:.2} | +{:.2} ms ({:.2}x) | {:.1} | {:.1} |",
            s.runs,
            s.median_ms,
            s.p90_ms,
            s.median_ms - baseline,
            s.median_ms / baseline,
            s.median_rss_kib as f64 / 1024.0,
            s.max_rss_kib as f64 / 1024.0,
        );
    }
}

/// This process's peak resident set so far, in KiB (Linux `VmHWM`; 0 where unknown).
pub fn own_peak_rss_kib() -> u64 {
    own_status_kib("VmHWM:")
}

/// Resets this process's peak resident set to its current size (`/proc/self/clear_refs`,
/// Linux 4.0+) and returns that size in KiB, so a later [`own_peak_rss_kib`] measures the growth
/// from here. Where the reset is refused, the old peak stays and the growth reads high.
pub fn reset_own_peak_rss_kib() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    own_status_kib("VmRSS:")
}

fn own_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
