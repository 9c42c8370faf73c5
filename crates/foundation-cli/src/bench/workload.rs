//! The workloads of `foundation bench`, their sizes (full and `--quick`), and the spec's claims.

use std::fmt;

/// The workloads, by the name `--only` takes.
pub(crate) const NAMES: &[&str] = &[
    "creation",
    "messages_simple",
    "messages_complex",
    "cross_ecosystem",
    "many_to_one",
    "call",
    "payload_1mib",
    "recovery",
    "cross_node",
];

/// One measurement to take on every system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Start `n` idle actors (an ecosystem of `n` workers).
    Creation(usize),
    /// `u64` messages 1 → 1.
    Simple(u64),
    /// ~1 KB orders 1 → 1.
    Complex(u64),
    /// worker → coordinator → coordinator → worker.
    Chain(u64),
    /// (senders, messages) into one bounded mailbox.
    ManyToOne(u64, u64),
    /// Request/reply round trips.
    Call(u64),
    /// 1 MiB payloads 1 → 1.
    Payload(u64),
    /// Coordinator recovery with this many workers.
    Recovery(usize),
    /// Between this process and a peer node in another OS process, on loopback.
    CrossNode(Across),
}

/// What `cross_node` measures between this process and its peer node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Across {
    /// `u64` casts to the peer's `echo` over one connection, then a count to check that all
    /// arrived.
    Small(u64),
    /// 1 KiB payloads, likewise.
    Kib(u64),
    /// Calls to the peer's `echo`, one after another.
    Calls(u64),
    /// `kill -9` of the peer, until a monitor of its `echo` is told.
    Death,
    /// A burst of 1 KiB payloads at a peer stopped with SIGSTOP: what the sender holds.
    Stopped(u64),
    /// One connection, idle: the heap it holds on the side that dialled.
    Idle,
}

/// Bytes in a `cross_node` payload.
pub(crate) const KIB: usize = 1024;

impl Step {
    /// The workload's name.
    pub(crate) fn workload(&self) -> &'static str {
        match self {
            Step::Creation(_) => "creation",
            Step::Simple(_) => "messages_simple",
            Step::Complex(_) => "messages_complex",
            Step::Chain(_) => "cross_ecosystem",
            Step::ManyToOne(..) => "many_to_one",
            Step::Call(_) => "call",
            Step::Payload(_) => "payload_1mib",
            Step::Recovery(_) => "recovery",
            Step::CrossNode(_) => "cross_node",
        }
    }

    /// The parameter, as the report shows it.
    pub(crate) fn param(&self) -> String {
        match self {
            Step::Creation(n) => format!("{n} workers"),
            Step::Simple(m) | Step::Complex(m) | Step::Chain(m) | Step::Payload(m) => {
                format!("{m} msgs")
            }
            Step::ManyToOne(s, m) => format!("{s} senders, {m} msgs"),
            Step::Call(c) => format!("{c} calls"),
            Step::Recovery(w) => format!("{w} workers"),
            Step::CrossNode(Across::Small(m)) => format!("u64, {m} msgs"),
            Step::CrossNode(Across::Kib(m)) => format!("1 KiB, {m} msgs"),
            Step::CrossNode(Across::Calls(c)) => format!("{c} calls"),
            Step::CrossNode(Across::Death) => "kill -9 to monitor down".to_owned(),
            Step::CrossNode(Across::Stopped(m)) => format!("1 KiB × {m} to a stopped peer"),
            Step::CrossNode(Across::Idle) => "one idle connection".to_owned(),
        }
    }

    /// The spec's claims for this step: (metric, unit, value).
    pub(crate) fn spec_claims(&self) -> Vec<(&'static str, &'static str, f64)> {
        match *self {
            Step::Creation(10) => vec![("time", "ms", 0.5), ("memory", "bytes", 50.0 * 1024.0)],
            Step::Creation(100) => vec![("time", "ms", 2.1), ("memory", "bytes", 500.0 * 1024.0)],
            Step::Creation(1000) => {
                vec![("time", "ms", 15.2), ("memory", "bytes", 5.0 * 1024.0 * 1024.0)]
            }
            Step::Simple(_) => vec![("rate", "msgs/s", 2.1e6)],
            Step::Complex(_) => vec![("rate", "msgs/s", 850e3)],
            Step::Chain(_) => vec![("rate", "msgs/s", 450e3)],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.workload(), self.param())
    }
}

/// The steps of a run: all workloads or `only` one, full sizes or quick ones.
pub(crate) fn plan(quick: bool, only: Option<&str>) -> Vec<Step> {
    let messages = if quick { 200_000 } else { 1_000_000 };
    let mut steps = Vec::new();
    let creation: &[usize] =
        if quick { &[10, 100, 1_000] } else { &[10, 100, 1_000, 10_000, 100_000] };
    steps.extend(creation.iter().map(|&n| Step::Creation(n)));
    steps.push(Step::Simple(messages));
    steps.push(Step::Complex(messages / 2));
    steps.push(Step::Chain(messages));
    steps.push(Step::ManyToOne(2, messages));
    steps.push(Step::ManyToOne(100, messages));
    steps.push(Step::Call(if quick { 2_000 } else { 10_000 }));
    steps.push(Step::Payload(messages));
    steps.push(Step::Recovery(10));
    steps.push(Step::Recovery(if quick { 1_000 } else { 10_000 }));
    steps.push(Step::CrossNode(Across::Small(messages)));
    steps.push(Step::CrossNode(Across::Kib(messages / 4)));
    steps.push(Step::CrossNode(Across::Calls(if quick { 2_000 } else { 10_000 })));
    steps.push(Step::CrossNode(Across::Death));
    steps.push(Step::CrossNode(Across::Stopped(if quick { 65_536 } else { 262_144 })));
    steps.push(Step::CrossNode(Across::Idle));
    steps.retain(|s| only.is_none_or(|o| s.workload() == o));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_has_steps_and_only_filters() {
        for quick in [true, false] {
            let all = plan(quick, None);
            for name in NAMES {
                let some = plan(quick, Some(name));
                assert!(!some.is_empty(), "{name}");
                assert!(some.iter().all(|s| s.workload() == *name));
                assert!(some.iter().all(|s| all.contains(s)));
            }
        }
        assert!(plan(true, Some("nope")).is_empty());
        assert!(plan(true, None).len() < plan(false, None).len());
    }

    #[test]
    fn the_spec_claims_are_its_benchmark_table() {
        assert_eq!(Step::Creation(1000).spec_claims()[0], ("time", "ms", 15.2));
        assert_eq!(Step::Simple(1).spec_claims(), vec![("rate", "msgs/s", 2.1e6)]);
        assert!(Step::Call(1).spec_claims().is_empty());
    }
}
