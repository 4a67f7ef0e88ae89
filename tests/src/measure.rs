//! Measuring whole commands for benchmarks: wall time and peak resident memory of each run
//! (from `wait4`'s resource usage), runs of the measured command interleaved with runs of its
//! baseline so both see the same machine noise, and medians reported side by side.

use std::{process::Command, time::Instant};

/// One run's figures.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub wall_ms: f64,
    pub peak_rss_kib: u64,
    pub success: bool,
}

/// Runs `command` to completion and measures it.
#[allow(clippy::zombie_processes)] // the child is reaped by wait4, which also reports its usage
pub fn sample(command: &mut Command) -> Sample {
    let start = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawning the measured command");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we just spawned and reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child; the pointers are valid for the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(reaped, pid, "wait4 failed");
    Sample {
        wall_ms,
        peak_rss_kib: usage.ru_maxrss as u64,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
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
    commands: &mut [(&str, &mut dyn FnMut() -> Command)],
    warmup: usize,
    runs: usize,
) -> Vec<(String, Summary)> {
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); commands.len()];
    for round in 0..warmup + runs {
        for (index, (_, make)) in commands.iter_mut().enumerate() {
            let measured = sample(&mut make());
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
