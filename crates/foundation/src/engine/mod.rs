//! The machinery under the public API: mailboxes, control blocks, the run loop, signal
//! handling and exit propagation. Nothing here is public.

pub(crate) mod adoption;
pub(crate) mod control_block;
pub(crate) mod current;
pub(crate) mod finish;
pub(crate) mod group_event;
pub(crate) mod group_table;
pub(crate) mod guard;
pub(crate) mod hook;
pub(crate) mod link_set;
pub(crate) mod links;
pub(crate) mod mailbox;
pub(crate) mod message_counters;
pub(crate) mod name;
pub(crate) mod node_state;
pub(crate) mod panic_location;
pub(crate) mod process_block;
pub(crate) mod relations;
pub(crate) mod remote;
pub(crate) mod run_loop;
pub(crate) mod signal;
pub(crate) mod spawn;
pub(crate) mod sync;
