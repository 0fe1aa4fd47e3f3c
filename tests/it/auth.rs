//! Sign-in: the token store's file permissions, and (against the sandbox) login, refresh and
//! rotation.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use futures::StreamExt;
use nxsys_etl::api::{ApiError, ClientConfig};
use nxsys_etl::auth::login::{self, LoginError, LoginOptions};
use nxsys_etl::auth::{self, Credentials};
use nxsys_etl::auth::{StoreError, StoredLogin, TokenStore};
use nxsys_sandbox::{Quirks, SandboxConfig, SandboxHandle};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

fn login(token: &str) -> StoredLogin {
    StoredLogin {
        base_url: "https://api.nxsys.tech".into(),
        client_id: "NXSYS.ONZEYLYLO38TL9XEBE3JQUPGTYUQMZ7S".into(),
        client_secret: "8ffcf26dfe63a2576d7e1994e8307ed1cac09f845b62fb79".into(),
        refresh_token: token.into(),
        expires_at: None,
        updated_at: chrono::Utc::now(),
        origin: None,
    }
}

#[test]
fn store_is_created_with_mode_0600_in_a_private_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/config/tokens.json");
    let store = TokenStore::new(&path, "profile:acme");
    store.save(&login("refresh-1")).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "file mode {mode:o}");
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "folder mode {dir_mode:o}");
    let back = store.load().unwrap().expect("entry saved");
    assert_eq!(back.refresh_token.expose_secret(), "refresh-1");
    // No temporary file is left behind.
    let leftovers = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn world_readable_store_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = TokenStore::new(&path, "k");
    store.save(&login("refresh-1")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.load().unwrap_err();
    assert!(
        matches!(err, StoreError::Permissions { mode: 0o644, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("chmod 600 {}", path.display())),
        "{text}"
    );
    assert!(!text.contains("refresh-1"));
    // Writing reads first, so it is refused too.
    assert!(store.save(&login("refresh-2")).is_err());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(store.load().unwrap().is_some());
}

#[test]
fn entries_are_independent_and_removable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let a = TokenStore::new(&path, "profile:a");
    let b = TokenStore::new(&path, "profile:b");
    a.save(&login("ra")).unwrap();
    b.save(&login("rb")).unwrap();
    assert!(a.remove().unwrap());
    assert!(!a.remove().unwrap());
    assert!(a.load().unwrap().is_none());
    assert_eq!(
        b.load().unwrap().unwrap().refresh_token.expose_secret(),
        "rb"
    );
}

#[test]
fn damaged_store_says_how_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    std::fs::write(&path, "{not json").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = TokenStore::new(&path, "k").load().unwrap_err().to_string();
    assert!(
        err.contains("auth login") && err.contains("damaged"),
        "{err}"
    );
}

/// Leave at `.tokens.json.<pid>.tmp` beside `path` a store holding `entries`, as a process
/// killed between writing its temporary file and renaming it leaves one.
fn leave_tmp(
    path: &std::path::Path,
    pid: u32,
    entries: &[(&str, StoredLogin)],
) -> std::path::PathBuf {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("tokens.json");
    for (key, entry) in entries {
        TokenStore::new(&file, *key).save(entry).unwrap();
    }
    let tmp = path.with_file_name(format!(".tokens.json.{pid}.tmp"));
    std::fs::copy(&file, &tmp).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
    tmp
}

fn at(token: &str, minutes_ago: i64) -> StoredLogin {
    StoredLogin {
        updated_at: chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
        ..login(token)
    }
}

#[test]
fn a_leftover_temporary_store_is_recovered_newest_entry_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = TokenStore::new(&path, "profile:a");
    let other = TokenStore::new(&path, "profile:b");
    // The store holds the token the server has retired, and another sign-in.
    store.save(&at("retired", 5)).unwrap();
    other.save(&at("b-token", 5)).unwrap();
    // What a killed writer meant to put in place: the rotated token, written later; a stale
    // leftover of an older write; and a half-written one.
    let newer_tmp = leave_tmp(&path, 4_000_001, &[("profile:a", at("rotated", 0))]);
    let older_tmp = leave_tmp(&path, 4_000_002, &[("profile:a", at("ancient", 10))]);
    let torn = path.with_file_name(".tokens.json.4000003.tmp");
    std::fs::write(&torn, "{\"version\":1,\"logins\":{\"profile:a\":{\"baseU").unwrap();
    std::fs::set_permissions(&torn, std::fs::Permissions::from_mode(0o600)).unwrap();

    let back = store.load().unwrap().expect("entry");
    assert_eq!(back.refresh_token.expose_secret(), "rotated");
    // Written back, the leftovers gone, the other entry kept.
    for tmp in [&newer_tmp, &older_tmp, &torn] {
        assert!(!tmp.exists(), "{} left behind", tmp.display());
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("rotated") && !text.contains("retired"),
        "{text}"
    );
    assert_eq!(
        other.load().unwrap().unwrap().refresh_token.expose_secret(),
        "b-token"
    );
}

#[test]
fn a_leftover_older_than_the_store_loses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = TokenStore::new(&path, "k");
    store.save(&at("current", 0)).unwrap();
    let tmp = leave_tmp(&path, 4_000_004, &[("k", at("old", 5))]);
    assert_eq!(
        store.load().unwrap().unwrap().refresh_token.expose_secret(),
        "current"
    );
    assert!(!tmp.exists());
}

#[test]
fn the_store_is_locked_while_read_modify_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = TokenStore::new(&path, "k");
    let held = store.try_lock().unwrap().expect("free at first");
    assert!(
        store.try_lock().unwrap().is_none(),
        "a second holder is refused while the first holds it"
    );
    assert_eq!(
        store.lock_path(),
        dir.path().join("tokens.json.lock"),
        "the lock file sits beside the store"
    );
    drop(held);
    assert!(store.try_lock().unwrap().is_some());

    // Many writers on one store, each its own entry: none loses another's.
    const WRITERS: usize = 8;
    const ROUNDS: usize = 15;
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let path = path.clone();
            scope.spawn(move || {
                let mine = TokenStore::new(&path, format!("profile:{w}"));
                for r in 0..ROUNDS {
                    mine.save(&login(&format!("token-{w}-{r}"))).unwrap();
                }
            });
        }
    });
    for w in 0..WRITERS {
        let entry = TokenStore::new(&path, format!("profile:{w}"))
            .load()
            .unwrap()
            .unwrap_or_else(|| panic!("writer {w}'s entry was lost"));
        assert_eq!(
            entry.refresh_token.expose_secret(),
            format!("token-{w}-{}", ROUNDS - 1)
        );
    }
}

#[test]
fn stored_login_debug_hides_secrets() {
    let text = format!("{:?}", login("refresh-secret-xyz"));
    assert!(!text.contains("refresh-secret-xyz"));
    assert!(!text.contains("8ffcf26dfe63a2576d7e1994e8307ed1cac09f845b62fb79"));
}

// ---- Against the sandbox --------------------------------------------------------------------

async fn start(config: SandboxConfig) -> SandboxHandle {
    nxsys_sandbox::start(config).await.expect("sandbox starts")
}

/// A loopback port free right now, for a login's redirect URI (the default one, port 8765,
/// would make parallel tests wait on each other).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A free loopback port other than `taken`.
fn another_free_port(taken: &str) -> u16 {
    loop {
        let port = free_port();
        if !taken.contains(&format!(":{port}/")) {
            return port;
        }
    }
}

/// Login options with a redirect URI on a free port.
fn options(sb: &SandboxHandle) -> LoginOptions {
    let mut opts = LoginOptions::new(
        base(sb),
        sb.client_id.clone(),
        SecretString::from(sb.client_secret.clone()),
    );
    opts.redirect_uri = Url::parse("http://127.0.0.1:0/callback").unwrap();
    opts
}

fn base(sb: &SandboxHandle) -> Url {
    Url::parse(&sb.base_url).expect("sandbox URL")
}

fn creds(sb: &SandboxHandle, refresh: &str) -> Credentials {
    Credentials {
        client_id: sb.client_id.clone(),
        client_secret: SecretString::from(sb.client_secret.clone()),
        refresh_token: SecretString::from(refresh.to_string()),
    }
}

/// Play the user's browser: open the authorize page, read its form, press Approve, follow the
/// redirect back to the CLI's loopback listener.
async fn approve_in_browser(url: Url) -> Result<String, String> {
    let http = reqwest::Client::new();
    let page = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let action = regex::Regex::new(r#"<form[^>]*action="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .map(|c| c[1].to_string())
        .ok_or_else(|| format!("no form in the page: {page}"))?;
    let inputs: Vec<(String, String)> =
        regex::Regex::new(r#"<input[^>]*name="([^"]+)"[^>]*value="([^"]*)""#)
            .unwrap()
            .captures_iter(&page)
            .map(|c| (c[1].to_string(), c[2].replace("&amp;", "&")))
            .collect();
    let target = url.join(&action).map_err(|e| e.to_string())?;
    let done = http
        .post(target)
        .form(&inputs)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(done.text().await.unwrap_or_default())
}

/// `auth login` with `opts`, the portal approved by an HTTP client standing in for the browser:
/// what the login gives, and the page the browser lands on.
async fn login_approved(opts: LoginOptions) -> (login::LoginOutcome, String) {
    let (page_tx, page_rx) = tokio::sync::oneshot::channel();
    let outcome = login::run(opts, move |url: &Url| {
        let url = url.clone();
        assert!(
            url.query_pairs()
                .any(|(k, v)| k == "state" && v.len() == 32)
        );
        tokio::spawn(async move {
            let _ = page_tx.send(approve_in_browser(url).await);
        });
    })
    .await
    .expect("login finishes");
    let landing = page_rx.await.unwrap().expect("browser flow");
    (outcome, landing)
}

#[tokio::test]
async fn login_completes_when_an_http_client_approves() {
    let sb = start(SandboxConfig::default()).await;
    let (outcome, landing) = login_approved(options(&sb)).await;
    assert!(landing.contains("Signed in"), "{landing}");
    assert_eq!(outcome.redirect_uri.host_str(), Some("127.0.0.1"));
    let refresh = outcome.tokens.refresh_token.expect("a refresh token");

    // The tokens work.
    let client = auth::connect(
        ClientConfig::new(base(&sb)),
        Credentials {
            client_id: sb.client_id.clone(),
            client_secret: SecretString::from(sb.client_secret.clone()),
            refresh_token: refresh,
        },
        None,
    )
    .await
    .expect("connects with the login's refresh token");
    client.vat_codes().await.expect("API call");
}

#[tokio::test]
async fn login_with_a_forged_state_is_refused() {
    let sb = start(SandboxConfig::default()).await;
    let mut opts = options(&sb);
    opts.wait = Duration::from_secs(30);
    let err = login::run(opts, |url: &Url| {
        let redirect = url
            .query_pairs()
            .find(|(k, _)| k == "redirectUri" || k == "redirect_uri")
            .map(|(_, v)| v.into_owned())
            .expect("redirect in URL");
        tokio::spawn(async move {
            let forged = format!("{redirect}?code=0123456789abcdef0123456789abcdef&state=forged");
            let _ = reqwest::get(forged).await;
        });
    })
    .await
    .unwrap_err();
    assert!(matches!(err, LoginError::StateMismatch), "{err}");
}

#[tokio::test]
async fn login_gives_up_after_the_wait() {
    let sb = start(SandboxConfig::default()).await;
    let mut opts = options(&sb);
    opts.wait = Duration::from_millis(200);
    let err = login::run(opts, |_: &Url| {}).await.unwrap_err();
    assert!(matches!(err, LoginError::TimedOut(_)), "{err}");
    assert!(err.to_string().contains("auth login"));
}

/// A sandbox that accepts only `registered` as redirect URI (`exact-redirect`).
async fn exact(registered: &str) -> SandboxHandle {
    start(SandboxConfig {
        quirks: Quirks::parse("exact-redirect").unwrap(),
        redirect_uri: registered.to_string(),
        ..SandboxConfig::default()
    })
    .await
}

#[tokio::test]
async fn login_uses_the_registered_redirect_uri_exactly() {
    let registered = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = exact(&registered).await;
    let mut opts = options(&sb);
    opts.redirect_uri = Url::parse(&registered).unwrap();
    let (outcome, landing) = login_approved(opts).await;
    assert!(landing.contains("Signed in"), "{landing}");
    assert_eq!(outcome.redirect_uri.as_str(), registered);
    assert!(outcome.tokens.refresh_token.is_some());
}

#[tokio::test]
async fn login_with_an_unregistered_redirect_uri_says_so_plainly() {
    let registered = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = exact(&registered).await;
    let mut opts = options(&sb);
    let other = format!(
        "http://127.0.0.1:{}/callback",
        another_free_port(&registered)
    );
    opts.redirect_uri = Url::parse(&other).unwrap();
    opts.wait = Duration::from_secs(5);
    let err = login::run(opts, |url: &Url| {
        panic!("no browser should be sent to {url}")
    })
    .await
    .unwrap_err();
    assert!(matches!(err, LoginError::RedirectRefused(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("Nxsys refused the redirect URI {other}"))
            && text.contains("exactly (scheme, host, port, path)")
            && text.contains("set redirect_uri in the profile"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_login_takes_the_redirect_uri_from_the_profile() {
    let registered = format!("http://127.0.0.1:{}/callback", free_port());
    let sb = exact(&registered).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens.json");
    // A profile naming another redirect URI: refused with the plain message, exit 2.
    let wrong = format!(
        "http://127.0.0.1:{}/callback",
        another_free_port(&registered)
    );
    let mut cmd = cli(&store, &sb.base_url);
    std::fs::write(
        store.with_extension("toml"),
        format!("[profiles.acme]\nredirect_uri = \"{wrong}\"\n"),
    )
    .unwrap();
    cmd.env("NXSYS_CLIENT_SECRET", &sb.client_secret).args([
        "--profile",
        "acme",
        "auth",
        "login",
        "--client-id",
        &sb.client_id,
        "--no-browser",
    ]);
    // The sandbox answers on this runtime while the binary runs.
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("Nxsys refused the redirect URI {wrong}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&sb.client_secret),
        "the secret is never printed"
    );
    // A redirect URI that is not loopback is refused before anything is sent.
    let out = cli(&store, &sb.base_url)
        .env("NXSYS_CLIENT_SECRET", &sb.client_secret)
        .args([
            "auth",
            "login",
            "--client-id",
            &sb.client_id,
            "--no-browser",
            "--redirect-uri",
            "https://example.com/callback",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");
}

#[tokio::test]
async fn expiring_token_is_refreshed_without_a_failed_request() {
    let sb = start(SandboxConfig {
        token_ttl: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let mut config = ClientConfig::new(base(&sb));
    config.rate = 20;
    let client = auth::connect(config, creds(&sb, &sb.refresh_token), None)
        .await
        .unwrap();
    // About five seconds of steady requests: the token expires twice in the middle.
    let started = std::time::Instant::now();
    let mut done = 0;
    while started.elapsed() < Duration::from_millis(5200) {
        let results: Vec<_> = futures::stream::iter(0..4)
            .map(|_| {
                let c = client.clone();
                async move { c.vat_codes().await }
            })
            .buffer_unordered(4)
            .collect()
            .await;
        for r in results {
            r.expect("no request fails");
            done += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = client.stats();
    assert!(done > 20);
    assert!(stats.token_refreshes >= 3, "{stats:?}");
    assert_eq!(
        sb.stats().unauthorized,
        0,
        "refreshed before expiry: no request was refused"
    );
}

#[tokio::test]
async fn rotated_refresh_token_is_persisted_and_the_old_one_is_dead() {
    let sb = start(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = TokenStore::new(&path, "profile:test");
    let original = sb.refresh_token.clone();
    let client = auth::connect(
        ClientConfig::new(base(&sb)),
        creds(&sb, &original),
        Some(store.clone()),
    )
    .await
    .unwrap();
    client.vat_codes().await.unwrap();

    let saved = store.load().unwrap().expect("entry written on refresh");
    let rotated = saved.refresh_token.expose_secret().to_string();
    assert_ne!(rotated, original, "the server rotated the refresh token");
    assert_eq!(saved.client_id, sb.client_id);
    assert!(saved.expires_at.is_some());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // The old token is spent; the stored one works (and rotates again).
    let err = auth::connect(ClientConfig::new(base(&sb)), creds(&sb, &original), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("auth login"));
    auth::connect(
        ClientConfig::new(base(&sb)),
        creds(&sb, &rotated),
        Some(store.clone()),
    )
    .await
    .expect("the stored token works");
    assert_ne!(
        store.load().unwrap().unwrap().refresh_token.expose_secret(),
        rotated.as_str()
    );
}

#[tokio::test]
async fn a_second_run_sharing_the_store_takes_the_token_the_first_rotated() {
    let sb = start(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("tokens.json"), "profile:test");
    let original = sb.refresh_token.clone();
    // Two runs start with the same refresh token; the first rotates it and saves the successor.
    auth::connect(
        ClientConfig::new(base(&sb)),
        creds(&sb, &original),
        Some(store.clone()),
    )
    .await
    .expect("the first run signs in");
    // The second's token is now spent: it re-reads the store and retries once.
    let second = auth::connect(
        ClientConfig::new(base(&sb)),
        creds(&sb, &original),
        Some(store.clone()),
    )
    .await
    .expect("the second run signs in with the first one's rotation");
    second.vat_codes().await.unwrap();
    // Without a store there is nothing to re-read: the spent token still says to sign in.
    let err = auth::connect(ClientConfig::new(base(&sb)), creds(&sb, &original), None)
        .await
        .unwrap_err();
    assert!(err.is_invalid_grant(), "{err}");
    assert!(err.to_string().contains("auth login"), "{err}");
}

#[tokio::test]
async fn bearer_only_server_is_answered_with_bearer() {
    let sb = start(SandboxConfig {
        quirks: nxsys_sandbox::Quirks {
            bearer_only: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let client = auth::connect(
        ClientConfig::new(base(&sb)),
        creds(&sb, &sb.refresh_token),
        None,
    )
    .await
    .unwrap();
    client
        .vat_codes()
        .await
        .expect("works after switching scheme");
    assert_eq!(client.auth_scheme(), nxsys_etl::api::AuthScheme::Bearer);
}

// ---- The `auth` subcommands, through the binary ---------------------------------------------

fn cli(store: &std::path::Path, base_url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nxsys-etl"));
    cmd.env("NXSYS_TOKEN_STORE", store)
        .env("NXSYS_BASE_URL", base_url)
        .env("NXSYS_CONFIG", store.with_extension("toml"))
        .env_remove("NXSYS_REFRESH_TOKEN")
        .env_remove("NXSYS_CLIENT_ID")
        .env_remove("NXSYS_CLIENT_SECRET")
        .env_remove("NXSYS_PROFILE")
        .stdin(std::process::Stdio::null());
    std::fs::write(store.with_extension("toml"), "").unwrap();
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_login_status_logout_through_the_binary() {
    use std::io::BufRead;

    let sb = start(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens.json");

    // Not signed in yet: exit 3 and what to do.
    let out = cli(&store, &sb.base_url)
        .args(["auth", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("auth login"));

    // Login: the binary prints the URL on stderr; this test plays the browser.
    let mut child = cli(&store, &sb.base_url)
        .env("NXSYS_CLIENT_SECRET", &sb.client_secret)
        .args([
            "auth",
            "login",
            "--client-id",
            &sb.client_id,
            "--no-browser",
            "--port",
            &free_port().to_string(),
        ])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(u) = line.trim().strip_prefix("http") {
                let _ = url_tx.send(format!("http{u}"));
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let url = tokio::task::spawn_blocking(move || url_rx.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("the login URL is printed");
    approve_in_browser(Url::parse(&url).unwrap())
        .await
        .expect("approved");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let printed = reader.join().unwrap();
    assert!(status.success(), "login failed: {printed}");
    assert!(printed.contains("Signed in"), "{printed}");
    assert!(!printed.contains(&sb.client_secret));
    let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Status: signed in, nothing secret shown.
    let out = cli(&store, &sb.base_url)
        .args(["auth", "status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(&sb.client_id), "{text}");
    let stored = TokenStore::new(&store, sb.base_url.trim_end_matches('/'))
        .load()
        .unwrap()
        .expect("stored under the base URL");
    assert!(!text.contains(stored.refresh_token.expose_secret()));
    assert!(!text.contains(&sb.client_secret));

    // Logout forgets it.
    let out = cli(&store, &sb.base_url)
        .args(["auth", "logout"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = cli(&store, &sb.base_url)
        .args(["auth", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(&dir.path().join("t.json"), "http://api.nxsys.tech")
        .args(["auth", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
}

#[test]
fn auth_status_says_which_refresh_token_a_run_will_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens.json");
    let base_url = "http://127.0.0.1:9";
    // The store holds the successor of the token in the variable: the store's is used.
    let origin = auth::fingerprint(&SecretString::from("env-token-1".to_string()));
    TokenStore::new(&store, base_url)
        .with_origin(Some(origin))
        .save(&login("rotated-successor"))
        .unwrap();
    let status = |token: &str| {
        let out = cli(&store, base_url)
            .env("NXSYS_REFRESH_TOKEN", token)
            .args(["auth", "status"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = status("env-token-1");
    assert!(
        text.contains("already exchanged it; runs use the rotated token saved in the store"),
        "{text}"
    );
    assert!(
        !text.contains("precedence") && !text.contains("env-token-1"),
        "{text}"
    );
    // Another token in the variable: it is used, instead of the stored sign-in.
    let text = status("env-token-2");
    assert!(
        text.contains("runs sign in with it") && text.contains("instead of the stored sign-in"),
        "{text}"
    );
}
