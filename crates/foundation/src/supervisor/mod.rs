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
//! Children start in the order of the spec, each only once the previous one's `init` has
//! completed (as OTP's `start_link`; a nested supervisor's whole subtree starts before its next
//! sibling). If one fails to start or its `init` fails, the ones already started are stopped and
//! the supervisor fails to start. A child must therefore not call its own supervisor from
//! `init`: the supervisor is waiting for that `init`. Children stop in reverse order, each per its
//! [`Shutdown`]: a `Shutdown` exit signal, a wait, then a kill. A supervisor stops its children
//! when it is asked to exit by its parent or its node ([`Node::shutdown`](crate::Node::shutdown)
//! stops the oldest processes first, so a tree shuts down from the top).
//!
//! A start nobody waits for any more (the future of
//! [`Node::spawn_supervisor`](crate::Node::spawn_supervisor) dropped, by a timeout say) is
//! given up at once: the child in its `init` is killed, the ones started are stopped, and the
//! supervisor exits with `Shutdown`, leaving nothing behind.
//!
//! # Stable addresses
//!
//! A child keeps its address across restarts: the [`ProcessRef`](crate::ProcessRef) from
//! [`SupervisorRef::child`] reaches every incarnation, and messages waiting in the mailbox when
//! a child dies are handled by the next one. The address closes (and its waiting messages are
//! dropped) when the supervisor lets the child go: a temporary child that ended, a deleted
//! child, or a supervisor that stops or gives up.
//!
//! # Reaching a child
//!
//! To reach a child across restarts, give it a registered name ([`ChildSpec::name`]); every
//! incarnation registers it.

pub(crate) mod child;
mod child_info;
mod error;
mod handle;
pub(crate) mod server;
mod spec;

pub use child_info::ChildInfo;
pub use error::SupervisorError;
pub use handle::SupervisorRef;
pub use spec::{
    ChildKind, ChildSpec, DEFAULT_WORKER_SHUTDOWN, Restart, RestartIntensity, Shutdown,
    ShutdownOrder, Strategy, SupervisorSpec,
};
