//! The peer node of a `cross_node` measurement: this same binary run as a child process,
//! found at the address it prints, and killed when the measurement is over (in `Drop`, so
//! also when it failed).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// How long a peer may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running peer node. Dropping it kills it (`kill -9`) and reaps it.
#[derive(Debug)]
pub(crate) struct Peer {
    child: Child,
    addr: SocketAddr,
}

impl Peer {
    /// Runs this binary with `args` and waits for its `listening` line (JSON on stdout:
    /// `{"event":"listening",...,"addr":"127.0.0.1:PORT",...}`), for the port it was given.
    pub(crate) async fn start(args: &[&str]) -> Result<Peer, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find this program to start a peer: {e}"))?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the peer `{}`: {e}", args.join(" ")))?;
        let stdout = child.stdout.take();
        // From here on, every way out kills the child.
        let mut peer = Peer { child, addr: SocketAddr::from(([0, 0, 0, 0], 0)) };
        let stdout = stdout.ok_or("the peer has no stdout")?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || read_listening(stdout, tx));
        peer.addr = match tokio::time::timeout(START_TIMEOUT, rx).await {
            Ok(Ok(addr)) => addr,
            Ok(Err(_)) => {
                return Err(format!("the peer `{}` ended without listening", args.join(" ")));
            }
            Err(_) => {
                return Err(format!(
                    "the peer `{}` did not listen within {START_TIMEOUT:?}",
                    args.join(" ")
                ));
            }
        };
        Ok(peer)
    }

    /// Where the peer listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `kill -9`: the peer's process ends at once, its sockets closed by the system.
    pub(crate) fn kill(&mut self) -> Result<(), String> {
        self.child.kill().map_err(|e| format!("cannot kill the peer: {e}"))
    }

    /// SIGSTOP: the peer's process is suspended with its sockets open (a hung node).
    pub(crate) fn stop(&self) -> Result<(), String> {
        #[cfg(unix)]
        {
            use rustix::process::{Pid, Signal, kill_process};
            kill_process(Pid::from_child(&self.child), Signal::STOP)
                .map_err(|e| format!("cannot stop the peer: {e}"))
        }
        #[cfg(not(unix))]
        {
            Err("stopping the peer needs SIGSTOP (Unix)".into())
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // A stopped process still dies of SIGKILL. Both fail only if it was reaped already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the child's stdout: sends the address of its `listening` line, then reads on until
/// the child is gone, so that it never blocks on a full pipe.
fn read_listening(stdout: ChildStdout, tx: tokio::sync::oneshot::Sender<SocketAddr>) {
    let mut tx = Some(tx);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if tx.is_some()
            && let Some(addr) = listening_addr(&line)
            && let Some(tx) = tx.take()
        {
            let _ = tx.send(addr);
        }
    }
}

/// The address in a `listening` event line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let event: serde_json::Value = serde_json::from_str(line).ok()?;
    if event["event"] != "listening" {
        return None;
    }
    event["addr"].as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{Peer, listening_addr};

    #[tokio::test(flavor = "current_thread")]
    async fn a_peer_that_never_listens_is_an_error() {
        // The test binary itself, listing its tests: it prints and ends without listening.
        let e = Peer::start(&["--list"]).await.unwrap_err();
        assert!(e.contains("ended without listening"), "{e}");
    }

    #[test]
    fn the_listening_line_gives_the_address() {
        let line = r#"{"event":"listening","node":"peer","addr":"127.0.0.1:4242","ms":3}"#;
        assert_eq!(listening_addr(line), Some("127.0.0.1:4242".parse().unwrap()));
        assert_eq!(listening_addr(r#"{"event":"up","node":"b"}"#), None);
        assert_eq!(listening_addr("not json"), None);
    }
}
