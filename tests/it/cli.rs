//! The command-line contract: every `--help` and the messages users meet most, as snapshots
//! (`tests/snapshots/`), so wording and exit codes change only on purpose. After a deliberate
//! change, rewrite the snapshots with `SNAPSHOTS=overwrite cargo test --test it cli::` and
//! review the diff.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use clap::CommandFactory;
use snapbox::cmd::Command;
use snapbox::{Assert, Data};

fn snapshot(name: &str) -> Data {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("snapshots")
        .join(name);
    Data::read_from(&path, None).raw()
}

fn assert() -> Assert {
    Assert::new().action_env(snapbox::assert::DEFAULT_ACTION_ENV)
}

/// The binary with no setting of the user's leaking in (a set `NXSYS_PROFILE` would show in
/// `--help` as `[env: NXSYS_PROFILE=…]`).
fn nxsys(dir: &Path) -> Command {
    bare(dir)
        .env("NXSYS_CONFIG", dir.join("config.toml"))
        // Relative, so messages naming it read the same on every machine.
        .env("NXSYS_STATE_DIR", "state")
        .env("NXSYS_TOKEN_STORE", dir.join("tokens.json"))
}

/// The binary with no `NXSYS_…` variable at all (`--help` shows the values of those set).
fn bare(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    for var in [
        "NXSYS_CONFIG",
        "NXSYS_STATE_DIR",
        "NXSYS_TOKEN_STORE",
        "NXSYS_PROFILE",
        "NXSYS_BASE_URL",
        "NXSYS_TIMEOUT",
        "NXSYS_CLIENT_ID",
        "NXSYS_CLIENT_SECRET",
        "NXSYS_REFRESH_TOKEN",
    ] {
        cmd = cmd.env_remove(var);
    }
    cmd
}

/// Every visible (sub)command's path, e.g. `[]`, `["import"]`, `["auth", "login"]`.
fn command_paths(command: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut path = prefix.clone();
        path.push(sub.get_name().to_string());
        command_paths(sub, path, out);
    }
}

#[test]
fn every_help_matches_its_snapshot() {
    let dir = tempfile::tempdir().expect("dir");
    let mut paths = Vec::new();
    command_paths(&nxsys_etl::cli::Cli::command(), Vec::new(), &mut paths);
    assert!(paths.len() > 15, "{paths:?}");
    for path in paths {
        let name = if path.is_empty() {
            "nxsys-etl".to_string()
        } else {
            path.join("-")
        };
        let output = bare(dir.path())
            .args(&path)
            .arg("--help")
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        assert().eq(
            Data::text(String::from_utf8_lossy(&output).into_owned()),
            snapshot(&format!("help/{name}.txt")),
        );
    }
}

/// A refused command line: its stderr as a snapshot, and exit 2.
fn refused(dir: &Path, args: &[&str], name: &str) {
    nxsys(dir)
        .args(args)
        .assert()
        .code(2)
        .stdout_eq("")
        .stderr_eq(snapshot(&format!("messages/{name}.txt")));
}

#[test]
fn messages_for_bad_command_lines_and_inputs() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(d.join("config.toml"), "").expect("config");
    std::fs::create_dir(d.join("batch")).expect("folder");
    refused(d, &["import", "--rate", "0", "x.csv"], "rate-zero");
    refused(
        d,
        &["import", "--concurrency", "0", "x.csv"],
        "concurrency-zero",
    );
    refused(
        d,
        &[
            "export",
            "payslips",
            "--tax-year",
            "2025/27",
            "-o",
            "p.xlsx",
        ],
        "tax-year-bad",
    );
    refused(d, &["validate", "missing.csv"], "missing-file");
    refused(d, &["validate", "batch"], "folder");
    refused(d, &["runs", "show", "latest"], "no-run-yet");

    // An empty batch: the template with only its example row.
    nxsys(d)
        .args(["template", "candidates", "-o", "."])
        .assert()
        .code(0);
    nxsys(d)
        .args(["validate", "candidates.xlsx"])
        .assert()
        .code(0)
        .stdout_eq(snapshot("messages/empty-batch.txt"));
}

#[test]
fn a_tax_year_is_accepted_in_both_forms() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("config.toml"), "").expect("config");
    for year in ["2025", "2025/26", "2025-26"] {
        let out = nxsys(dir.path())
            .args(["--json", "--no-progress", "export", "payslips", "--sandbox"])
            .args(["--tax-year", year, "--tax-period", "1", "-o", "p.csv"])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let summary: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert!(summary["payslips"].as_u64() > Some(0), "{year}: {summary}");
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definition() {
    let dir = tempfile::tempdir().expect("dir");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = nxsys(dir.path())
            .args(["completions", shell])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8_lossy(&out);
        for word in ["nxsys-etl", "import", "tax-year", "completions"] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
    }
    let out = nxsys(dir.path())
        .arg("manpage")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8_lossy(&out);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH nxsys-etl 1"), "{page}");
    assert!(page.contains("import"), "{page}");
}

/// The `export` lines the sandbox prints work when pasted into a shell as they are.
#[cfg(unix)]
#[test]
fn the_sandbox_prints_lines_a_shell_takes_as_they_are() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("NXSYS_CONFIG", dir.path().join("config.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let done = line.contains("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().expect("stop the sandbox");
    let _ = child.wait();
    let listening = lines
        .iter()
        .find_map(|l| l.strip_prefix("Nxsys sandbox listening on "))
        .expect("the address")
        .to_string();
    let pasted: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("export ") || l.starts_with('#'))
        .collect();
    assert!(pasted.len() >= 3, "{lines:?}");
    let script = format!(
        "set -eu\n{}\nprintf '%s\\n%s\\n%s' \"$NXSYS_BASE_URL\" \"$NXSYS_CLIENT_ID\" \"$NXSYS_CLIENT_SECRET\"",
        pasted.join("\n")
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "{script}");
    let values = String::from_utf8_lossy(&out.stdout).into_owned();
    let values: Vec<&str> = values.lines().collect();
    assert_eq!(values.len(), 3, "{values:?}");
    assert_eq!(values[0], listening);
    assert!(
        values[1..]
            .iter()
            .all(|v| !v.is_empty() && !v.contains('\'')),
        "{values:?}"
    );
}
