//! The `foundation` command, run as a user runs it.

use std::process::Command;

fn foundation(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_foundation")).args(args).output().unwrap()
}

#[test]
fn a_short_demo_loses_nothing_and_heals_every_kind_of_fault() {
    let out = foundation(&["demo", "--duration", "3", "--workers", "50", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let field = |name: &str| summary[name].as_u64().unwrap_or_else(|| panic!("{name}: {summary}"));
    assert!(field("jobs_submitted") > 0);
    assert_eq!(field("jobs_lost"), 0);
    assert_eq!(field("jobs_completed"), field("jobs_submitted"));
    assert!(field("coordinator_restarts") >= 1, "{summary}");
    assert!(field("worker_restarts") >= 1, "{summary}");
    assert!(field("memory_limit_exits") >= 1, "{summary}");
    assert!(field("peak_memory_bytes") > 0);
}

#[test]
fn bad_input_is_a_clear_message_and_exit_code_2() {
    for (args, needle) in [
        (&["demo", "--workers", "0"][..], "--workers"),
        (&["demo", "--duration", "0"][..], "--duration"),
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
