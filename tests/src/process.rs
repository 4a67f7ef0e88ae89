//! Other processes as the tests see them: whether one is still running (a zombie is not) and
//! which is its parent. Read from `/proc` on Linux; macOS and the BSDs have none, so there `ps`
//! answers.

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
