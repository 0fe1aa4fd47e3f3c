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

use std::time::Instant;

use nxsys_etl::api::{Client, ClientConfig, Credentials};
use nxsys_etl::journal::Journal;
use nxsys_etl::rules::Enums;
use nxsys_etl::sandbox::{self, SandboxConfig};
use nxsys_etl::schema::{ReadOptions, load_batch};
use nxsys_etl::submit::{ImportRequest, SubmitOptions, import};

const LIMIT: u32 = 50;

fn write_batch(dir: &std::path::Path, workers: usize, periods: u32) -> Vec<std::path::PathBuf> {
    let mut c = String::from(
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,\
         Pay Frequency,Payment Model\n",
    );
    let mut t = String::from("Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units,VAT Code\n");
    for i in 0..workers {
        c += &format!(
            "BW{i:05},Bench{i},Worker,1990-01-01,AB{i:06}C,1 Bench St,Leeds,LS1 4AP,\
             b{i}@example.com,WEEKLY,PAYEE\n"
        );
        for p in 1..=periods {
            t += &format!("BW{i:05},2025,{p},PR300,12.50,37.5,S\n");
            t += &format!("BW{i:05},2025,{p},PR301,18.75,4,S\n");
        }
    }
    let r = "Code,Description,Type,Units,Default VAT Code\n\
             PR300,Bench hourly,RATE,HOURLY,S\nPR301,Bench overtime,RATE,HOURLY,S\n";
    [
        ("candidates.csv", c),
        ("payment-rates.csv", r.to_string()),
        ("timesheets.csv", t),
    ]
    .into_iter()
    .map(|(name, text)| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write batch");
        path
    })
    .collect()
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
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(150);
    let periods: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir()?;
    let files = write_batch(dir.path(), workers, periods);
    let options = ReadOptions {
        entity: None,
        mapping: None,
        enums: Enums::embedded_with_user(None)?,
    };
    let batch = load_batch(&files, &options)?;

    let server = sandbox::start(SandboxConfig {
        rate_limit: Some(LIMIT),
        latency_ms: Some((20, 80)),
        ..SandboxConfig::default()
    })
    .await?;
    let mut config = ClientConfig::new(server.base_url.parse()?);
    config.rate = LIMIT;
    config.concurrency = concurrency;
    let client = Client::connect(
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
        allow_duplicate_batch: false,
        submit: SubmitOptions {
            concurrency,
            dry_run: false,
            offline: false,
            progress: false,
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
