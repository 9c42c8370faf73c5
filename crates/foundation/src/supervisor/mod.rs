//! Supervisors: OTP's supervision trees.
//!
//! A supervisor starts its children in order, watches them through links, and restarts them
//! according to their [`Restart`] policy and its [`Strategy`]. The vocabulary and the defaults
//! are OTP's:
//!
//! | here | OTP | default |
//! | --- | --- | --- |
//! | [`Strategy`] | `strategy` | `OneForOne` |
//! | [`RestartIntensity`] | `intensity`, `period` | 1 restart in 5 s |
//! | [`Restart`] | `restart` | `Permanent` |
//! | [`Shutdown`] | `shutdown` | 5 s for workers, `Infinity` for supervisors |
//! | [`ChildSpec`] | child specification | |
//! | [`SupervisorRef::start_child`] and friends | `supervisor:start_child/2`, ... | |
//!
//! # Restarts
//!
//! When a child ends, a `Permanent` child is restarted, a `Transient` one only if it ended
//! abnormally (not `Normal` or `Shutdown`), a `Temporary` one never (and it is forgotten). Each
//! restart counts against the intensity: if more than `max_restarts` happen within `period`,
//! the supervisor stops all its children and exits with
//! [`SupervisorError::RestartIntensityReached`], naming the child that failed last. Its own
//! supervisor, if any, then decides what to do: failures escalate up the tree.
//!
//! # Start and shutdown order
//!
//! Children start in the order of the spec; if one fails to start, the ones already started are
//! stopped and the supervisor fails to start. Children stop in reverse order, each per its
//! [`Shutdown`]: a `Shutdown` exit signal, a wait, then a kill. A supervisor stops its children
//! when it is asked to exit by its parent or its node ([`Node::shutdown`](crate::Node::shutdown)
//! stops the oldest processes first, so a tree shuts down from the top).
//!
//! # Children are held
//!
//! A supervisor keeps a strong address of every child, so a child with no other address does
//! not end for want of one. To reach a child across restarts, give it a registered name
//! ([`ChildSpec::name`]); every incarnation registers it.

mod error;
mod handle;
mod spec;

pub use error::{ChildInfo, SupervisorError};
pub use handle::SupervisorRef;
pub use spec::{
    ChildKind, ChildSpec, DEFAULT_WORKER_SHUTDOWN, Restart, RestartIntensity, Shutdown, Strategy,
    SupervisorSpec,
};
