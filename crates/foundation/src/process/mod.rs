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
//! the target was already gone.
//!
//! # Ordering
//!
//! As in Erlang, everything one process sends another arrives in the order it was sent:
//! messages, exit signals and `Down`s alike. Where Erlang acts on a signal at once, so do we:
//! - an exit signal the receiver does not trap (from a link, or [`Context::exit`]), a
//!   [`kill`](crate::Node::kill) and a memory-limit end act at once, whatever is queued: the
//!   receiver ends (interrupted at its handler's next `.await`), and the messages still queued
//!   are never handled;
//! - an exit signal the receiver traps, and a monitor's [`Down`](crate::Down), become something
//!   the receiver handles: they queue in its mailbox behind everything their sender sent
//!   before, so a process that sends `Result(42)` and then fails is seen to send its result
//!   before it is seen dead. They are never refused for want of room (they may take a bounded
//!   mailbox past its capacity by the signals queued) and never dropped by an overflow policy.
//!
//! Whether an exit signal is trapped is decided when it is delivered, by whether the receiver
//! traps exits then: one delivered untrapped acts as untrapped even if the receiver turns
//! trapping on before it acts, and one delivered trapped is handled by
//! [`Process::handle_exit`] even if the receiver has turned trapping off since (it was
//! received, as Erlang turns it into an `'EXIT'` message on arrival). Between different
//! senders there is no order, as in Erlang.
//!
//! # Incarnations
//!
//! A supervised process keeps its address across restarts; each incarnation has its own
//! [`Pid`](crate::Pid). A signal aimed at a pid reaches that incarnation or nothing: a `kill`,
//! an exit signal, a link's exit or a `Down` sent to an incarnation that has ended is dropped,
//! never delivered to the next one, and [`Node::wait_exit`](crate::Node::wait_exit) on a pid
//! answers with that incarnation's own reason.
//!
//! # When a process ends
//!
//! A process lives until it exits, as on the BEAM: whether anyone still holds its address does
//! not matter (a process driven by its own timers, or found by its registered name, is never
//! ended for want of references; [`ProcessBuilder::end_when_unreferenced`] opts in to that).
//! When it ends, messages still in its mailbox are dropped (callers waiting on them fail at
//! once with the exit reason), its names and groups are released, then its links and monitors
//! are told.
//!
//! If the tokio runtime is dropped without [`Node::shutdown`](crate::Node::shutdown), every
//! process still running ends as [`Killed`](crate::ExitReason::Killed) (no `terminate`: a
//! drop cannot wait): its address closes, its names are released, and the links, monitors and
//! waiters that can still hear of it are told.

mod address;
pub(crate) mod behaviour;
pub(crate) mod builder;
pub(crate) mod context;
pub(crate) mod delivery;
mod info;
pub(crate) mod message_stats;
pub(crate) mod overflow;
mod reply;

pub use address::{DEFAULT_CALL_TIMEOUT, ProcessRef, WeakProcessRef};
pub use behaviour::Process;
pub use builder::{DEFAULT_MAILBOX_CAPACITY, ProcessBuilder};
pub use context::Context;
pub use info::{ProcessInfo, ProcessStatus};
pub use reply::ReplyTo;
