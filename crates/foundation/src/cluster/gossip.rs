//! The task that drives the node's membership protocol: it hands the protocol packets, timer
//! events and new connections, and does what the protocol says (send, wake it later, dial a
//! member it learnt of, close the connection of a member declared down).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::cluster::events::DownReason;
use crate::cluster::membership::{Effects, Member, Membership};
use crate::cluster::net::ClusterInner;
use crate::cluster::wire::Frame;

/// What the membership task is handed.
enum Command<T> {
    Join(Member),
    Packet(Vec<u8>),
    Timer(T),
}

/// The handle of the membership task (`T`: its protocol's timer events).
pub(crate) struct Gossip<T> {
    tx: mpsc::UnboundedSender<Command<T>>,
}

impl<T> Gossip<T> {
    /// A connection to `peer` came up.
    pub(crate) fn join(&self, peer: Member) {
        let _ = self.tx.send(Command::Join(peer));
    }

    /// A packet came from a member.
    pub(crate) fn packet(&self, packet: Vec<u8>) {
        let _ = self.tx.send(Command::Packet(packet));
    }
}

/// Starts the task that drives `membership` for `inner`.
pub(crate) fn start<M: Membership>(inner: &Arc<ClusterInner>, membership: M) -> Gossip<M::Timer> {
    let (tx, rx) = mpsc::unbounded_channel::<Command<M::Timer>>();
    let dialling = Arc::new(Mutex::new(HashSet::new()));
    tokio::spawn(run(Arc::downgrade(inner), membership, rx, tx.clone(), dialling));
    Gossip { tx }
}

async fn run<M: Membership>(
    inner: std::sync::Weak<ClusterInner>,
    mut membership: M,
    mut rx: mpsc::UnboundedReceiver<Command<M::Timer>>,
    tx: mpsc::UnboundedSender<Command<M::Timer>>,
    dialling: Arc<Mutex<HashSet<SocketAddr>>>,
) {
    while let Some(command) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        let effects = match command {
            Command::Join(peer) => membership.join(peer),
            Command::Packet(packet) => match membership.receive(&packet) {
                Ok(effects) => effects,
                Err(e) => {
                    tracing::debug!(error = %e, "membership: a packet was refused");
                    continue;
                }
            },
            Command::Timer(timer) => membership.timer(timer),
        };
        apply(&inner, effects, &tx, &dialling);
    }
}

/// Does what the protocol said.
fn apply<T: Send + 'static>(
    inner: &Arc<ClusterInner>,
    effects: Effects<T>,
    tx: &mpsc::UnboundedSender<Command<T>>,
    dialling: &Arc<Mutex<HashSet<SocketAddr>>>,
) {
    for (member, packet) in effects.send {
        match inner.link_named(&member.name) {
            Some(link) => {
                link.signal(link.peer_pid(), &Frame::Gossip { packet: packet.to_vec() });
            }
            // Not connected: the packet is lost (SWIM expects loss); the member is dialled.
            None => dial(inner, &member, dialling),
        }
    }
    for (after, timer) in effects.schedule {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = tx.send(Command::Timer(timer));
        });
    }
    for member in effects.up {
        if inner.link_named(&member.name).is_none() {
            dial(inner, &member, dialling);
        }
    }
    for member in effects.down {
        if let Some(link) = inner.link_named(&member.name)
            && link.peer.creation == member.creation
        {
            tracing::info!(node = %member.name, "membership: declared down");
            inner.lost(&link, DownReason::Unreachable);
        }
    }
}

/// Dials a member the protocol named, once at a time per address.
fn dial(inner: &Arc<ClusterInner>, member: &Member, dialling: &Arc<Mutex<HashSet<SocketAddr>>>) {
    let Some(addr) = member.listen else { return };
    if member.name == inner.name.as_str() || !dialling.lock().insert(addr) {
        return;
    }
    let inner = Arc::clone(inner);
    let dialling = Arc::clone(dialling);
    tokio::spawn(async move {
        if let Err(e) = inner.dial(addr).await {
            tracing::debug!(%addr, error = %e, "membership: a member was not reached");
        }
        dialling.lock().remove(&addr);
    });
}
