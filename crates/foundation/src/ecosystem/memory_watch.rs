//! An ecosystem's memory: its pressure against its budget, the shared heap's enforcement, and
//! compaction under pressure.

use std::sync::Arc;

use crate::ecosystem::{EcosystemConfig, GcStrategy, MemoryPressure, MemoryStrategy};
use crate::engine::process_block::AnyProcess;
use crate::engine::signal::Signal;
use crate::telemetry::Event;
use crate::{Node, WeakProcessRef};

/// The level of `held` against `budget`: low under half, medium under 90%, high beyond.
pub(crate) fn pressure(held: u64, budget: u64) -> MemoryPressure {
    if held.saturating_mul(2) < budget {
        MemoryPressure::Low
    } else if held.saturating_mul(10) < budget.saturating_mul(9) {
        MemoryPressure::Medium
    } else {
        MemoryPressure::High
    }
}

/// Watches the members' memory every `memory_check_interval` until the ecosystem's supervisor
/// ends: sets the `foundation_ecosystem_memory_bytes` gauge (with the `metrics` feature), tells
/// `memory_pressure` changes, asks members to compact when it is high (standard GC), and with
/// the shared heap ends the member holding the most while the budget is exceeded.
pub(crate) async fn watch(
    node: Node,
    config: EcosystemConfig,
    members: Arc<dyn Fn() -> Vec<Arc<dyn AnyProcess>> + Send + Sync>,
    supervisor: WeakProcessRef<crate::supervisor::server::SupervisorMsg>,
) {
    let mut ticks = tokio::time::interval(config.memory_check_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut level = MemoryPressure::Low;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = supervisor.shared.core.wait_final() => return,
        }
        let processes = members();
        let held: Vec<(u64, &Arc<dyn AnyProcess>)> =
            processes.iter().filter_map(|p| Some((p.core().memory()?, p))).collect();
        if held.is_empty() {
            continue;
        }
        let total: u64 = held.iter().map(|(bytes, _)| bytes).sum();
        #[cfg(feature = "metrics")]
        metrics::gauge!("foundation_ecosystem_memory_bytes", "ecosystem" => config.name.clone())
            .set(total as f64);
        let Some(budget) = config.memory_budget else { continue };
        let now = pressure(total, budget);
        if now != level {
            level = now;
            let event = Event::MemoryPressure {
                ecosystem: config.name.clone(),
                pressure: now,
                held: total,
                budget,
            };
            node.telemetry().emit(&event);
            if now == MemoryPressure::High && config.gc_strategy == GcStrategy::Standard {
                for (_, process) in &held {
                    process.core().push_signal_current(Signal::Compact);
                }
            }
        }
        if config.memory_strategy == MemoryStrategy::SharedHeap
            && total > budget
            && let Some((bytes, largest)) = held.iter().max_by_key(|(bytes, _)| *bytes)
        {
            largest.core().push_signal_current(Signal::Overrun { limit: budget, held: *bytes });
        }
    }
}
