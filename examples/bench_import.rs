//! Import throughput against a rate-limited sandbox (issue 5, "Throughput").
//!
//! Starts the sandbox with a token bucket of 50 requests/s and 20–80 ms latency, imports a
//! generated batch with the client's rate set to the same 50/s, and prints the achieved request
//! rate as a share of the limit and the share of requests answered 429. Target: ≥ 95 % of the
//! limit, < 1 % of 429s.
//!
//! ```sh
//! cargo run --release --example bench_import [WORKERS] [PERIODS] [CONCURRENCY]
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use nxsys_etl::api::ClientConfig;
use nxsys_etl::auth::{self, Credentials};
use nxsys_etl::journal::Journal;
use nxsys_etl::rules::Enums;
use nxsys_etl::schema::{ReadOptions, load_batch};
use nxsys_etl::submit::{ImportRequest, SubmitOptions, import};
use nxsys_etl::synth::{self, Spec};
use nxsys_sandbox::SandboxConfig;

const LIMIT: u32 = 50;

/// A valid batch from [`synth::generate`]: `workers` candidates, 2 pay codes, and a weekly
/// timesheet of 2 lines for every worker in each of `periods` weeks.
fn write_batch(dir: &Path, workers: u64, periods: u64) -> anyhow::Result<Vec<PathBuf>> {
    let spec = Spec {
        workers,
        pay_codes: 2,
        timesheet_lines: 2 * workers * periods,
        timesheets: Some(workers * periods),
        ..Spec::default()
    };
    Ok(synth::generate(&spec, dir)?.files)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let mut args = std::env::args().skip(1);
    let workers: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(150);
    let periods: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir()?;
    let files = write_batch(&dir.path().join("batch"), workers, periods)?;
    let options = ReadOptions {
        entity: None,
        mapping: None,
        enums: Enums::embedded_with_user(None)?,
        strict: false,
        mask_pii: false,
    };
    let batch = load_batch(&files, &options)?;

    let server = nxsys_sandbox::start(SandboxConfig {
        rate_limit: Some(LIMIT),
        latency_ms: Some((20, 80)),
        ..SandboxConfig::default()
    })
    .await?;
    let mut config = ClientConfig::new(server.base_url.parse()?);
    config.rate = LIMIT;
    config.concurrency = concurrency;
    let client = auth::connect(
        config,
        Credentials {
            client_id: server.client_id.clone(),
            client_secret: server.client_secret.clone().into(),
            refresh_token: server.refresh_token.clone().into(),
        },
        None,
    )
    .await?;
    let journal = Journal::open(&dir.path().join("state"))?;
    let request = ImportRequest {
        files,
        base_url: server.base_url.clone(),
        recorded_options: serde_json::json!({}),
        resume: None,
        tenant: None,
        allow_duplicate_batch: false,
        submit: SubmitOptions {
            concurrency,
            dry_run: false,
            offline: false,
            progress: false,
            acceptance: Default::default(),
            server_error_budget: nxsys_etl::submit::SERVER_ERROR_BUDGET,
        },
    };

    let before = server.stats();
    let started = Instant::now();
    let outcome = import(&client, &journal, &batch.records, &request).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let after = server.stats();

    let requests = after.requests - before.requests;
    let throttled = after.rate_limited - before.rate_limited;
    let rate = requests as f64 / elapsed;
    println!(
        "bench_import: {} records ({workers} workers, {periods} periods), run {}",
        batch.records.len(),
        outcome.run_id
    );
    println!("  sandbox limit        {LIMIT} requests/s, latency 20-80 ms");
    println!("  requests             {requests} in {elapsed:.1} s");
    println!(
        "  achieved rate        {rate:.1} requests/s = {:.1} % of the limit (target >= 95 %)",
        100.0 * rate / f64::from(LIMIT)
    );
    println!(
        "  answered 429         {throttled} = {:.2} % of requests (target < 1 %)",
        100.0 * throttled as f64 / requests.max(1) as f64
    );
    println!(
        "  records per second   {:.1}",
        batch.records.len() as f64 / elapsed
    );
    println!(
        "  duplicates           {} candidates, {} timesheets",
        after.duplicate_candidates, after.duplicate_timesheets
    );
    server.shutdown().await;
    Ok(())
}
