//! The `foundation` command, run as a user runs it.

use std::process::Command;

fn foundation(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_foundation")).args(args).output().unwrap()
}

/// A short run, its faults by the count of jobs (not the clock): 24,000 jobs in 12 batches
/// meet one coordinator kill (after batch 10), twelve worker kills and the memory hog (after
/// batch 5), whatever the machine's speed.
#[test]
fn a_short_demo_loses_nothing_and_heals_every_kind_of_fault() {
    let out = foundation(&["demo", "--jobs", "24000", "--workers", "50", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let field = |name: &str| summary[name].as_u64().unwrap_or_else(|| panic!("{name}: {summary}"));
    assert_eq!(field("jobs_submitted"), 24_000);
    assert_eq!(field("jobs_lost"), 0);
    assert_eq!(field("jobs_completed"), 24_000);

    // Every restart is explained: the coordinator's by the kills made, the workers' by the
    // kills and the hog's memory limit.
    assert_eq!(field("coordinator_kills"), 1, "{summary}");
    assert_eq!(field("worker_kills"), 12, "{summary}");
    assert_eq!(field("unexplained_coordinator_restarts"), 0, "{summary}");
    assert_eq!(summary["coordinator_restart_reasons"], serde_json::json!({ "killed": 1 }));
    assert_eq!(field("coordinator_restarts"), 1);
    assert_eq!(summary["worker_restart_reasons"]["killed"].as_u64(), Some(12), "{summary}");
    assert_eq!(summary["worker_restart_reasons"]["memory_limit"].as_u64(), Some(1), "{summary}");
    assert_eq!(field("worker_restarts"), 13);
    assert_eq!(field("memory_limit_exits"), 1);

    // Jobs that ran twice are counted with their reasons, and listed.
    let reasons = summary["duplicate_reasons"].as_object().unwrap();
    assert_eq!(
        reasons.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        field("jobs_duplicated")
    );
    let listed = summary["duplicates"].as_array().unwrap().len() as u64;
    assert_eq!(listed, field("jobs_duplicated").min(20));

    // The heap comes back: within 1% of what it was before the ecosystem started, or a few
    // KiB (the runtime's scheduler keeps a small buffer it grew, see `demo/mod.rs`).
    let (before, after) = (field("baseline_memory_bytes"), field("final_memory_bytes"));
    assert!(before > 0 && field("peak_memory_bytes") > before);
    assert!(after <= before + (before / 100).max(4096), "{before} -> {after}");
    assert_eq!(summary["heap_returned"], true);
}

#[test]
fn bad_input_is_a_clear_message_and_exit_code_2() {
    for (args, needle) in [
        (&["demo", "--workers", "0"][..], "--workers"),
        (&["demo", "--duration", "0"][..], "--duration"),
        (&["demo", "--jobs", "0"][..], "--jobs"),
        (&["demo", "--jobs", "10", "--duration", "3"][..], "--jobs"),
        (&["demo", "--topology", "star"][..], "--topology"),
        (&["demo", "--config", "/nonexistent/foundation.toml"][..], "cannot read"),
        (&["demo", "--bogus"][..], "--bogus"),
        (&["nonsense"][..], "nonsense"),
    ] {
        let out = foundation(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_invalid_config_file_names_the_field() {
    let dir = std::env::temp_dir().join(format!("foundation-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "name = \"x\"\nworkers = 0\n").unwrap();
    let out = foundation(&["demo", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`workers`"));
    std::fs::remove_dir_all(&dir).unwrap();
}
