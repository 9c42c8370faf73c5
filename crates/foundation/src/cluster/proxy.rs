//! An address of another node's process: a [`ProcessRef`] like any other.
//!
//! Its block stands in for the remote process on this node: its mailbox (bounded, `Wait`)
//! takes what local senders send, exactly as a local process's would, with the same
//! `send`, `try_send`, `send_timeout` and `call`; a forwarding task encodes each message and
//! queues it on the connection to the process's node, waiting for room there. So a slow
//! peer fills the connection's budget, then this mailbox, then its senders wait: nothing
//! grows without bound.
//!
//! The address closes (senders get `Closed`, `exited` returns `noconnection`) when the
//! connection to the node is lost, and its task ends when the last address is dropped. A
//! message to a remote process that has ended is dropped by its node, as Erlang drops it;
//! monitor the pid to learn of the end.

use std::sync::Arc;

use serde::Serialize;

use crate::cluster::link::Link;
use crate::cluster::net::ClusterInner;
use crate::cluster::order::Backlog;
use crate::cluster::wire::Frame;
use crate::engine::control_block::ControlBlock;
use crate::engine::mailbox::Mailbox;
use crate::engine::process_block::{AnyProcess, ProcessBlock};
use crate::engine::run_loop::{Event, Receiver};
use crate::message::Overflow;
use crate::{ExitReason, Pid, ProcessRef};

/// Messages an address of a remote process holds before its senders wait.
const MAILBOX: usize = 1024;

/// An address of `pid`, a process of the node `link` connects to.
pub(crate) fn remote_ref<M>(inner: &Arc<ClusterInner>, link: Arc<Link>, pid: Pid) -> ProcessRef<M>
where
    M: Serialize + Send + 'static,
{
    let core = ControlBlock::new(pid, None, false, crate::memory::RUNTIME);
    core.set_end_when_unreferenced(true);
    let block =
        Arc::new(ProcessBlock::new(core, Mailbox::with_overflow(Some(MAILBOX), Overflow::Wait)));
    block.core.retain();
    let backlog = Arc::new(Backlog::default());
    let any: Arc<dyn AnyProcess> = block.clone();
    inner.addresses.insert(pid, Arc::downgrade(&any), Arc::clone(&backlog));
    tokio::spawn(forward(Arc::clone(inner), link, Arc::clone(&block), backlog));
    ProcessRef::from_retained(block)
}

async fn forward<M: Serialize + Send + 'static>(
    inner: Arc<ClusterInner>,
    link: Arc<Link>,
    block: Arc<ProcessBlock<M>>,
    backlog: Arc<Backlog>,
) {
    let to = block.core.pid();
    let mut rx = Receiver::default();
    let reason = loop {
        let next = std::future::poll_fn(|cx| {
            backlog.take(|| {
                let event = rx.poll_next(&block, cx);
                let took = matches!(event, std::task::Poll::Ready(Event::Message(_)));
                (event, took)
            })
        });
        let event = tokio::select! {
            event = next => event,
            () = link.closed.cancelled() => break ExitReason::NoConnection,
        };
        let msg = match event {
            Event::Message(msg) => msg,
            Event::Idle => break ExitReason::Normal,
            Event::Signal => {
                // Nothing signals a stand-in; clear the flag if something did.
                let mut rel = block.core.relations.lock();
                drop(block.core.take_signals(&mut rel));
                continue;
            }
            Event::Ordered(_) | Event::Drained => continue,
        };
        let frame = match crate::cluster::codec::encode(&msg, &inner, &link) {
            Ok(payload) => Frame::Send { from: None, to: to.into(), payload },
            Err(e) => {
                tracing::warn!(%to, error = %e, "a message to another node did not encode");
                link.count(&link.counters.undelivered, 1);
                backlog.handed(&link, to);
                continue;
            }
        };
        drop(msg);
        let Some(bytes) = link.encode(&frame) else {
            tracing::warn!(%to, max = link.max_frame, "a message larger than the largest frame");
            link.count(&link.counters.undelivered, 1);
            backlog.handed(&link, to);
            continue;
        };
        tokio::select! {
            queued = link.out.push_message(to, bytes) => if queued.is_err() {
                break ExitReason::NoConnection;
            },
            () = link.closed.cancelled() => break ExitReason::NoConnection,
        }
        backlog.handed(&link, to);
    };
    drop(backlog);
    inner.addresses.prune(to);
    block.core.record_exit(to, reason);
    block.mailbox.close(rx.popped);
    block.core.record_final();
}
