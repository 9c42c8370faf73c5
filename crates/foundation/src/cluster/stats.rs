//! What a clustered node tells about its peers and its connections.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

use crate::cluster::link::{Link, Peer};
use crate::cluster::name::NodeName;

/// A connected node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeInfo {
    /// Its name.
    pub name: NodeName,
    /// Its incarnation.
    pub creation: u32,
    /// The address of the connection's other end.
    pub addr: SocketAddr,
    /// Whether this node opened the connection.
    pub dialled: bool,
}

impl NodeInfo {
    pub(crate) fn of(peer: &Peer) -> Self {
        NodeInfo {
            name: peer.name.clone(),
            creation: peer.creation,
            addr: peer.addr,
            dialled: peer.dialled,
        }
    }
}

/// One connection's statistics, since it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStats {
    /// The node at the other end.
    pub node: NodeName,
    /// Bytes written (frames, with their length prefixes; TLS records not counted).
    pub bytes_out: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Frames written (messages, signals, credit, ticks).
    pub frames_out: u64,
    /// Frames read.
    pub frames_in: u64,
    /// Messages written.
    pub messages_out: u64,
    /// Messages read.
    pub messages_in: u64,
    /// Writes to the socket: frames are coalesced, so this is far below `frames_out` under
    /// load.
    pub writes: u64,
    /// Messages that came for a process that had ended or exported nothing, or whose bytes
    /// did not decode, and messages that could not be encoded here: dropped, counted.
    pub undelivered: u64,
    /// Bytes of messages waiting to be written (at most the send buffer).
    pub queued_bytes: usize,
    /// Frames waiting to be written.
    pub queued_frames: usize,
    /// Times this node was connected again after a loss, since this node started.
    pub reconnects: u64,
}

impl LinkStats {
    pub(crate) fn of(link: &Link, reconnects: u64) -> Self {
        let c = &link.counters;
        let (queued_bytes, queued_frames) = link.out.depth();
        LinkStats {
            node: link.peer.name.clone(),
            bytes_out: c.bytes_out.load(Relaxed),
            bytes_in: c.bytes_in.load(Relaxed),
            frames_out: c.frames_out.load(Relaxed),
            frames_in: c.frames_in.load(Relaxed),
            messages_out: c.messages_out.load(Relaxed),
            messages_in: c.messages_in.load(Relaxed),
            writes: c.writes.load(Relaxed),
            undelivered: c.undelivered.load(Relaxed),
            queued_bytes,
            queued_frames,
            reconnects,
        }
    }
}
