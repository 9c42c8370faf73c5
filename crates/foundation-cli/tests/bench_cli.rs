//! `foundation bench`, run as a user runs it.

use std::process::Command;

fn foundation(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_foundation")).args(args).output().unwrap()
}

#[test]
fn a_quick_run_of_one_workload_writes_the_documented_json() {
    let dir = std::env::temp_dir().join(format!("foundation-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("bench.json");
    let markdown = dir.join("bench.md");
    let out = foundation(&[
        "bench",
        "--quick",
        "--only",
        "call",
        "--json",
        json.to_str().unwrap(),
        "--markdown",
        markdown.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("call · 2000 calls · p50"), "{table}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["machine"]["cpus"].as_u64().unwrap() >= 1);
    assert_eq!(report["machine"]["quick"], true);
    let rows = report["rows"].as_array().unwrap();
    let systems: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["system"].as_str().unwrap()).collect();
    assert!(systems.contains("foundation") && systems.contains("tokio"), "{systems:?}");
    for row in rows {
        assert_eq!(row["workload"], "call");
        assert!(["p50", "p99"].contains(&row["metric"].as_str().unwrap()), "{row}");
        assert_eq!(row["unit"], "ns");
        let (min, median, max) = (
            row["min"].as_f64().unwrap(),
            row["median"].as_f64().unwrap(),
            row["max"].as_f64().unwrap(),
        );
        assert!(min > 0.0 && min <= median && median <= max, "{row}");
        assert!(
            ["foundation", "ractor", "kameo", "actix", "tokio"]
                .contains(&row["system"].as_str().unwrap()),
            "{row}"
        );
    }
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains("| call | 2000 calls | p50 | foundation |"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_spec_claims_come_with_their_workloads() {
    let dir = std::env::temp_dir().join(format!("foundation-bench-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("bench.json");
    let out =
        foundation(&["bench", "--quick", "--only", "creation", "--json", json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let spec = |param: &str, metric: &str| {
        rows.iter()
            .find(|r| r["system"] == "spec" && r["param"] == param && r["metric"] == metric)
            .map(|r| r["median"].as_f64().unwrap())
    };
    assert_eq!(spec("1000 workers", "time"), Some(15.2));
    assert_eq!(spec("10 workers", "memory"), Some(51_200.0));
    // The CLI installs the accounting allocator, so memory is measured, per process too.
    assert!(rows.iter().any(|r| r["system"] == "foundation" && r["metric"] == "bytes_per_process"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_bench_input_is_a_clear_message_and_exit_code_2() {
    for (args, needle) in [
        (&["bench", "--only", "nope"][..], "--only"),
        (&["bench", "--quick", "--bogus"][..], "--bogus"),
        (&["bench", "--json"][..], "--json"),
    ] {
        let out = foundation(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
