//! Names and groups.
//!
//! Names are unique per namespace on a node ([`Registry`]); groups are named multisets of
//! processes ([`Groups`]). Both clean up after a process exits, before its links and monitors
//! hear of it.
//!
//! The tables themselves are the node's, kept by the engine (as `register` and process groups
//! are part of the BEAM's runtime): a process must leave them inside its exit, before the exit
//! is announced. This module is their public face.
//!
//! # Process groups
//!
//! [`Groups`] is OTP's `pg` on one node:
//!
//! - **Membership is a multiset.** A process that joins a group twice is a member twice:
//!   [`members`](Groups::members) lists it twice and it must [`leave`](Groups::leave) twice.
//!   `leave` removes one membership (the latest) and returns `false` for a process that is not
//!   a member (OTP's `not_joined`). An exit removes every membership, before links and monitors
//!   hear of it. A group with no members disappears from [`which_groups`](Groups::which_groups).
//! - **Scopes** are independent namespaces of groups ([`Node::group_scope`](crate::Node::group_scope),
//!   OTP's `pg:start_link(Scope)`); [`Node::groups`](crate::Node::groups) is the default scope,
//!   `"pg"`. A group `"g"` in one scope has nothing to do with `"g"` in another.
//! - **Broadcast** ([`Groups::broadcast`]) reaches each process once, however many times it
//!   joined: its receivers are processes, as for every broadcast in
//!   [`message`](crate::message#broadcast).
//! - **Monitors** ([`Groups::monitor`], [`Groups::monitor_scope`]; OTP 25.1's `pg:monitor/2`
//!   and `pg:monitor_scope/1`) return the members now and a [`GroupMonitor`] that hears each
//!   later change as a [`GroupEvent`], one per membership, in the order the groups changed.
//!   The snapshot and the subscription are taken under one lock, so nothing falls between
//!   them. A monitor holds a bounded number of unread events; a join or leave never waits for
//!   it, and a monitor that falls behind ends with [`RecvError::Lagged`] after the events it
//!   kept, never by losing one silently.
//!
//! ## Where we differ from OTP, on purpose
//!
//! - A scope needs no starting and has no process: it exists while it has a group or a
//!   monitor. OTP's scope is a `gen_server` to start under a supervisor, because it gossips
//!   with the other nodes' scopes; ours is a table of this node (the cluster will sync it).
//! - `join` takes one pid and returns whether it is that process's first membership of the
//!   group (OTP's `join` takes a list and returns `ok`); a process may join for another, as in
//!   OTP, but only a live local one.
//! - [`members`](Groups::members) keeps join order (OTP leaves it unspecified).
//! - [`Groups::broadcast`] sends once per process; OTP has no broadcast, and sending to each
//!   element of `get_members` would send twice to a double member.
//! - A monitor is a [`GroupMonitor`] the caller reads (`recv`, or as a stream), or hands to a
//!   process with [`forward_to`](GroupMonitor::forward_to), which queues the events in its
//!   mailbox as OTP does and ends with that process. It ends when dropped, so a process that
//!   holds one in its state stops it by exiting. Events come one pid at a time; a process in many groups that exits makes one
//!   `Left` per membership.
//! - Each membership is also shown in [`ProcessInfo::groups`](crate::ProcessInfo::groups): the
//!   group's name in the default scope, `scope/group` in another.

mod group_monitor;
mod groups;
mod names;

pub use crate::engine::group_event::{GroupEvent, GroupEventKind};
pub use crate::engine::name::Name;
pub use group_monitor::{GroupMonitor, RecvError};
pub use groups::{DEFAULT_MONITOR_CAPACITY, Groups};
pub use names::Registry;
