//! The accounts' interface when the crate is built without the `accounting-allocator` feature:
//! no allocator can charge anything, so there is no table and no account to open. Every
//! process and isolated job shares the runtime account, switching accounts costs nothing, and
//! every figure is `None`, as it is with the feature when the allocator is not installed.
//!
//! The same names as `accounts.rs`, so that the engine, the ecosystem and `isolate` are the same
//! code with and without the feature.

/// The runtime's account, the only one.
pub(crate) const RUNTIME: u64 = 0;

/// `false`: there is no allocator to install.
pub(crate) fn is_installed() -> bool {
    false
}

/// The runtime account: nothing is measured, so a process needs no account of its own, and one
/// with a memory limit still starts (its limit cannot be measured, as with the feature when
/// the allocator is not installed).
pub(crate) fn open() -> Option<u64> {
    Some(RUNTIME)
}

/// No accounts: `open` never runs out.
pub(crate) fn capacity() -> usize {
    0
}

/// Nothing to close.
pub(crate) fn close(_tag: u64) {}

/// `None`: nothing is measured.
pub(crate) fn live(_tag: u64) -> Option<u64> {
    None
}

/// `None`: nothing is measured.
pub(crate) fn peak(_tag: u64) -> Option<u64> {
    None
}

/// `None`: nothing is measured.
pub(crate) fn runtime_live() -> Option<u64> {
    None
}

/// `None`: nothing is measured.
pub(crate) fn total_live() -> Option<u64> {
    None
}

/// Stands where `accounts::ChargeTo` switches the account allocations are charged to: there is
/// none to switch.
pub(crate) struct ChargeTo;

impl ChargeTo {
    /// Does nothing.
    #[inline]
    pub(crate) fn new(_tag: u64) -> Self {
        ChargeTo
    }

    /// Does nothing.
    #[inline]
    pub(crate) fn shared_heap() -> Self {
        ChargeTo
    }
}
