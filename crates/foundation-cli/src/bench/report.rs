//! The report as a terminal table and as Markdown: for every step and metric, each system's
//! median and spread, how Foundation compares with it, and the spec's claim.

use std::fmt::Write;

use super::stats::{Report, Row, advantage};

/// Rows grouped by (workload, param, metric), in report order.
fn groups(report: &Report) -> Vec<Vec<&Row>> {
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    for row in &report.rows {
        match groups.iter_mut().find(|g| {
            g[0].workload == row.workload && g[0].param == row.param && g[0].metric == row.metric
        }) {
            Some(group) => group.push(row),
            None => groups.push(vec![row]),
        }
    }
    groups
}

/// A value with its unit, compactly: 6.75 M msgs/s, 1.200 ms, 1,440 B, 2.10 MiB.
pub(crate) fn human(value: f64, unit: &str) -> String {
    if unit == "bytes" {
        return if value >= 1024.0 * 1024.0 {
            format!("{:.2} MiB", value / (1024.0 * 1024.0))
        } else if value >= 10.0 * 1024.0 {
            format!("{:.1} KiB", value / 1024.0)
        } else {
            format!("{value:.0} B")
        };
    }
    if value >= 1e9 {
        format!("{:.2} G {unit}", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.2} M {unit}", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.1} K {unit}", value / 1e3)
    } else if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.3} {unit}")
    }
}

/// How Foundation compares with `row`'s system: "1.26× better" style, from the medians.
fn versus(foundation: Option<&Row>, row: &Row) -> String {
    if row.system == "foundation" {
        return String::new();
    }
    match foundation.and_then(|f| advantage(&row.unit, f.median, row.median)) {
        Some(x) if x >= 1.0 => format!("Foundation {x:.2}× better"),
        Some(x) => format!("Foundation {:.2}× worse", 1.0 / x),
        None => String::new(),
    }
}

/// The terminal table.
pub(crate) fn table(report: &Report) -> String {
    let mut out = String::new();
    for group in groups(report) {
        let head = group[0];
        let _ = writeln!(out, "{} · {} · {}", head.workload, head.param, head.metric);
        let foundation = group.iter().copied().find(|r| r.system == "foundation");
        for row in &group {
            let spread = if row.system == "spec" {
                "(claimed)".to_owned()
            } else {
                format!("[{} – {}]", human(row.min, &row.unit), human(row.max, &row.unit))
            };
            let _ = writeln!(
                out,
                "  {:<11} {:>16}  {:<36} {}",
                row.system,
                human(row.median, &row.unit),
                spread,
                versus(foundation, row)
            );
        }
    }
    out
}

/// The same as a Markdown table, for `docs/BENCHMARKS.md`.
pub(crate) fn markdown(report: &Report) -> String {
    let m = &report.machine;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run on {} ({} CPUs, {}/{}), {} repetitions per row, interleaved: `{}`\n",
        m.date, m.cpus, m.os, m.arch, m.repetitions, m.command
    );
    let _ = writeln!(
        out,
        "| workload | param | metric | system | median | min – max | vs Foundation |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
    for group in groups(report) {
        let foundation = group.iter().copied().find(|r| r.system == "foundation");
        for row in &group {
            let spread = if row.system == "spec" {
                "claimed".to_owned()
            } else {
                format!("{} – {}", human(row.min, &row.unit), human(row.max, &row.unit))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.workload,
                row.param,
                row.metric,
                row.system,
                human(row.median, &row.unit),
                spread,
                versus(foundation, row)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Machine;

    fn row(system: &str, unit: &str, median: f64) -> Row {
        Row {
            workload: "messages_simple".into(),
            param: "1000 msgs".into(),
            system: system.into(),
            metric: "rate".into(),
            unit: unit.into(),
            median,
            min: median * 0.9,
            max: median * 1.1,
        }
    }

    fn report(rows: Vec<Row>) -> Report {
        let machine = Machine {
            cpus: 2,
            os: "linux".into(),
            arch: "x86_64".into(),
            date: "2026-11-25".into(),
            command: "foundation bench".into(),
            quick: false,
            repetitions: 5,
        };
        Report { machine, rows }
    }

    #[test]
    fn the_table_compares_every_system_with_foundation() {
        let r = report(vec![
            row("foundation", "msgs/s", 6e6),
            row("tokio", "msgs/s", 3e6),
            row("spec", "msgs/s", 2.1e6),
        ]);
        let table = table(&r);
        assert!(table.contains("messages_simple · 1000 msgs · rate"), "{table}");
        assert!(table.contains("Foundation 2.00× better"), "{table}");
        assert!(table.contains("Foundation 2.86× better"), "{table}");
        assert!(table.contains("(claimed)"), "{table}");
        let md = markdown(&r);
        assert_eq!(md.lines().filter(|l| l.starts_with("| messages_simple")).count(), 3);
        assert!(md.contains("`foundation bench`"));
    }

    #[test]
    fn lower_is_better_for_times() {
        let r = report(vec![row("foundation", "ns", 800.0), row("tokio", "ns", 400.0)]);
        assert!(table(&r).contains("Foundation 2.00× worse"));
    }

    #[test]
    fn human_scales() {
        assert_eq!(human(6_750_000.0, "msgs/s"), "6.75 M msgs/s");
        assert_eq!(human(1440.0, "bytes"), "1440 B");
        assert_eq!(human(2.1 * 1024.0 * 1024.0, "bytes"), "2.10 MiB");
        assert_eq!(human(0.5, "ms"), "0.500 ms");
    }
}
