//! Names and groups.
//!
//! Names are unique per namespace on a node ([`Registry`]); groups are named sets of processes
//! ([`Groups`]). Both clean up after a process exits, before its links and monitors hear of it.
//!
//! The tables themselves are the node's, kept by the engine (as `register` and process groups
//! are part of the BEAM's runtime): a process must leave them inside its exit, before the exit
//! is announced. This module is their public face.

mod groups;
mod names;

pub use crate::engine::name::Name;
pub use groups::Groups;
pub use names::Registry;
