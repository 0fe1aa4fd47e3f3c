//! Running the real binary under a time limit and (on Unix) an address-space limit, with
//! stdout and stderr captured to files so a chatty child can never block on a full pipe.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished run left behind.
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// stdout and stderr together, as a user at a terminal reads them.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_nxsys-etl")
}

/// Run `nxsys-etl args…` in `dir` with `env` added, killing it after `limit`. With
/// `memory_mib`, the child's address space is capped (via `ulimit -v`), so a run that tries to
/// hold a whole zip bomb dies instead of passing.
pub fn run(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
    memory_mib: Option<u64>,
) -> Outcome {
    let out_path = dir.join(".stdout");
    let err_path = dir.join(".stderr");
    let stdout = std::fs::File::create(&out_path).expect("stdout file");
    let stderr = std::fs::File::create(&err_path).expect("stderr file");
    let mut command = match memory_mib {
        Some(mib) if cfg!(unix) => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c")
                .arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024))
                .arg(bin());
            c
        }
        _ => Command::new(bin()),
    };
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start nxsys-etl");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nxsys-etl") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "nxsys-etl {} did not finish within {limit:?}; stderr so far:\n{}",
                args.join(" "),
                read_lossy(&err_path)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        code: status.code(),
        stdout: read_lossy(&out_path),
        stderr: read_lossy(&err_path),
    }
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}
