//! Other processes as the tests see them: a child run to its end within a deadline, whether one
//! is still running (a zombie is not) and which is its parent. Read from `/proc` on Linux; macOS
//! and the BSDs have none, so there `ps` answers.

use std::{
    io::Read,
    process::Child,
    time::{Duration, Instant},
};

use crate::Run;

/// Collects what `child` (started with piped stdout and stderr) prints until it exits, failing
/// the test if it has not exited within `deadline` (it is killed then: a hang is the finding).
/// `what` names it in that failure.
pub fn finish_within(mut child: Child, deadline: Duration, what: &str) -> Run {
    let started = Instant::now();
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Whether `pid` runs: it exists and has not exited (an exited child not yet reaped is a
/// zombie, and counts as gone).
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists && state(pid).is_some_and(|state| !state.starts_with('Z'))
}

/// The parent of `pid`, while it exists.
pub fn parent_of(pid: i32) -> Option<i32> {
    stat(pid).and_then(|(_, parent)| parent.parse().ok())
}

/// The process state letter(s) of `pid` (`R`, `S`, `Z`, …).
fn state(pid: i32) -> Option<String> {
    stat(pid).map(|(state, _)| state)
}

/// `pid`'s state and parent pid, as text.
#[cfg(target_os = "linux")]
fn stat(pid: i32) -> Option<(String, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may hold spaces and parentheses: read after the last.
    let mut fields = stat.rsplit_once(") ")?.1.split(' ');
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

#[cfg(not(target_os = "linux"))]
fn stat(pid: i32) -> Option<(String, String)> {
    let output = std::process::Command::new("ps")
        .args(["-o", "stat=", "-o", "ppid=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let mut fields = text.split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}
