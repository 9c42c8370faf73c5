//! `foundation node`: one clustered node, run until stopped, printing what it sees.
//!
//! It exports a process named `echo` (it answers `Ping` with the same number and counts
//! `Cast`s and `Blob`s), so that other nodes, the `cross_node` benchmark and the partition
//! script have something to reach; with `--watch NODE` it links to and monitors NODE's `echo`
//! and prints the exit and the down when they come. Every event is one line of JSON on stdout:
//!
//! ```text
//! {"event":"listening","node":"a","addr":"127.0.0.1:7001","ms":3}
//! {"event":"up","node":"b","creation":123,"ms":410}
//! {"event":"watching","node":"b","pid":"<...>","ms":415}
//! {"event":"down","node":"b","reason":"timed_out","ms":5120}
//! {"event":"monitor_down","pid":"<...>","reason":"noconnection","ms":5120}
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use foundation::cluster::{Cluster, ClusterConfig, DownReason, NodeEvent, NodeName, TlsIdentity};
use foundation::{BoxError, Context, Down, ExitReason, Pid, Process, ReplyTo};
use serde::{Deserialize, Serialize};

/// What `echo` takes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Echo {
    /// Answered with the same number.
    Ping(u64, ReplyTo<u64>),
    /// Counted.
    Cast(u64),
    /// A payload (its bytes encoded as one byte string), counted as a cast.
    Blob(Bytes),
    /// Answered with the count of casts and blobs so far.
    Count(ReplyTo<u64>),
}

/// The exported process.
#[derive(Default)]
pub(crate) struct EchoServer {
    casts: u64,
}

impl Process for EchoServer {
    type Message = Echo;
    /// `echo` is a service: a peer that links to it and is lost (an exit signal with
    /// `noconnection`) must not take it down, so it traps exits (and ignores them).
    async fn init(&mut self, ctx: &mut Context<Echo>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        Ok(())
    }
    async fn handle(&mut self, _ctx: &mut Context<Echo>, msg: Echo) -> Result<(), BoxError> {
        match msg {
            Echo::Ping(n, reply) => drop(reply.reply(n)),
            Echo::Cast(_) | Echo::Blob(_) => self.casts += 1,
            Echo::Count(reply) => drop(reply.reply(self.casts)),
        }
        Ok(())
    }
}

/// The node's settings, from the command line.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) name: String,
    pub(crate) listen: SocketAddr,
    pub(crate) seeds: Vec<SocketAddr>,
    pub(crate) tls_dir: Option<PathBuf>,
    pub(crate) insecure: bool,
    pub(crate) tick: Duration,
    pub(crate) detection: Duration,
    pub(crate) watch: Option<String>,
    pub(crate) duration: Option<Duration>,
}

/// Starts a clustered node from `options`.
pub(crate) async fn start(options: &Options) -> Result<Cluster, String> {
    let name = NodeName::new(&options.name).map_err(|e| e.to_string())?;
    let mut config = ClusterConfig::new(name.clone())
        .listen(options.listen)
        .tick(options.tick)
        .detection(options.detection);
    for seed in &options.seeds {
        config = config.seed(*seed);
    }
    config = match (&options.tls_dir, options.insecure) {
        (Some(dir), false) => {
            let file = |f: String| dir.join(f);
            let identity = TlsIdentity::from_pem_files(
                file("ca.pem".into()),
                file(format!("{name}.pem")),
                file(format!("{name}.key")),
            )
            .map_err(|e| e.to_string())?;
            config.tls(identity)
        }
        (None, true) => config.insecure_plaintext(),
        _ => return Err("give exactly one of `--tls-dir DIR` and `--insecure`".into()),
    };
    config.start().await.map_err(|e| e.to_string())
}

/// Runs the node until Ctrl-C, SIGTERM or the duration.
pub(crate) async fn run(options: Options) -> Result<(), String> {
    let started = Instant::now();
    let ms = move || started.elapsed().as_millis();
    let cluster = start(&options).await?;
    let mut events = cluster.node_events();
    let echo = cluster.node().spawn(EchoServer::default()).map_err(|e| e.to_string())?;
    cluster.export("echo", &echo);
    let addr = cluster.listen_addr().map(|a| a.to_string()).unwrap_or_default();
    line(&format!(
        r#""event":"listening","node":"{}","addr":"{addr}","ms":{}"#,
        options.name,
        ms()
    ));

    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let watcher = cluster.node().spawn(Watcher(seen_tx)).map_err(|e| e.to_string())?;
    let stop = async {
        match options.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let mut stop = std::pin::pin!(stop);
    let mut ctrl_c = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(NodeEvent::Up { name, creation, .. }) => {
                    line(&format!(r#""event":"up","node":"{name}","creation":{creation},"ms":{}"#, ms()));
                    if options.watch.as_deref() == Some(name.as_str()) {
                        watch(&cluster, &watcher, &name, ms).await;
                    }
                }
                Some(NodeEvent::Down { name, reason, .. }) => {
                    let reason = reason_name(&reason);
                    line(&format!(r#""event":"down","node":"{name}","reason":"{reason}","ms":{}"#, ms()));
                }
                Some(_) => {}
                None => break,
            },
            Some(seen) = seen.recv() => line(&format!("{seen},\"ms\":{}", ms())),
            () = &mut stop => break,
            () = &mut ctrl_c => break,
        }
    }
    cluster.node().shutdown(Duration::from_secs(5)).await;
    line(&format!(r#""event":"stopped","node":"{}","ms":{}"#, options.name, ms()));
    Ok(())
}

async fn watch(
    cluster: &Cluster,
    watcher: &foundation::ProcessRef<(Pid, ReplyTo<()>)>,
    node: &NodeName,
    ms: impl Fn() -> u128,
) {
    match cluster.lookup::<Echo>(node, "echo").await {
        Ok(echo) => {
            let pid = echo.pid();
            if watcher.call(|done| (pid, done)).await.is_ok() {
                let now = ms();
                line(&format!(r#""event":"watching","node":"{node}","pid":"{pid}","ms":{now}"#));
            }
        }
        Err(e) => {
            let now = ms();
            line(&format!(r#""event":"error","node":"{node}","error":"{e}","ms":{now}"#));
        }
    }
}

fn line(fields: &str) {
    println!("{{{fields}}}");
}

/// The reason's kind (`closed`, `timed_out`, `io`, ...), without the details.
fn reason_name(reason: &DownReason) -> String {
    reason.to_string().split(':').next().unwrap_or_default().to_owned()
}

fn exit_name(reason: &ExitReason) -> String {
    match reason {
        ExitReason::NoConnection => "noconnection".into(),
        other => other.to_string().replace('"', "'"),
    }
}

/// Links to and monitors what it is asked to watch (trapping exits); reports both ends.
struct Watcher(tokio::sync::mpsc::UnboundedSender<String>);

impl Process for Watcher {
    type Message = (Pid, ReplyTo<()>);
    async fn init(&mut self, ctx: &mut Context<Self::Message>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        Ok(())
    }
    async fn handle(
        &mut self,
        ctx: &mut Context<Self::Message>,
        (pid, done): Self::Message,
    ) -> Result<(), BoxError> {
        ctx.link(pid)?;
        ctx.monitor(pid);
        let _ = done.reply(());
        Ok(())
    }
    async fn handle_exit(
        &mut self,
        ctx: &mut Context<Self::Message>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        // The node's own shutdown: stop with it.
        if from.node() == ctx.pid().node() && matches!(reason, ExitReason::Shutdown(_)) {
            return Err(reason.to_string().into());
        }
        let reason = exit_name(&reason);
        let _ = self.0.send(format!(r#""event":"link_exit","pid":"{from}","reason":"{reason}""#));
        Ok(())
    }
    async fn handle_down(
        &mut self,
        _ctx: &mut Context<Self::Message>,
        down: Down,
    ) -> Result<(), BoxError> {
        let reason = exit_name(&down.reason);
        let pid = down.pid;
        let _ = self.0.send(format!(r#""event":"monitor_down","pid":"{pid}","reason":"{reason}""#));
        Ok(())
    }
}

/// Ctrl-C, or SIGTERM on Unix.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
