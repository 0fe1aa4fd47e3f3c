//! `nxsys-etl doctor` end to end: the real binary against a sandbox started by the test, seeded
//! with a worker, timesheets and payslips without a request, then against each API variant the
//! doctor can see without writing. The sandbox's counters prove it never writes.

use nxsys_etl::api::ServerTraits;
use nxsys_etl::api::traits::{Filters, Shape};
use nxsys_etl::journal::Journal;
use nxsys_etl::settings::ConfigFile;
use nxsys_sandbox::{Quirks, SandboxConfig};
use serde_json::Value;

use crate::import::{Env, Run};

/// A sandbox with `quirks`, holding one UK worker with two timesheets (and their payslips),
/// put there without a request, so every read of the doctor has something to look at.
async fn seeded(quirks: &str) -> Env {
    let env = Env::start(SandboxConfig {
        quirks: Quirks::parse(quirks).expect("known quirks"),
        ..SandboxConfig::default()
    })
    .await;
    env.sandbox.seed_timesheets(2, 2025);
    let stats = env.stats();
    assert_eq!((stats.reads, stats.writes), (0, 0), "seeding sends nothing");
    env
}

async fn doctor(env: &Env, extra: &[&str]) -> Run {
    let mut args = vec!["--json", "doctor"];
    args.extend(extra);
    env.run(&args).await
}

fn variants(json: &Value) -> Vec<String> {
    json["variants"]
        .as_array()
        .unwrap_or_else(|| panic!("variants is an array: {json}"))
        .iter()
        .map(|v| v.as_str().expect("a name").to_string())
        .collect()
}

fn check<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {json}"))
}

/// The doctor against a sandbox with `quirk` names it (and nothing else), exits 0, and writes
/// nothing.
async fn names(quirk: &str) -> Value {
    let env = seeded(quirk).await;
    let run = doctor(&env, &[]).await;
    assert_eq!(run.code, 0, "{quirk}: {}\n{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(variants(&json), [quirk], "{json:#}");
    let stats = env.stats();
    assert_eq!(stats.writes, 0, "{quirk}: the doctor never writes");
    assert!(stats.reads > 0);
    json
}

#[tokio::test]
async fn the_default_sandbox_is_all_green_with_no_variant_and_nothing_written() {
    let env = seeded("").await;
    let run = doctor(&env, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(variants(&json), Vec::<String>::new(), "{json:#}");
    assert_eq!(json["ok"], true);
    assert!(
        json["base_url"]
            .as_str()
            .unwrap()
            .starts_with(&env.sandbox.base_url)
    );
    for c in json["checks"].as_array().unwrap() {
        assert_eq!(c["ok"], true, "{c}");
    }
    // With a worker, timesheets and payslips to read, the read-only checks all ran.
    for name in [
        "list time-sheets",
        "filters candidates",
        "filters payment-rate",
        "filters time-sheets",
        "filters payslips",
        "page size",
        "validation errors",
        "timesheet line echo",
        "candidate by id",
        "payslip worker id",
        "redirect URI",
        "exact redirect",
        "clock skew",
    ] {
        assert_eq!(check(&json, name)["ran"], true, "{name}: {json:#}");
    }
    // What needs a write is said, not tried.
    for name in [
        "numbers in bodies",
        "PUT semantics",
        "PPS field",
        "default pay codes",
    ] {
        let c = check(&json, name);
        assert_eq!(
            (c["ok"].as_bool(), c["ran"].as_bool()),
            (Some(true), Some(false))
        );
        assert!(
            c["detail"].as_str().unwrap().contains("without writing"),
            "{c}"
        );
    }
    let traits: ServerTraits = serde_json::from_value(json["traits"].clone()).expect("traits");
    assert_eq!(traits.filters("candidates"), Filters::Honoured);
    assert_eq!(traits.filters("time-sheets"), Filters::Honoured);
    assert_eq!(traits.line_echo, Some(true));
    assert_eq!(traits.candidate_get, Shape::Nested);
    assert_eq!(traits.payslip_worker_id, Some(true));
    assert_eq!(traits.validation_500, Some(false));
    assert_eq!(traits.exact_redirect, Some(false));
    assert_eq!(json["token_lifetime_secs"], 3600);

    let stats = env.stats();
    assert_eq!(stats.writes, 0, "the doctor never writes");
    assert_eq!(stats.timesheets, 2);
    assert!(stats.reads >= 6, "one page of every list at least");

    // No secret reaches the output, in JSON or as a table.
    let table = env.run(&["doctor"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("check") && table.stdout.contains("what the importer will do"));
    for out in [&run.stdout, &run.stderr, &table.stdout, &table.stderr] {
        for secret in [
            &env.sandbox.client_secret,
            &env.sandbox.refresh_token,
            &env.sandbox.access_token(),
        ] {
            assert!(
                !out.contains(secret.as_str()),
                "a secret in the output:\n{out}"
            );
        }
    }
}

#[tokio::test]
async fn filters_ignored_is_named() {
    let json = names("filters-ignored").await;
    assert!(
        check(&json, "filters candidates")["detail"]
            .as_str()
            .unwrap()
            .contains("ignored")
    );
}

#[tokio::test]
async fn filters_rejected_is_named() {
    let json = names("filters-rejected").await;
    let traits: ServerTraits = serde_json::from_value(json["traits"].clone()).unwrap();
    assert_eq!(traits.filters("candidates"), Filters::Rejected);
    // `code` is on the payment-rate page: still honoured.
    assert_eq!(traits.filters("payment-rate"), Filters::Honoured);
}

#[tokio::test]
async fn no_line_echo_is_named() {
    names("no-line-echo").await;
}

#[tokio::test]
async fn flat_get_is_named() {
    names("flat-get").await;
}

#[tokio::test]
async fn payslip_no_worker_id_is_named() {
    names("payslip-no-worker-id").await;
}

#[tokio::test]
async fn validation_500_is_named() {
    let json = names("validation-500").await;
    assert!(
        check(&json, "page size")["detail"]
            .as_str()
            .unwrap()
            .contains("500")
    );
}

#[tokio::test]
async fn exact_redirect_is_named() {
    names("exact-redirect").await;
}

#[tokio::test]
async fn quirks_seen_only_by_writing_are_not_guessed() {
    for quirk in [
        "numbers-only",
        "put-replaces",
        "no-pps",
        "default-rates-locked",
    ] {
        let env = seeded(quirk).await;
        let run = doctor(&env, &[]).await;
        assert_eq!(run.code, 0, "{quirk}: {}", run.stderr);
        assert_eq!(variants(&run.json()), Vec::<String>::new(), "{quirk}");
        assert_eq!(env.stats().writes, 0);
    }
}

#[tokio::test]
async fn a_refused_redirect_uri_fails_the_check_with_what_to_do() {
    let env = seeded("exact-redirect").await;
    let run = doctor(&env, &["--redirect-uri", "http://127.0.0.1:8766/callback"]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let json = run.json();
    let c = check(&json, "redirect URI");
    assert_eq!(c["ok"], false);
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("Nxsys refused the redirect URI http://127.0.0.1:8766/callback"),
        "{c}"
    );
    assert_eq!(env.stats().writes, 0);
}

#[tokio::test]
async fn save_keeps_the_traits_in_the_journal_and_the_profile() {
    let env = seeded("no-line-echo,flat-get").await;
    let config = "# employers\n[profiles.acme]\n# the test sandbox\nrate = 50 # fast\n";
    std::fs::write(env.path("config.toml"), config).unwrap();
    let run = doctor(&env, &["--save"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Without --profile nothing is written to the configuration.
    assert_eq!(
        std::fs::read_to_string(env.path("config.toml")).unwrap(),
        config
    );
    let json = run.json();
    let base_url = json["base_url"].as_str().unwrap().to_string();
    let journal = Journal::open(&env.path("state")).expect("journal");
    let learnt: ServerTraits = journal.learnt(&base_url).unwrap().expect("learnt");
    assert_eq!(learnt.variants(), ["no-line-echo", "flat-get"]);

    // Another sign-in (the profile has its own token store entry; the first run's refresh
    // token was rotated away).
    let out = env
        .command(&["--json", "--profile", "acme", "doctor", "--save"])
        .env("NXSYS_REFRESH_TOKEN", env.sandbox.new_refresh_token())
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(env.path("config.toml")).unwrap();
    for kept in ["# employers", "# the test sandbox", "rate = 50 # fast"] {
        assert!(text.contains(kept), "{kept} lost:\n{text}");
    }
    assert!(text.contains("[profiles.acme.server]"), "{text}");
    let file = ConfigFile::parse(&text).expect("still a valid configuration");
    let (_, acme) = file.profile(Some("acme")).unwrap().unwrap();
    let server = acme.server.expect("the server table");
    assert_eq!(server.line_echo, Some(false));
    assert_eq!(server.candidate_get, Shape::Flat);
    assert_eq!(server.variants(), ["no-line-echo", "flat-get"]);
    assert_eq!(env.stats().writes, 0);
}

#[tokio::test]
async fn a_refused_sign_in_exits_3_and_a_bad_quirk_exits_2() {
    let env = seeded("").await;
    let out = env
        .command(&["--json", "doctor"])
        .env("NXSYS_REFRESH_TOKEN", "not-a-token")
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = env
        .run(&["doctor", "--sandbox", "--sandbox-quirks", "no-such-quirk"])
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-quirk"), "{}", run.stderr);
    let run = env.run(&["doctor", "--sandbox-quirks", "flat-get"]).await;
    assert_eq!(
        run.code, 2,
        "--sandbox-quirks needs --sandbox: {}",
        run.stderr
    );
}

#[tokio::test]
async fn the_embedded_sandbox_takes_quirks() {
    // Empty, so only what needs no data can be seen: both of these can.
    let env = Env::fast().await;
    let run = env
        .run(&[
            "--json",
            "doctor",
            "--sandbox",
            "--sandbox-quirks",
            "validation-500,exact-redirect",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(variants(&json), ["validation-500", "exact-redirect"]);
    assert_eq!(
        check(&json, "timesheet line echo")["ran"],
        false,
        "nothing to read"
    );
}
