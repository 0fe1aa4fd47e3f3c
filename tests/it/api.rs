//! The API client against the embedded sandbox on an ephemeral loopback port: every endpoint
//! round-trips, the quirks the docs leave open are read, a 429 storm is ridden out, and no
//! secret reaches the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use nxsys_etl::api::*;
use nxsys_etl::auth::{self, Credentials};
use nxsys_sandbox::{Quirks, SandboxConfig, SandboxHandle};
use rust_decimal::Decimal;
use secrecy::SecretString;
use url::Url;

async fn start(config: SandboxConfig) -> SandboxHandle {
    nxsys_sandbox::start(config).await.expect("sandbox starts")
}

fn base(sb: &SandboxHandle) -> Url {
    Url::parse(&sb.base_url).expect("sandbox URL")
}

fn creds(sb: &SandboxHandle) -> Credentials {
    Credentials {
        client_id: sb.client_id.clone(),
        client_secret: SecretString::from(sb.client_secret.clone()),
        refresh_token: SecretString::from(sb.refresh_token.clone()),
    }
}

async fn connect(sb: &SandboxHandle, rate: u32) -> Client {
    let mut config = ClientConfig::new(base(sb));
    config.rate = rate;
    auth::connect(config, creds(sb), None)
        .await
        .expect("client connects")
}

fn candidate(agency_ref: &str, ni: &str) -> CandidateBody {
    CandidateBody {
        general_setting: Some(GeneralSetting {
            agency_ref: Some(agency_ref.into()),
            title: Some("MR".into()),
            forename: Some("Michael".into()),
            surname: Some("Smith".into()),
            dob: chrono::NaiveDate::from_ymd_opt(1990, 5, 15),
            ni_number: Some(ni.into()),
            address: Some(vec!["1 High Street".into()]),
            city: Some("London".into()),
            post_code: Some("SW1A 1AA".into()),
            country: Some("GB".into()),
            email: Some("michael@example.com".into()),
            pay_frequency: Some("WEEKLY".into()),
            annual_salary: Some(Decimal::new(3500000, 2)),
            rate_hour: Some(Decimal::new(155, 1)),
            ..Default::default()
        }),
        bank_setting: Some(BankSetting {
            account_number: Some("01234567".into()),
            sort_code: Some("012345".into()),
            ..Default::default()
        }),
        payroll_setting: Some(PayrollSetting {
            payment_model: Some("PAYEE".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn find_candidate(client: &Client, agency_ref: &str) -> Candidate {
    let found: Vec<Candidate> = client
        .candidates(CandidateFilter {
            agency_ref: Some(agency_ref.into()),
            ..Default::default()
        })
        .try_collect()
        .await
        .expect("candidate list");
    let mut matching: Vec<Candidate> = found
        .into_iter()
        .filter(|c| c.agency_ref() == Some(agency_ref))
        .collect();
    assert_eq!(matching.len(), 1, "one candidate {agency_ref}");
    matching.remove(0)
}

#[tokio::test]
async fn every_endpoint_round_trips() {
    let sb = start(SandboxConfig::default()).await;
    let client = connect(&sb, 50).await;

    // VAT codes
    let vat = client.vat_codes().await.expect("vat codes");
    let standard = vat
        .iter()
        .find(|v| v.vat_code.as_deref() == Some("S"))
        .expect("a standard VAT code");
    assert_eq!(standard.rate_percent(), Some(Decimal::from(20)));
    let vat_id = standard.id.clone().expect("VAT id");

    // Candidates, UK: create (no body), find, get, update.
    client
        .create_candidate(&candidate("AR-1", "QQ123456C"))
        .await
        .expect("create candidate");
    let listed = find_candidate(&client, "AR-1").await;
    let id = listed.id.clone().expect("candidate id");
    assert!(id.starts_with("SR-"), "{id}");
    let got = client.get_candidate(&id).await.expect("get candidate");
    assert_eq!(got.ni_number(), Some("QQ123456C"));
    let mut change = candidate("AR-1", "QQ123456C");
    if let Some(g) = change.general_setting.as_mut() {
        g.city = Some("Leeds".into());
    }
    client
        .update_candidate(&id, &change)
        .await
        .expect("update candidate");

    // Candidates, Ireland.
    let mut ie = candidate("IE-1", "");
    if let Some(g) = ie.general_setting.as_mut() {
        g.ni_number = None;
        g.post_code = None;
        g.pps_number = Some("1234567TW".into());
        g.eircode = Some("D02 Y006".into());
        g.country = Some("IE".into());
    }
    let created_ie = client
        .create_candidate_ie(&ie)
        .await
        .expect("create Irish candidate");
    let ie_list: Vec<Candidate> = client
        .candidates_ie(CandidateFilter::default())
        .try_collect()
        .await
        .expect("Irish list");
    let ie_id = created_ie
        .and_then(|c| c.id)
        .or_else(|| {
            ie_list
                .iter()
                .find(|c| c.agency_ref() == Some("IE-1"))
                .and_then(|c| c.id.clone())
        })
        .expect("Irish candidate id");
    client
        .get_candidate_ie(&ie_id)
        .await
        .expect("get Irish candidate");
    client
        .update_candidate_ie(&ie_id, &ie)
        .await
        .expect("update Irish candidate");

    // Payment rates: create, list by code, get, update.
    let body = PaymentRateBody {
        description: Some("Standard hourly".into()),
        display_on_payslip: Some(true),
        status: Some("ACTIVE".into()),
        code: Some("PRT01".into()),
        rate_type: Some("RATE".into()),
        units: Some("HOURLY".into()),
        hours_per_unit: Some(Decimal::ONE),
        default_vat_code: Some(vat_id.clone()),
        ..Default::default()
    };
    client
        .create_payment_rate(&body)
        .await
        .expect("create payment rate");
    let rates: Vec<PaymentRate> = client
        .payment_rates(PaymentRateFilter {
            code: Some("PRT01".into()),
            ..Default::default()
        })
        .try_collect()
        .await
        .expect("payment rates");
    let rate = rates
        .iter()
        .find(|r| r.code.as_deref() == Some("PRT01"))
        .expect("created rate listed");
    let rate_id = rate.id.clone().expect("rate id");
    assert_eq!(
        client
            .get_payment_rate(&rate_id)
            .await
            .unwrap()
            .hours_per_unit,
        Some(Decimal::ONE)
    );
    let edit = PaymentRateBody {
        description: Some("Standard hourly (edited)".into()),
        code: None,
        ..body.clone()
    };
    client
        .update_payment_rate(&rate_id, &edit)
        .await
        .expect("update payment rate");
    assert_eq!(
        client
            .get_payment_rate(&rate_id)
            .await
            .unwrap()
            .description
            .as_deref(),
        Some("Standard hourly (edited)")
    );

    // Timesheets: create, get, update, list.
    let line = |units: i64| TimesheetRateLine {
        rate_id: rate_id.clone(),
        rate: Decimal::new(1550, 2),
        units: Decimal::from(units),
        vat_id: Some(vat_id.clone()),
    };
    let ts = client
        .create_timesheet(&TimesheetCreate {
            subcontractor_ref: id.clone(),
            rates: vec![line(10)],
            tax_year: 2025,
            tax_period_config: 1,
            ..Default::default()
        })
        .await
        .expect("create timesheet");
    let ts_id = ts.id.clone().expect("timesheet id");
    assert_eq!(ts.total_net, Some(Decimal::new(15500, 2)));
    assert_eq!(
        client
            .get_timesheet(&ts_id)
            .await
            .unwrap()
            .subcontractor_ref
            .as_deref(),
        Some(id.as_str())
    );
    let updated = client
        .update_timesheet(
            &ts_id,
            &TimesheetEdit {
                rates: vec![line(20)],
                ..Default::default()
            },
        )
        .await
        .expect("update timesheet");
    assert_eq!(updated.total_net, Some(Decimal::new(31000, 2)));
    let mine: Vec<Timesheet> = client
        .timesheets(TimesheetFilter {
            subcontractor_ref: Some(id.clone()),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);

    // Payslips.
    let slips: Vec<Payslip> = client
        .payslips(PayslipFilter::default())
        .try_collect()
        .await
        .expect("payslips");
    assert!(slips.iter().all(|p| p.id.is_some()));

    // A data error is a rejection with the server's reason, sent once.
    let err = client
        .create_payment_rate(&PaymentRateBody {
            code: Some("PRT01".into()),
            ..body
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Rejected { .. }), "{err}");
    assert!(!err.is_ambiguous());
    let err = client.get_timesheet("TS-999999").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn nest_errors_and_meta_pagination_are_read() {
    let sb = start(SandboxConfig {
        quirks: Quirks {
            nest_errors: true,
            meta_pagination: true,
            ..Default::default()
        },
        seed_payslips: 250,
        ..Default::default()
    })
    .await;
    let client = connect(&sb, 100).await;
    let slips: Vec<Payslip> = client
        .payslips(PayslipFilter::default())
        .try_collect()
        .await
        .expect("payslips");
    assert_eq!(slips.len(), 250);
    let mut ids: Vec<&str> = slips.iter().filter_map(|p| p.id.as_deref()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no payslip twice, none missing");

    let err = client
        .create_timesheet(&TimesheetCreate {
            subcontractor_ref: "SR-424242".into(),
            tax_year: 2025,
            tax_period_config: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    match &err {
        ApiError::Rejected {
            status, message, ..
        } => {
            assert!((400..500).contains(status), "{err}");
            assert!(!message.is_empty());
        }
        other => panic!("expected a rejection, got {other}"),
    }
}

#[tokio::test]
async fn a_429_storm_is_ridden_out() {
    let sb = start(SandboxConfig {
        rate_limit: Some(10),
        ..Default::default()
    })
    .await;
    // Ask for five times what the server allows.
    let client = connect(&sb, 50).await;
    let results: Vec<Result<Vec<VatCode>, ApiError>> = futures::stream::iter(0..60)
        .map(|_| {
            let c = client.clone();
            async move { c.vat_codes().await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let stats = client.stats();
    println!("429 storm: {stats:?}");
    assert!(stats.throttled > 0, "the server did push back");
    assert!(stats.rate < 50, "the client slowed down: {stats:?}");
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_logs_or_errors() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = start(SandboxConfig::default()).await;
    let mut errors = Vec::new();
    let client = connect(&sb, 50).await;
    client.vat_codes().await.expect("vat codes");
    sb.expire_tokens();
    client.vat_codes().await.expect("vat codes after expiry");
    errors.push(
        client
            .create_timesheet(&TimesheetCreate::default())
            .await
            .unwrap_err()
            .to_string(),
    );
    errors.push(format!("{:?}", client));
    errors.push(format!("{:?}", creds(&sb)));
    // A refused sign-in, and a token endpoint that is down.
    let mut bad = creds(&sb);
    bad.refresh_token = SecretString::from("not-a-valid-refresh-token-123".to_string());
    let err = auth::connect(ClientConfig::new(base(&sb)), bad, None)
        .await
        .unwrap_err();
    errors.push(err.to_string());
    errors.push(format!("{err:?}"));
    assert!(client.stats().token_refreshes >= 2);

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/nxsys/vat-code"),
        "request tracing is on: {logs}"
    );
    let secrets = vec![
        sb.client_secret.clone(),
        sb.refresh_token.clone(),
        "not-a-valid-refresh-token-123".to_string(),
    ];
    // Access tokens are not visible to the test: no Authorization value or token field may
    // appear at all.
    for marker in [
        "Nxsys-oauthtoken ",
        "Bearer ",
        "accessToken",
        "refreshToken",
        "clientSecret",
    ] {
        assert!(!logs.contains(marker), "`{marker}` is in the logs");
    }
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        for e in &errors {
            assert!(!e.contains(secret.as_str()), "a secret is in an error: {e}");
        }
    }
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_ambiguous_and_sent_once() {
    let sb = start(SandboxConfig::default()).await;
    let client = connect(&sb, 50).await;
    let before = sb.stats();
    sb.set_faults(nxsys_sandbox::Faults {
        drop_after_commit: 1.0,
        ..Default::default()
    });
    let body = PaymentRateBody {
        description: Some("Lost answer".into()),
        status: Some("ACTIVE".into()),
        code: Some("PRLOST".into()),
        rate_type: Some("RATE".into()),
        units: Some("HOURLY".into()),
        hours_per_unit: Some(Decimal::ONE),
        ..Default::default()
    };
    let err = client.create_payment_rate(&body).await.unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert!(err.to_string().contains("check the server"), "{err}");
    sb.set_faults(nxsys_sandbox::Faults::default());
    let after = sb.stats();
    assert_eq!(
        after.payment_rates,
        before.payment_rates + 1,
        "applied once"
    );
    assert_eq!(client.stats().ambiguous, 1);
    // The caller's check by natural key finds it.
    let found: Vec<PaymentRate> = client
        .payment_rates(PaymentRateFilter {
            code: Some("PRLOST".into()),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(found.iter().any(|r| r.code.as_deref() == Some("PRLOST")));
}

/// Reads answered 500 are retried for the retry budget, not a count: an outage of a couple of
/// seconds passes (five count-based retries would have given up within about three).
#[tokio::test]
async fn a_short_outage_is_ridden_out_by_reads() {
    let sb = start(SandboxConfig::default()).await;
    let mut config = ClientConfig::new(base(&sb));
    config.max_retries = 1;
    let client = auth::connect(config, creds(&sb), None).await.unwrap();
    sb.set_faults(nxsys_sandbox::Faults {
        status500: 1.0,
        ..Default::default()
    });
    let started = std::time::Instant::now();
    let codes = tokio::join!(client.vat_codes(), async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        sb.set_faults(nxsys_sandbox::Faults::default());
    })
    .0
    .expect("the read waits the outage out");
    assert!(!codes.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(sb.stats().faults_injected >= 2);
}

#[tokio::test]
async fn server_errors_retry_reads_and_make_writes_ambiguous() {
    let sb = start(SandboxConfig::default()).await;
    let mut config = ClientConfig::new(base(&sb));
    config.max_retries = 2;
    config.retry_budget = Duration::ZERO;
    let client = auth::connect(config, creds(&sb), None).await.unwrap();
    sb.set_faults(nxsys_sandbox::Faults {
        status500: 1.0,
        ..Default::default()
    });
    let read = client.vat_codes().await.unwrap_err();
    assert!(
        matches!(read, ApiError::Unreachable { attempts: 3, .. }),
        "{read}"
    );
    let write = client
        .create_candidate(&candidate("AR-9", "QQ123456C"))
        .await
        .unwrap_err();
    assert!(write.is_ambiguous(), "{write}");
    assert_eq!(write.status(), Some(500));
}
