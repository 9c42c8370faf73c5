//! The node: the runtime handle that spawns, observes, stops and shuts down processes.

mod handle;
mod shutdown;

pub use handle::Node;
pub use shutdown::ShutdownReport;
