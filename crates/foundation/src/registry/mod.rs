//! Names and groups.
//!
//! Names are unique per namespace on a node ([`Registry`]); groups are named sets of processes
//! ([`Groups`]). Both clean up after a process exits, before its links and monitors hear of it.

mod groups;
mod name;
mod names;

pub use groups::Groups;
pub use name::Name;
pub use names::Registry;
