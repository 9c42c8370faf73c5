//! Messages: zero-copy payloads, flow control, broadcast, analytics, and addressing other
//! ecosystems (the spec's `Foundation.BEAM.Messages`).
//!
//! # Payloads
//!
//! A message is moved into the mailbox, never copied or serialized: sending costs the same for
//! any size of message. Large payloads should be shared, not owned: a [`Binary`] (or
//! `bytes::Bytes`) is a reference-counted view, so cloning it for a broadcast, slicing it, or
//! sending it on costs a reference count. [`Binary::build`] puts the bytes on the shared heap
//! (charged to the runtime, not the building process; see [`shared_binary_bytes`]), as the BEAM
//! keeps large binaries off the process heaps.
//!
//! # Flow control
//!
//! Three tools, from the receiver's side:
//!
//! - **Bounded mailboxes** (the default, 1,024 messages): a [`send`](crate::ProcessRef::send)
//!   to a full mailbox waits for room, a [`try_send`](crate::ProcessRef::try_send) gets its
//!   message back ([`TrySendError::Full`](crate::TrySendError::Full): *at capacity*). Room is
//!   given back in batches and waiting senders are woken once the mailbox is down to half, so
//!   a hundred blocked senders cost one wake-up each per burst, not one per freed slot.
//! - **Overflow policies** ([`Overflow`]) for producers that must not wait: drop the newest,
//!   drop the oldest, or refuse at once. Never silent: drops and refusals are counted in
//!   [`MessageStats`], as metrics (with the `metrics` feature), and as telemetry events, and
//!   the sender can learn each outcome (below).
//! - **Credits** ([`CreditLink`]) between two processes: at most a window of messages not yet
//!   *consumed*, whatever the mailbox holds; the receiver gives a credit back by finishing with
//!   a message. Survives restarts of either side without losing or inventing a credit. Its
//!   [`try_send`](CreditLink::try_send) adds one outcome of its own,
//!   [`CreditTrySendError::NoCredit`].
//!
//! A sender that has to wait (for room or a credit) is a flow-control stall: counted in
//! `MessageStats::stalls` and told as `foundation.messages.flow_stalled`. An ecosystem's
//! [`health`](crate::ecosystem::Ecosystem::health) shows its backlog and its members at
//! capacity.
//!
//! # What the sender learns
//!
//! Every way of sending tells the same outcomes apart, with the same words:
//!
//! | outcome | `send` / `send_timeout` | `try_send` | `call` | [`deliver`](crate::ProcessRef::deliver) / [`try_deliver`](crate::ProcessRef::try_deliver) | broadcast |
//! | --- | --- | --- | --- | --- | --- |
//! | queued | `Ok(())` | `Ok(())` | the reply | [`Delivery::Queued`] | `delivered` |
//! | at capacity, `Wait` | waits (`send_timeout`: `Timeout` once it gives up) | `Full` | waits (`is_timeout` once it gives up) | waits / `Full` | `full` |
//! | refused, `Fail` | [`is_refused`](crate::SendError::is_refused) / `Refused` | `Refused` | [`is_refused`](crate::CallError::is_refused) | `is_refused` / `Refused` | `refused` |
//! | this message dropped, `DropNewest` | `Ok(())` | `Ok(())` | [`is_no_reply`](crate::CallError::is_no_reply) at once | [`Delivery::DroppedNewest`] | `dropped` |
//! | an older message dropped for it, `DropOldest` | `Ok(())` | `Ok(())` | the reply | [`Delivery::DroppedOldest`] | `delivered`, `displaced` |
//! | the process has exited | `is_closed` / `Closed` | `Closed` | [`is_no_process`](crate::CallError::is_no_process) | `is_closed` / `Closed` | `gone` |
//!
//! `send` keeps `Ok(())` for a message a drop policy dropped: the policy is the receiver's
//! choice, applied as asked, and `send(msg).await?` is the common path. A sender that must know
//! uses `deliver` (or `try_deliver`), which returns the [`Delivery`]. A message once queued
//! can still be displaced later by another sender under `DropOldest`: that drop is counted in
//! the receiver's stats and told to the sender that caused it, not to the one whose message
//! went (a request displaced so fails its `call` with `is_no_reply`).
//!
//! # Broadcast
//!
//! [`broadcast`] to any addresses, [`Groups::broadcast`](crate::Groups::broadcast) to a process
//! group, [`Ecosystem::broadcast`](crate::ecosystem::Ecosystem::broadcast) to an ecosystem's
//! workers, [`Members::broadcast_neighbours`](crate::ecosystem::Members::broadcast_neighbours)
//! to a worker's topology neighbours. Each receiver gets a clone of one shared message, never
//! waits on a slow receiver, and applies its own overflow policy; the [`BroadcastReport`] says
//! who got it and who was full or gone.
//!
//! # Analytics
//!
//! Every address counts what flows through it ([`MessageStats`], in
//! [`ProcessInfo::messages`](crate::process::ProcessInfo::messages) and each ecosystem member's
//! info): messages received and sent, bytes and the largest message where the size is known
//! ([`Process::message_size`](crate::Process::message_size), [`MessageSize`]), rates over the
//! last second, the sampled time in the mailbox, drops, refusals and stalls. An ecosystem adds
//! its totals and rates over the last ten seconds ([`EcosystemInfo::traffic`](
//! crate::ecosystem::EcosystemInfo::traffic)) and exports them as metrics (with the `metrics`
//! feature). The hot path pays a
//! thread-local increment per send and a local increment per message received; the clock is
//! read once per 64 messages (see `benches/messages.rs` for the measured cost).
//!
//! # Other ecosystems
//!
//! [`Node::ecosystem`](crate::Node::ecosystem) finds a running ecosystem by name, typed (or
//! says why not: a [`LookupError`](crate::ecosystem::LookupError)); its coordinator's address
//! survives restarts, and [`Route`] picks one of its workers (round-robin, by key, least
//! loaded; a [`RouteError`] when none can take messages). Requests and replies across
//! ecosystems are ordinary [`call`](crate::ProcessRef::call)s with timeouts.

mod binary;
mod broadcast;
mod credit;
mod error;
mod route;

pub use crate::process::delivery::Delivery;
pub use crate::process::message_stats::MessageStats;
pub use crate::process::overflow::Overflow;
pub use binary::{Binary, MessageSize, shared_binary_bytes};
pub(crate) use broadcast::broadcast_shared;
pub use broadcast::{BroadcastError, BroadcastReport, broadcast};
pub use credit::{Credit, CreditLink, Credited, MAX_CREDITS};
pub use error::{CreditTrySendError, RouteError};
pub use route::Route;
