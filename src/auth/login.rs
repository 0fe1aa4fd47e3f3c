//! `auth login`: the OAuth authorization-code flow with a loopback redirect.
//!
//! 1. listen on `127.0.0.1:<port>` (any free port unless one is given);
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

/// What the login needs.
pub struct LoginOptions {
    pub base_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Redirect port; `None` picks a free one (it must match a registered redirect URI).
    pub port: Option<u16>,
    /// How long to wait for the approval.
    pub wait: Duration,
}

impl LoginOptions {
    /// Options with the default 5-minute wait and any free port.
    pub fn new(base_url: Url, client_id: String, client_secret: SecretString) -> Self {
        LoginOptions {
            base_url,
            client_id,
            client_secret,
            port: None,
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
        "could not listen on 127.0.0.1:{port} for the sign-in redirect: {source}. Pick another port with --port (it must match a redirect URI registered for the client)"
    )]
    Bind { port: u16, source: std::io::Error },
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
    let port = opts.port.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| LoginError::Bind { port, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| LoginError::Bind { port, source })?;
    let redirect_uri = Url::parse(&format!("http://127.0.0.1:{}/callback", bound.port()))
        .map_err(|e| ApiError::Config(format!("redirect URI: {e}")))?;
    let state = new_state();

    let http = http_client(Duration::from_secs(30))?;
    let authorize = authorize_url(&http, &opts, &redirect_uri, &state).await?;

    let (tx, rx) = oneshot::channel();
    let callback = Arc::new(Callback {
        state,
        reply: Mutex::new(Some(tx)),
    });
    let app = axum::Router::new()
        .route("/callback", axum::routing::get(on_redirect))
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
        .await?;
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
) -> Result<Url, ApiError> {
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
            tracing::debug!(
                status = resp.status().as_u16(),
                "grant-token-url helper refused; building the URL"
            );
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
    fn state_is_random_hex() {
        let (a, b) = (new_state(), new_state());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
