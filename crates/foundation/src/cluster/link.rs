//! One connected peer: who it is, what waits to be written to it, the relations between its
//! processes and ours, and the connection's statistics.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::cluster::name::NodeName;
use crate::cluster::outbound::Outbound;
use crate::cluster::wire::{self, Frame};
use crate::{MonitorRef, Pid};

/// A peer node, as it introduced itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Peer {
    pub(crate) name: NodeName,
    pub(crate) number: u32,
    pub(crate) creation: u32,
    pub(crate) addr: SocketAddr,
    /// Whether this node dialled the connection.
    pub(crate) dialled: bool,
}

/// The relations between this node's processes and the peer's, kept so that a lost
/// connection breaks each of them with `noconnection`.
#[derive(Default)]
pub(crate) struct PeerRelations {
    /// Links: (ours, theirs).
    pub(crate) links: HashSet<(Pid, Pid)>,
    /// Our processes' monitors of theirs: reference → (ours, theirs).
    pub(crate) monitoring: HashMap<MonitorRef, (Pid, Pid)>,
    /// Their processes' monitors of ours: reference → (ours, theirs).
    pub(crate) watched: HashMap<MonitorRef, (Pid, Pid)>,
}

/// Counters of one connection.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) bytes_out: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) frames_out: AtomicU64,
    pub(crate) frames_in: AtomicU64,
    pub(crate) messages_out: AtomicU64,
    pub(crate) messages_in: AtomicU64,
    pub(crate) writes: AtomicU64,
    /// Messages that reached no process (it had ended, or it exported nothing), or whose
    /// bytes did not decode as its message type.
    pub(crate) undelivered: AtomicU64,
}

/// One connected peer.
pub(crate) struct Link {
    /// This connection's number, unique on this node (a node connected again gets a new
    /// link, with the same node number and another id).
    pub(crate) id: u64,
    pub(crate) peer: Peer,
    pub(crate) out: Outbound,
    pub(crate) relations: Mutex<PeerRelations>,
    pub(crate) counters: Counters,
    pub(crate) max_frame: usize,
    /// Cancelled once the connection is gone.
    pub(crate) closed: CancellationToken,
    closing: AtomicBool,
    /// Write what is queued, then close (the node is leaving).
    draining: AtomicBool,
}

impl Link {
    pub(crate) fn new(id: u64, peer: Peer, send_buffer: usize, max_frame: usize) -> Self {
        Link {
            id,
            peer,
            out: Outbound::new(send_buffer),
            relations: Mutex::default(),
            counters: Counters::default(),
            max_frame,
            closed: CancellationToken::new(),
            closing: AtomicBool::new(false),
            draining: AtomicBool::new(false),
        }
    }

    /// Claims the closing of the connection: `true` the first time only; the caller then
    /// calls [`close`](Self::close).
    pub(crate) fn claim_close(&self) -> bool {
        !self.closing.swap(true, std::sync::atomic::Ordering::AcqRel)
    }

    /// Closes the connection's queue: what waits to be written is dropped, and nothing more
    /// is taken. Whoever waits on `closed` is released by the caller once the loss is told.
    pub(crate) fn close(&self) {
        self.out.close();
    }

    /// Asks the writer to write what is queued and then close the connection.
    pub(crate) fn drain(&self) {
        self.draining.store(true, std::sync::atomic::Ordering::Release);
        self.out.ready.notify_one();
    }

    /// Whether the writer closes once the queue is empty.
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Encodes a frame; `None` if it is larger than the largest frame (a signal never is).
    pub(crate) fn encode(&self, frame: &Frame) -> Option<Bytes> {
        let mut buf = BytesMut::new();
        wire::encode(frame, self.max_frame, &mut buf).ok()?;
        Some(buf.freeze())
    }

    /// Queues a signal frame for the process `to`; `false` once the connection is gone.
    pub(crate) fn signal(&self, to: Pid, frame: &Frame) -> bool {
        match self.encode(frame) {
            Some(bytes) => self.out.push_signal(to, bytes),
            None => false,
        }
    }

    /// The pid that stands for the peer node itself.
    pub(crate) fn peer_pid(&self) -> Pid {
        Pid::new(self.peer.number, self.peer.creation, 0)
    }

    pub(crate) fn count(&self, counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}
