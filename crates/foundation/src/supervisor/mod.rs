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
//! | [`AutoShutdown`], [`ChildSpec::significant`] | `auto_shutdown`, `significant` (OTP 24) | `Never`, `false` |
//! | [`SupervisorRef::start_child`] and friends | `supervisor:start_child/2`, ... | |
//! | [`DynamicSupervisorSpec`], [`DynamicSupervisorRef`] | `simple_one_for_one` (Elixir's `DynamicSupervisor`) | no `max_children` limit |
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
//! # Restarting, one attempt at a time
//!
//! A restart is one attempt: the strategy stops what it must and starts the group again (the
//! child alone, every child, or the child and those after it), each start waiting for that child's
//! `init`. If a start in the group fails (an `init` that fails, a name taken), the supervisor does
//! not loop: as OTP's `try_again_restart`, it marks the child that failed
//! [`ChildStatus::Restarting`] and sends itself a message to try again. The requests that came in
//! meanwhile ([`which_children`](SupervisorRef::which_children),
//! [`start_child`](SupervisorRef::start_child),
//! [`terminate_child`](SupervisorRef::terminate_child), ...) are answered first, so a supervisor
//! stays responsive while a child keeps failing to start; it is busy only during one attempt, as
//! OTP's is. Every attempt counts against the intensity, so a child that cannot start any more
//! ends the supervisor, naming the child. The next attempt is a restart of the child that failed
//! like any other: under `OneForAll` it stops the children the failed attempt had started and
//! starts them all again; under `RestForOne` it starts again from the child that failed (the
//! children before it in the tail are up already); under `OneForOne` it starts the child alone.
//!
//! A child being restarted is listed with pid `None` and status `Restarting`.
//! [`terminate_child`](SupervisorRef::terminate_child) stops the attempts (the child is then
//! `Stopped`); [`restart_child`](SupervisorRef::restart_child) and
//! [`delete_child`](SupervisorRef::delete_child) answer [`SupervisorError::Restarting`], as OTP's
//! `{error, restarting}`.
//!
//! # What a supervisor keeps
//!
//! A child's spec is kept for its restarts, with what its factory captured. A temporary child is
//! never restarted, so once it has started its factory is dropped (OTP keeps no start arguments
//! for temporary children): whatever the factory captured lives only as long as the running child
//! needs it.
//!
//! # Ignored children and computed children
//!
//! A child made with [`ChildSpec::worker_or_ignore`] may decide at each start that there is
//! nothing to start (OTP's `ignore`): not an error; it is kept stopped, with no pid (a
//! temporary child, or a dynamic supervisor's, is not kept), and `start_child` and
//! `restart_child` answer `Ok(None)`. [`SupervisorSpec::init`] computes children when the
//! supervisor starts and again at each of its restarts (OTP's `init/1`); its error or panic is
//! a failed start of the supervisor.
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
//!
//! # Automatic shutdown
//!
//! A child marked [`significant`](ChildSpec::significant) ends its supervisor when it ends by
//! itself and is not restarted (a transient child after a normal exit, a temporary one after any
//! exit): at once under [`AutoShutdown::AnySignificant`], once no other significant child runs or
//! is being restarted under [`AutoShutdown::AllSignificant`]. The supervisor then stops its other
//! children and exits with `Shutdown`, which its own supervisor does not take for a failure of a
//! transient child. A child stopped with [`terminate_child`](SupervisorRef::terminate_child) never
//! triggers it. As in OTP, a significant child must be transient or temporary, and the supervisor's
//! `auto_shutdown` must not be `Never`: otherwise the child is refused with a
//! [`ConfigError`](crate::ConfigError) naming `children[].significant` (or `significant` for a
//! child added later).
//!
//! # Dynamic supervisors
//!
//! [`Node::spawn_dynamic_supervisor`](crate::Node::spawn_dynamic_supervisor) starts a supervisor
//! of one kind of child, OTP's `simple_one_for_one`: its [`DynamicSupervisorSpec`] holds a template
//! that makes each child's spec from that child's arguments, and
//! [`DynamicSupervisorRef::start_child`] takes the arguments. Children restart one-for-one with
//! their own arguments; one that is not to be restarted, or is stopped by
//! [`DynamicSupervisorRef::terminate_child`] (by pid), is forgotten. `max_children` bounds how many
//! run at once: beyond, [`SupervisorError::MaxChildren`]. It shuts its children down all at once
//! ([`ShutdownOrder::Concurrent`]), as OTP's.
//!
//! # Subtrees
//!
//! [`SupervisorRef::child_supervisor`] gives a handle to a nested supervisor, to manage that
//! subtree with the same requests. The handle reaches every incarnation of the nested supervisor;
//! one restarted by its parent starts again from its spec.
//!
//! # Differences from OTP
//!
//! - [`which_children`](SupervisorRef::which_children) lists children in start order (the spec's,
//!   then each `start_child` after); OTP lists the most recent first. Start order is the order the
//!   spec reads and the one restarts and strategies are described in; a Rust caller reverses a
//!   `Vec` at no cost when it wants OTP's.
//! - Ids are strings, and a spec with a repeated or empty id is a
//!   [`SupervisorError::Config`] naming the field (`children[].id`) and the id, rather than
//!   OTP's `{duplicate_child_name, Id}`.

pub(crate) mod child;
mod child_info;
mod dynamic;
mod error;
mod handle;
mod restart;
pub(crate) mod server;
mod shutdown;
mod spec;

pub use child_info::{ChildCounts, ChildInfo, ChildStatus};
pub use dynamic::{DynamicSupervisorRef, DynamicSupervisorSpec};
pub use error::SupervisorError;
pub use handle::SupervisorRef;
pub use spec::{
    AutoShutdown, ChildKind, ChildSpec, DEFAULT_WORKER_SHUTDOWN, Restart, RestartIntensity,
    Shutdown, ShutdownOrder, Strategy, SupervisorSpec,
};
