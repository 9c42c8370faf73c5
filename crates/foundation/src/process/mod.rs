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
//! A server that ends while it holds a request (it panicked, failed or was killed in the
//! handler) fails the call with its exit reason, always: a reply handle dropped unanswered in a
//! handler is released only once it is known whether the process lives on (when the handler
//! returns, or after the exit is recorded). A process that calls itself fails at once with
//! [`CallError::is_calling_self`](crate::CallError::is_calling_self), as `gen_server:call` to
//! self exits with `calling_self`.
//!
//! # Links, monitors and exit signals
//!
//! As in Erlang: when a process ends, every linked process gets an exit signal with its reason.
//! A process that does not trap exits ends with that reason unless it is `Normal`; one that
//! traps exits ([`Context::trap_exit`], which returns the previous value as
//! `process_flag(trap_exit, _)` does) gets it in [`Process::handle_exit`].
//!
//! `kill` and `killed` are two reasons, as in Erlang. A kill ([`Node::kill`](crate::Node::kill),
//! or an exit signal with reason [`ExitReason::Kill`](crate::ExitReason::Kill), Erlang's
//! `exit(Pid, kill)`) cannot be trapped; the process ends without `terminate` and exits with
//! [`ExitReason::Killed`](crate::ExitReason::Killed), which is what its links see, and there
//! it can be trapped: an exit signal with reason `Killed` is an ordinary one.
//! [`Node::stop_with`](crate::Node::stop_with) is `gen_server:stop/3`: it cannot be trapped
//! either, but it is graceful (`terminate` runs with the reason, and the process exits with it).
//!
//! A monitor ([`Context::monitor`]) delivers exactly one [`Down`](crate::Down), with `NoProc` if
//! the target was already gone. A monitor by registered name ([`Context::monitor_name`])
//! resolves the name once, and its `Down` names it ([`Down::name`](crate::Down::name), Erlang's
//! `{RegName, Node}`); a name nobody holds is `Down` with `NoProc` at once. A child can be
//! spawned linked and monitored in one step ([`Context::spawn_link_monitor`],
//! `spawn_opt([link, monitor])`). Monitor references, like pids, name their node and the node's
//! incarnation, so a reference or pid from another node (or from an earlier node with the same
//! number) never matches a local monitor or process.
//!
//! A panic's exit reason ([`Panic`](crate::Panic)) gives the message and where it happened, as
//! OTP's crash reports do; the location comes from a panic hook chained in front of the one
//! installed when the first node starts (see [`Panic`](crate::Panic) for how it coexists with
//! yours).
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
//! # Where we differ from OTP, on purpose
//!
//! - [`Context::demonitor`] always flushes: a `Down` for a removed monitor that is already
//!   queued is never handled (Erlang's plain `demonitor/1` leaves the `'DOWN'` in the
//!   mailbox, a classic source of stray messages). [`Context::demonitor_flush`] is the same,
//!   named for ported code.
//! - A reply handle dropped unanswered by a server that lives on fails the call at once
//!   ([`CallError::is_no_reply`](crate::CallError::is_no_reply), no exit reason) rather than
//!   letting it wait out its timeout as an unanswered `gen_server:call` would: there is no
//!   other way to answer it.
//! - [`Node::stop_with`](crate::Node::stop_with) kills the process if `terminate` outlasts the
//!   timeout, where `gen_server:stop/3` exits the caller with `timeout` and leaves the process
//!   running: a stop here always ends the process.
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
pub(crate) mod reply;

pub use address::{DEFAULT_CALL_TIMEOUT, ProcessRef, WeakProcessRef};
pub use behaviour::Process;
pub use builder::{DEFAULT_MAILBOX_CAPACITY, ProcessBuilder};
pub use context::Context;
pub use info::{ProcessInfo, ProcessStatus};
pub use reply::ReplyTo;
