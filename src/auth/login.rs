//! `auth login`: the OAuth authorization-code flow with a loopback redirect.
//!
//! 1. listen on the host and port of the configured redirect URI (the one registered for the
//!    client in the Nxsys portal, which Nxsys matches exactly: scheme, host, port and path), by
//!    default [`DEFAULT_REDIRECT_URI`] — never a random port, which no registration could match;
//! 2. build the authorize URL (asking the API's `grant-token-url` helper, falling back to the
//!    portal's `/oauth/authorize`), with our own random `state`;
//! 3. hand the URL to `open` (the command prints it and opens a browser when it can; a test plays
//!    the browser with an HTTP client);
//! 4. wait (5 minutes by default) for the redirect, check `state`, exchange the code for tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::oneshot;
use url::Url;

use crate::api::client::{describe, http_client};
use crate::api::{ApiError, TokenEndpoint, TokenResponse, check_base_url};

/// The redirect URI when the profile names none; the embedded sandbox's `exact-redirect` quirk
/// registers the same one by default.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// Refuse a redirect URI this computer cannot receive: it must be `http://` on a loopback host
/// with a port (the sign-in lands on a listener this process opens there).
pub fn check_redirect_uri(url: &Url) -> Result<(), String> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() != "http" || !loopback || url.port().is_none() {
        return Err(format!(
            "the redirect URI {url} is not a loopback address with a port, such as \
             {DEFAULT_REDIRECT_URI}: nxsys-etl receives the sign-in on this computer, so register \
             a loopback http:// redirect URI for the client in the Nxsys portal and use that one"
        ));
    }
    Ok(())
}

/// What the login needs.
pub struct LoginOptions {
    pub base_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The redirect URI registered for the client, which the login listens on. Port 0 (tests
    /// only) listens on a free port and uses that port in the redirect URI.
    pub redirect_uri: Url,
    /// How long to wait for the approval.
    pub wait: Duration,
}

impl LoginOptions {
    /// Options with the default 5-minute wait and [`DEFAULT_REDIRECT_URI`].
    pub fn new(base_url: Url, client_id: String, client_secret: SecretString) -> Self {
        LoginOptions {
            base_url,
            client_id,
            client_secret,
            redirect_uri: Url::parse(DEFAULT_REDIRECT_URI).expect("the default redirect URI"),
            wait: Duration::from_secs(300),
        }
    }
}

/// A finished login.
#[derive(Debug)]
pub struct LoginOutcome {
    pub tokens: TokenResponse,
    /// The redirect URI that was used (register it in the portal when using a fixed port).
    pub redirect_uri: Url,
}

/// Why a login did not finish.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(
        "could not listen on {addr} for the sign-in redirect: {source}. Close what uses it, or use another redirect URI registered for the client (redirect_uri in the profile, --redirect-uri or --port)"
    )]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{}", refused_message(.0))]
    RedirectRefused(Url),
    #[error("{0}")]
    BadRedirect(String),
    #[error(
        "the sign-in redirect carried a different `state` than this login sent; it may not come from your sign-in. Run `nxsys-etl auth login` again"
    )]
    StateMismatch,
    #[error("the sign-in was not approved: {0}")]
    Denied(String),
    #[error("the sign-in redirect carried no authorization code; run `nxsys-etl auth login` again")]
    MissingCode,
    #[error("no approval arrived within {} minute(s); run `nxsys-etl auth login` again and approve in the browser", .0.as_secs().div_ceil(60))]
    TimedOut(Duration),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// What to say when Nxsys refuses the redirect URI.
pub fn refused_message(uri: &Url) -> String {
    format!(
        "Nxsys refused the redirect URI {uri}: it must match one registered for this client \
         exactly (scheme, host, port, path); set redirect_uri in the profile to the registered one"
    )
}

/// Whether an error answer of the OAuth endpoints is about the redirect URI.
pub fn is_redirect_refusal(status: u16, body: &[u8]) -> bool {
    if !(400..500).contains(&status) && status != 500 {
        return false;
    }
    let err = crate::api::ErrorBody::parse(body);
    let named = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().contains("redirect"))
    };
    named(&err.field) || named(&err.message) || named(&err.code)
}

type Reply = Result<String, LoginError>;

struct Callback {
    state: String,
    reply: Mutex<Option<oneshot::Sender<Reply>>>,
}

/// Run the whole login; `open` receives the authorize URL to show the user.
pub async fn run(
    opts: LoginOptions,
    open: impl FnOnce(&Url) + Send,
) -> Result<LoginOutcome, LoginError> {
    check_base_url(&opts.base_url)?;
    check_redirect_uri(&opts.redirect_uri).map_err(LoginError::BadRedirect)?;
    let mut redirect_uri = opts.redirect_uri.clone();
    let host = match redirect_uri.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        _ => "127.0.0.1".to_string(),
    };
    let port = redirect_uri.port().unwrap_or(0);
    let addr = format!("{host}:{port}");
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|source| LoginError::Bind {
            addr: addr.clone(),
            source,
        })?;
    if port == 0 {
        let bound = listener
            .local_addr()
            .map_err(|source| LoginError::Bind { addr, source })?;
        let _ = redirect_uri.set_port(Some(bound.port()));
    }
    let path = match redirect_uri.path() {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    let state = new_state();

    let http = http_client(Duration::from_secs(30))?;
    let authorize = authorize_url(&http, &opts, &redirect_uri, &state).await?;
    let opts = LoginOptions {
        redirect_uri: redirect_uri.clone(),
        ..opts
    };

    let (tx, rx) = oneshot::channel();
    let callback = Arc::new(Callback {
        state,
        reply: Mutex::new(Some(tx)),
    });
    let app = axum::Router::new()
        .route(&path, axum::routing::get(on_redirect))
        .with_state(Arc::clone(&callback));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });

    open(&authorize);
    let outcome = tokio::time::timeout(opts.wait, rx).await;
    let _ = stop_tx.send(());
    let _ = server.await;
    let code = match outcome {
        Err(_) => return Err(LoginError::TimedOut(opts.wait)),
        Ok(Err(_)) => return Err(LoginError::MissingCode),
        Ok(Ok(reply)) => reply?,
    };

    let form = [
        ("grantType", "authorization_code"),
        ("code", code.as_str()),
        ("redirectUri", redirect_uri.as_str()),
        ("clientId", opts.client_id.as_str()),
        ("clientSecret", opts.client_secret.expose_secret()),
    ];
    let tokens = TokenEndpoint::new(&http, &opts.base_url, None)
        .request(&form)
        .await
        .map_err(|e| match &e {
            ApiError::Rejected { field, message, .. }
                if [field.as_deref(), Some(message.as_str())]
                    .into_iter()
                    .flatten()
                    .any(|t| t.to_ascii_lowercase().contains("redirect")) =>
            {
                LoginError::RedirectRefused(opts.redirect_uri.clone())
            }
            _ => LoginError::Api(e),
        })?;
    Ok(LoginOutcome {
        tokens,
        redirect_uri,
    })
}

fn new_state() -> String {
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    hex::encode(bytes)
}

async fn on_redirect(
    State(cb): State<Arc<Callback>>,
    Query(params): Query<HashMap<String, String>>,
) -> (axum::http::StatusCode, Html<String>) {
    let reply: Reply = if let Some(err) = params.get("error") {
        let detail = params
            .get("error_description")
            .or_else(|| params.get("errorDescription"))
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        Err(LoginError::Denied(format!("{err}{detail}")))
    } else if params.get("state") != Some(&cb.state) {
        Err(LoginError::StateMismatch)
    } else {
        match params.get("code").filter(|c| !c.is_empty()) {
            Some(code) => Ok(code.clone()),
            None => Err(LoginError::MissingCode),
        }
    };
    let (status, page) = match &reply {
        Ok(_) => (
            axum::http::StatusCode::OK,
            "<h1>Signed in</h1><p>nxsys-etl is now signed in to Nxsys. You can close this window.</p>".to_string(),
        ),
        Err(e) => (
            axum::http::StatusCode::BAD_REQUEST,
            format!("<h1>Sign-in failed</h1><p>{}</p>", html_escape(&e.to_string())),
        ),
    };
    let sender = cb.reply.lock().ok().and_then(|mut s| s.take());
    if let Some(tx) = sender {
        let _ = tx.send(reply);
    }
    (status, Html(page))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[derive(Deserialize)]
struct GrantUrl {
    url: String,
}

/// The authorize URL: the API's helper answer when it has one, else the portal's, with our
/// `state` and `responseType=code` added.
async fn authorize_url(
    http: &reqwest::Client,
    opts: &LoginOptions,
    redirect_uri: &Url,
    state: &str,
) -> Result<Url, LoginError> {
    let mut helper = opts.base_url.clone();
    helper
        .path_segments_mut()
        .map_err(|_| {
            ApiError::Config(format!(
                "the base URL {} cannot hold API paths",
                opts.base_url
            ))
        })?
        .pop_if_empty()
        .extend(["nxsys", "oauth", "grant-token-url"]);
    helper
        .query_pairs_mut()
        .append_pair("clientId", &opts.client_id)
        .append_pair("clientSecret", opts.client_secret.expose_secret())
        .append_pair("redirectUri", redirect_uri.as_str());
    let from_helper = match http.get(helper).send().await {
        Ok(resp) if resp.status().is_success() => crate::api::read_body(resp)
            .await
            .ok()
            .and_then(|body| serde_json::from_slice::<GrantUrl>(&body).ok())
            .and_then(|g| Url::parse(&g.url).ok()),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = crate::api::read_body(resp).await.unwrap_or_default();
            if is_redirect_refusal(status, &body) {
                return Err(LoginError::RedirectRefused(redirect_uri.clone()));
            }
            tracing::debug!(status, "grant-token-url helper refused; building the URL");
            None
        }
        Err(e) => {
            tracing::debug!(error = %describe(e), "grant-token-url helper failed; building the URL");
            None
        }
    };
    let base = from_helper.unwrap_or_else(|| portal_authorize(&opts.base_url));
    Ok(with_login_params(
        base,
        &opts.client_id,
        redirect_uri,
        state,
    ))
}

/// `https://portal.nxsys.tech/oauth/authorize` for the production API, else `<base>/oauth/authorize`.
fn portal_authorize(base: &Url) -> Url {
    let mut url = base.clone();
    if base.host_str() == Some("api.nxsys.tech") {
        let _ = url.set_host(Some("portal.nxsys.tech"));
    }
    url.set_path("/oauth/authorize");
    url.set_query(None);
    url
}

/// Keep the URL's parameters, make sure client, redirect and response type are there, and set
/// our `state` (replacing any).
fn with_login_params(mut url: Url, client_id: &str, redirect_uri: &Url, state: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let has = |names: &[&str]| pairs.iter().any(|(k, _)| names.contains(&k.as_str()));
    let need_type = !has(&["responseType", "response_type"]);
    let need_client = !has(&["clientId", "client_id"]);
    let need_redirect = !has(&["redirectUri", "redirect_uri"]);
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if need_type {
            q.append_pair("responseType", "code");
        }
        if need_client {
            q.append_pair("clientId", client_id);
        }
        if need_redirect {
            q.append_pair("redirectUri", redirect_uri.as_str());
        }
        q.append_pair("state", state);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_url_gets_state_and_keeps_its_params() {
        let helper = Url::parse("https://portal.nxsys.tech/oauth/authorize?clientId=NXSYS.X&redirectUri=http://127.0.0.1:5/callback&response_type=code&state=old").unwrap();
        let redirect = Url::parse("http://127.0.0.1:5/callback").unwrap();
        let url = with_login_params(helper, "NXSYS.X", &redirect, "abc");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(q.contains(&("response_type".into(), "code".into())));
        assert!(!q.iter().any(|(k, _)| k == "responseType"));
        assert_eq!(q.iter().filter(|(k, _)| k == "state").count(), 1);
        assert!(q.contains(&("state".into(), "abc".into())));
    }

    #[test]
    fn fallback_points_production_at_the_portal() {
        let u = portal_authorize(&Url::parse("https://api.nxsys.tech").unwrap());
        assert_eq!(u.as_str(), "https://portal.nxsys.tech/oauth/authorize");
        let u = portal_authorize(&Url::parse("http://127.0.0.1:8787/").unwrap());
        assert_eq!(u.as_str(), "http://127.0.0.1:8787/oauth/authorize");
    }

    #[test]
    fn only_loopback_http_redirects_with_a_port_are_usable() {
        for ok in [
            DEFAULT_REDIRECT_URI,
            "http://localhost:9000/cb",
            "http://[::1]:8000/callback",
        ] {
            assert!(check_redirect_uri(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "https://example.com/callback",
            "http://10.0.0.1:80/callback",
            "http://127.0.0.1/callback",
        ] {
            assert!(
                check_redirect_uri(&Url::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_default_redirect_uri_is_the_one_the_sandbox_registers() {
        assert_eq!(DEFAULT_REDIRECT_URI, nxsys_sandbox::DEFAULT_REDIRECT_URI);
    }

    #[test]
    fn a_refusal_naming_the_redirect_is_told_apart() {
        let refusal = br#"{"error":{"code":"invalid_parameter","message":"redirectUri is not a registered redirect URI","details":{"field":"redirectUri"}}}"#;
        assert!(is_redirect_refusal(400, refusal));
        assert!(!is_redirect_refusal(
            401,
            br#"{"error":{"code":"invalid_client","message":"Unknown clientId"}}"#
        ));
        let text = refused_message(&Url::parse(DEFAULT_REDIRECT_URI).unwrap());
        assert!(text.contains("Nxsys refused the redirect URI http://127.0.0.1:8765/callback"));
        assert!(text.contains("set redirect_uri in the profile"));
    }

    #[test]
    fn state_is_random_hex() {
        let (a, b) = (new_state(), new_state());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
