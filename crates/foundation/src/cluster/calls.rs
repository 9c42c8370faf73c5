//! Calls across nodes: a [`ReplyTo`] crosses the wire as a number, and the reply comes back
//! to the caller through the table of pending calls.
//!
//! On the caller's node, serialising a request takes the caller's end out of its `ReplyTo`
//! into the table, under a new number; the reply (`Frame::Reply`) or the news that none will
//! come (`Frame::NoReply`: the server dropped the request, or ended holding it) completes it,
//! and a lost connection fails every call waiting for that node with `noconnection`. On the
//! server's node, the number becomes a `ReplyTo` whose `reply` sends the value back.
//!
//! A caller that timed out leaves its entry until the answer comes or the connection goes
//! (a server that drops a request unanswered sends `NoReply`, so an entry outlives its call
//! only while the server holds the request).

use std::collections::HashMap;

use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ExitReason;
use crate::cluster::codec;
use crate::cluster::wire::{Frame, WireReason};
use crate::process::reply::{Answer, ReplyTo};

/// How a pending call ends: with the reply's bytes, or with no reply (and the reason).
pub(crate) enum Outcome<'a> {
    Reply(&'a [u8], &'a std::sync::Arc<crate::cluster::link::Link>),
    NoReply(Option<ExitReason>),
}

type Complete = Box<dyn FnOnce(Outcome<'_>) + Send>;

struct Pending {
    /// The connection the request took: only its reply ends the call.
    link: u64,
    complete: Complete,
}

/// The calls this node's processes made to other nodes, waiting for their replies.
#[derive(Default)]
pub(crate) struct PendingCalls {
    calls: Mutex<HashMap<u64, Pending>>,
}

impl PendingCalls {
    fn insert(&self, id: u64, pending: Pending) {
        self.calls.lock().insert(id, pending);
    }

    /// Ends the call `id`, answered on the connection `link` (another cannot end it).
    pub(crate) fn complete(&self, link: u64, id: u64, outcome: Outcome<'_>) {
        let pending = {
            let mut calls = self.calls.lock();
            match calls.get(&id) {
                Some(p) if p.link == link => calls.remove(&id),
                _ => None,
            }
        };
        if let Some(pending) = pending {
            (pending.complete)(outcome);
        }
    }

    /// Fails every call waiting on the connection `link`: it is gone.
    pub(crate) fn fail_link(&self, link: u64) {
        let failed: Vec<Pending> = {
            let mut calls = self.calls.lock();
            let ids: Vec<u64> =
                calls.iter().filter(|(_, p)| p.link == link).map(|(id, _)| *id).collect();
            ids.iter().filter_map(|id| calls.remove(id)).collect()
        };
        for pending in failed {
            (pending.complete)(Outcome::NoReply(Some(ExitReason::NoConnection)));
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Serialize for ReplyTo<R> {
    /// Only inside a message sent to another node's process: the caller's end goes to the
    /// table of pending calls and the number crosses the wire.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some((inner, link)) = codec::encoding() else {
            return Err(serde::ser::Error::custom(
                "a ReplyTo is serialised only in a message to another node's process",
            ));
        };
        let Some(tx) = self.take_caller() else {
            // Sent once already (or answered): a second copy can never be answered.
            return serializer.serialize_u64(0);
        };
        let id = inner.next_id();
        let complete: Complete = Box::new(move |outcome| {
            let answer = match outcome {
                Outcome::Reply(bytes, link) => match codec::decode::<R>(bytes, link) {
                    Ok(value) => Answer::Reply(value),
                    Err(e) => {
                        let why = format!("the reply did not decode: {e}");
                        Answer::Exited(ExitReason::error(why))
                    }
                },
                Outcome::NoReply(Some(reason)) => Answer::Exited(reason),
                Outcome::NoReply(None) => return drop(tx),
            };
            let _ = tx.send(answer);
        });
        inner.calls.insert(id, Pending { link: link.id, complete });
        // A connection lost while this was being written fails its calls after closing its
        // queue: seen closed here, this call is failed too (whichever comes first).
        if link.out.is_closed() {
            inner.calls.fail_link(link.id);
        }
        serializer.serialize_u64(id)
    }
}

impl<'de, R: Serialize + Send + 'static> Deserialize<'de> for ReplyTo<R> {
    /// Only inside a message from another node: replying sends the value back to the caller.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = u64::deserialize(deserializer)?;
        let Some(link) = codec::decoding() else {
            return Err(serde::de::Error::custom(
                "a ReplyTo is deserialised only from a message from another node",
            ));
        };
        Ok(ReplyTo::remote(Box::new(move |reply: Option<R>| {
            if id == 0 {
                return;
            }
            let caller = link.peer_pid();
            let frame = match reply.map(|value| postcard::to_allocvec(&value)) {
                Some(Ok(payload)) => Frame::Reply { id, payload },
                Some(Err(e)) => {
                    let why = format!("the reply did not encode: {e}");
                    Frame::NoReply { id, reason: Some(WireReason::Error(why)) }
                }
                None => Frame::NoReply { id, reason: None },
            };
            let sent = match link.encode(&frame) {
                Some(bytes) => link.out.push_signal(caller, bytes),
                None => {
                    let why = format!("the reply is larger than {} bytes", link.max_frame);
                    let reason = Some(WireReason::Error(why));
                    link.signal(caller, &Frame::NoReply { id, reason })
                }
            };
            if !sent {
                tracing::debug!(node = %link.peer.name, "a reply found its connection gone");
            }
        })))
    }
}
