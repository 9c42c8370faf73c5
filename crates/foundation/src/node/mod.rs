//! The node: the runtime handle that spawns, observes, stops and shuts down processes.

mod ecosystems;
mod handle;
pub(crate) mod services;
mod shutdown;

pub use handle::Node;
pub use shutdown::ShutdownReport;
