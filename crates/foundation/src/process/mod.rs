//! Processes: the [`Process`] trait, addresses, spawning, and the context handlers get.
//!
//! A process is a tokio task that owns its state and a bounded mailbox, and handles one message
//! at a time. It is addressed by a typed [`ProcessRef<M>`]; it is identified by a [`Pid`](
//! crate::Pid), which also names links, monitors and registered names.
//!
//! # Sending and backpressure
//!
//! Mailboxes are bounded ([`DEFAULT_MAILBOX_CAPACITY`] unless the builder says otherwise).
//! [`ProcessRef::send`] waits for room; [`ProcessRef::try_send`] gives the message back when
//! the mailbox is full; [`ProcessRef::send_timeout`] waits a while. The receiver frees room in
//! batches, so many senders blocked on one mailbox are not woken once per message. Every failed
//! send returns the message: nothing is dropped silently.
//!
//! # Request and reply
//!
//! [`ProcessRef::call`] sends a message built around a [`ReplyTo`] and waits for the answer,
//! 5 seconds by default. A call to a process that is gone, or that ends without answering,
//! fails at once with the process's exit reason. A reply that comes after the timeout is thrown
//! away: it never lands in anyone's mailbox.
//!
//! # Links, monitors and exit signals
//!
//! As in Erlang: when a process ends, every linked process gets an exit signal with its reason.
//! A process that does not trap exits ends with that reason unless it is `Normal`; one that
//! traps exits ([`Context::trap_exit`]) gets it in [`Process::handle_exit`]. A kill
//! ([`Node::kill`](crate::Node::kill)) cannot be trapped; a process killed that way propagates
//! [`ExitReason::Killed`](crate::ExitReason::Killed) to its links, where it can be trapped. A
//! monitor ([`Context::monitor`]) delivers exactly one [`Down`](crate::Down), with `NoProc` if
//! the target was already gone. Signals overtake ordinary messages: a process handles its
//! pending signals before its next message, and a fatal one interrupts the current handler at
//! its `.await`.
//!
//! # When a process ends
//!
//! Messages still in its mailbox are dropped (callers waiting on them fail at once with the exit
//! reason), its names and groups are released, then its links and monitors are told. A process
//! also ends, with `Normal`, when its mailbox is empty and no strong address or registered name
//! is left, since nothing could ever reach it again.

mod address;
pub(crate) mod behaviour;
pub(crate) mod builder;
pub(crate) mod context;
mod info;
mod reply;

pub use address::{DEFAULT_CALL_TIMEOUT, ProcessRef, WeakProcessRef};
pub use behaviour::Process;
pub use builder::{DEFAULT_MAILBOX_CAPACITY, ProcessBuilder};
pub use context::Context;
pub use info::{ProcessInfo, ProcessStatus};
pub use reply::ReplyTo;
