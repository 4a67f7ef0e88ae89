//! Runs a command and prints its wall time and peak RSS: `measure-child PROGRAM [ARGS…]` prints
//! `<wall ms> <peak RSS KiB> <exit code>`.
//!
//! Benchmarks launch measured commands through this small process because Linux carries a
//! process's memory high-water mark across `exec`: a child spawned straight from a large
//! benchmark process would report the benchmark's RSS as its own.

use std::{
    process::{Command, Stdio},
    time::Instant,
};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: measure-child PROGRAM [ARGS…]");
        std::process::exit(2);
    };
    let start = Instant::now();
    let child = match Command::new(&program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => {
            eprintln!("cannot start {}: {err}", program.to_string_lossy());
            std::process::exit(2);
        }
    };
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; the pointers are valid for the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_ms = start.elapsed().as_secs_f64() * 1000.0;
    std::mem::forget(child); // reaped above
    if reaped != pid {
        eprintln!("wait4 failed");
        std::process::exit(2);
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    println!("{wall_ms:.3} {} {code}", usage.ru_maxrss);
}
