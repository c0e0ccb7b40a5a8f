//! Child processes that cannot outlive their test: a [`Process`] is stopped when it
//! drops, also when the test panics, and keeps the path of its log so that a failure
//! can say what the process said. Also [`free_port`].

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::wait::WAIT;

/// Runs `command` to its end and hands back what it printed; a failure to start or a
/// non-zero exit is an error carrying the command and its standard error.
pub fn succeed(command: &mut Command) -> Result<Output> {
    let out = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// [`succeed`], and its standard output as text.
pub fn stdout_of(command: &mut Command) -> Result<String> {
    Ok(String::from_utf8_lossy(&succeed(command)?.stdout).into_owned())
}

/// A port nobody listens on right now, for a server a test starts (TCP, and UDP for the
/// DNS servers some tests run).
///
/// It is drawn at random from below the kernel's ephemeral range, never from the range
/// itself: a port the kernel picked for `bind(0)` goes back into that pool when released,
/// and the next outgoing connection of any program (Pebble checking a challenge, a
/// browser) may take it as its own local port before the server binds it. That happened
/// in CI. Below the range only another explicit choice can collide, and this process
/// never hands out the same port twice.
pub fn free_port() -> u16 {
    use std::collections::HashSet;
    use std::hash::{BuildHasher, RandomState};
    use std::net::UdpSocket;
    use std::sync::Mutex;

    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let (low, high) = (10_000u16, ephemeral_range_start().clamp(10_001, 32_768));
    let random = RandomState::new();
    for attempt in 0u64..10_000 {
        let port =
            low + (random.hash_one((attempt, std::process::id())) % u64::from(high - low)) as u16;
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        let handed_out = handed_out.get_or_insert_with(HashSet::new);
        if handed_out.contains(&port) {
            continue;
        }
        let free = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
            && UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok();
        if free {
            handed_out.insert(port);
            return port;
        }
    }
    panic!("no free local port between {low} and {high}");
}

/// The first port the kernel hands out by itself (Linux's default is 32768).
fn ephemeral_range_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// How a dropped [`Process`] is ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// SIGKILL to the whole process group at once: servers and helpers whose children
    /// must go too, and whose shutdown is nothing the test checks.
    KillGroup,
    /// SIGTERM, then SIGKILL after ten seconds: programs that clean up after
    /// themselves when asked (tauri-driver stops its WebKitWebDriver and the app, Xvfb
    /// removes its socket and lock file).
    Terminate,
}

/// A running child process in a process group of its own.
pub struct Process {
    name: String,
    child: Child,
    log: Option<PathBuf>,
    stop: Stop,
    /// Lines of a piped stdout, read by a thread, see [`Process::wait_for_line`].
    lines: Option<mpsc::Receiver<String>>,
}

impl Process {
    /// Starts `command` with its stderr going to `log` (created afresh). The caller
    /// chooses stdin and stdout. Dropping the process kills it and its children.
    pub fn start(name: impl Into<String>, command: &mut Command, log: &Path) -> Result<Process> {
        let file = std::fs::File::create(log)
            .with_context(|| format!("creating the log {}", log.display()))?;
        let mut process = Process::start_unlogged(name, command.stderr(file))?;
        process.log = Some(log.to_owned());
        Ok(process)
    }

    /// Like [`Process::start`], with stdout going to the log too.
    pub fn start_logging_all(
        name: impl Into<String>,
        command: &mut Command,
        log: &Path,
    ) -> Result<Process> {
        let file = std::fs::File::create(log)
            .with_context(|| format!("creating the log {}", log.display()))?;
        let mut process =
            Process::start_unlogged(name, command.stdout(file.try_clone()?).stderr(file))?;
        process.log = Some(log.to_owned());
        Ok(process)
    }

    /// Starts `command` as it is set up, without a log of its own.
    pub fn start_unlogged(name: impl Into<String>, command: &mut Command) -> Result<Process> {
        let name = name.into();
        let child = command
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {name}: {command:?}"))?;
        Ok(Process {
            name,
            child,
            log: None,
            stop: Stop::KillGroup,
            lines: None,
        })
    }

    /// Asks the process to stop with SIGTERM when dropped, instead of killing it.
    pub fn terminate_on_drop(mut self) -> Process {
        self.stop = Stop::Terminate;
        self
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The process's stdin, when it was piped.
    pub fn stdin(&mut self) -> Option<&mut std::process::ChildStdin> {
        self.child.stdin.as_mut()
    }

    /// What the process has written to its log so far.
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|log| std::fs::read_to_string(log).ok())
            .unwrap_or_default()
    }

    /// The last lines of the log, named, for a failure message.
    pub fn log_tail(&self) -> String {
        let Some(log) = &self.log else {
            return format!("{} (no log)", self.name);
        };
        let text = self.log();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("{} (last lines of {}):\n{tail}", self.name, log.display())
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to end by itself; its exit status, or None on timeout.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let child = &mut self.child;
        crate::eventually("the process to exit", within, || {
            child.try_wait().ok().flatten()
        })
        .ok()
    }

    /// SIGKILL to the process and its children, and waits for it: a crash, or a power cut.
    pub fn kill_9(&mut self) {
        // SAFETY: kill() only sends a signal, to our own child's process group, whose
        // leader has not been waited for, so the number cannot have been reused.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }

    /// SIGTERM to the process alone, without waiting: "please finish and stop".
    pub fn send_sigterm(&self) {
        // SAFETY: as in kill_9; the process has not been waited for.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
    }

    /// Waits until something listens on `port` of 127.0.0.1, failing early with the
    /// log if the process ends first.
    pub fn wait_for_port(&mut self, port: u16) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!(
                    "{} exited ({status}) before listening on port {port}\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} did not listen on port {port} within {WAIT:?}\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the process prints `wanted` as a line on its (piped) stdout.
    pub fn wait_for_line(&mut self, wanted: &str) -> Result<()> {
        self.wait_for_line_where(wanted, |line| line.trim() == wanted)
            .map(drop)
    }

    /// Waits until the process prints a line `matches` accepts, and returns it; `wanted`
    /// describes it in the failure message. By convention our helper scripts report a
    /// failure as a line "failed: why", which fails the wait at once. The rest of the
    /// output is read on, so the process never blocks on a full pipe.
    pub fn wait_for_line_where(
        &mut self,
        wanted: &str,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String> {
        if self.lines.is_none() {
            let stdout = self
                .child
                .stdout
                .take()
                .ok_or_else(|| anyhow!("{}'s output is not piped", self.name))?;
            let (sender, receiver) = mpsc::channel();
            // A thread, because std has no reading with a timeout.
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
            self.lines = Some(receiver);
        }
        let lines = self.lines.as_ref().expect("set just above");
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return Ok(line),
                Ok(line) if line.starts_with("failed") => {
                    bail!("{} reported: {line}\n{}", self.name, self.log_tail())
                }
                Ok(_) => {}
                Err(RecvTimeoutError::Disconnected) => bail!(
                    "{} ended before saying \"{wanted}\"\n{}",
                    self.name,
                    self.log_tail()
                ),
                Err(RecvTimeoutError::Timeout) => bail!(
                    "{} did not say \"{wanted}\" within {WAIT:?}\n{}",
                    self.name,
                    self.log_tail()
                ),
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        match self.stop {
            Stop::KillGroup => self.kill_9(),
            Stop::Terminate => {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                self.send_sigterm();
                if self.wait_exit(Duration::from_secs(10)).is_none() {
                    eprintln!(
                        "warning: {} did not stop within 10 s of SIGTERM; killing it",
                        self.name
                    );
                    self.kill_9();
                }
            }
        }
    }
}
