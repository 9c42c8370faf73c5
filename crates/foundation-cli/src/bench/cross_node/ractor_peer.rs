//! ractor_cluster's `echo`: its messages, the actor, and the peer node that serves it
//! (`foundation bench-peer ractor --listen ADDR`), the counterpart of `foundation node`.
//!
//! The peer runs a `NodeServer` listening on ADDR (ractor_cluster has no way to tell the port
//! it chose for port 0, so the peer takes a free port from the system first and gives it to
//! the server), spawns `echo` and joins it to the process group [`GROUP`]: ractor_cluster
//! shares process groups with connected nodes, which is how the other side finds it. It
//! prints the same `listening` line as `foundation node` and runs until stopped.

use std::net::{SocketAddr, TcpListener};

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_cluster::node::NodeConnectionMode;
use ractor_cluster::{NodeServer, RactorClusterMessage};

/// The secret both nodes show (ractor_cluster authenticates nodes with a shared cookie).
pub(crate) const COOKIE: &str = "foundation-bench";

/// The process group `echo` joins.
pub(crate) const GROUP: &str = "echo";

/// What `echo` takes: the same as Foundation's `node::Echo`.
#[derive(RactorClusterMessage)]
pub(crate) enum EchoMsg {
    /// Counted.
    Cast(u64),
    /// A payload, counted as a cast.
    Blob(Vec<u8>),
    /// Answered with the same number.
    #[rpc]
    Ping(u64, RpcReplyPort<u64>),
    /// Answered with the count of casts and blobs so far.
    #[rpc]
    Count(RpcReplyPort<u64>),
}

/// Counts casts and blobs, answers pings and counts.
struct Echo;

impl Actor for Echo {
    type Msg = EchoMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<EchoMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<EchoMsg>,
        msg: EchoMsg,
        count: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            EchoMsg::Cast(_) | EchoMsg::Blob(_) => *count += 1,
            EchoMsg::Ping(n, reply) => drop(reply.send(n)),
            EchoMsg::Count(reply) => drop(reply.send(*count)),
        }
        Ok(())
    }
}

/// A node server named `name` on `addr` (port 0 not allowed: see the module's docs).
pub(crate) fn node_server(name: &str, addr: SocketAddr) -> NodeServer {
    NodeServer::new(
        addr.port(),
        COOKIE.to_owned(),
        name.to_owned(),
        addr.ip().to_string(),
        None,
        Some(NodeConnectionMode::Isolated),
    )
    .with_listen_addr(addr.ip())
}

/// `addr`, with a free port in place of port 0.
pub(crate) fn with_free_port(addr: SocketAddr) -> Result<SocketAddr, String> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot bind {addr}: {e}"))?;
    listener.local_addr().map_err(|e| e.to_string())
}

/// Runs the peer until Ctrl-C or SIGTERM.
pub(crate) async fn run(listen: SocketAddr) -> Result<(), String> {
    let addr = with_free_port(listen)?;
    let (_server, server) = Actor::spawn(None, node_server("peer", addr), ())
        .await
        .map_err(|e| format!("cannot start the node server: {e}"))?;
    let (echo, _) =
        Actor::spawn(None, Echo, ()).await.map_err(|e| format!("cannot start echo: {e}"))?;
    ractor::pg::join(GROUP.to_owned(), vec![echo.get_cell()]);
    println!(r#"{{"event":"listening","node":"peer","addr":"{addr}"}}"#);
    tokio::select! {
        _ = server => Err("the node server stopped".into()),
        () = crate::node::shutdown_signal() => Ok(()),
    }
}
