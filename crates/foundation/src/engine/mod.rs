//! The machinery under the public API: mailboxes, control blocks, the run loop, signal
//! handling and exit propagation. Nothing here is public.

pub(crate) mod adoption;
pub(crate) mod control;
pub(crate) mod delivery;
pub(crate) mod exit;
pub(crate) mod guard;
pub(crate) mod link_set;
pub(crate) mod links;
pub(crate) mod mailbox;
pub(crate) mod node_state;
pub(crate) mod run_loop;
pub(crate) mod spawn;
pub(crate) mod supervision;
pub(crate) mod sync;
pub(crate) mod traffic;
