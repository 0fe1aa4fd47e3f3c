//! OAuth 2.0 authorization-code flow (§2): the grant-token-url helper, the portal's authorize
//! page with an Approve button, and the token endpoint with rotating refresh tokens.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rand::Rng;
use serde_json::json;

use super::errors::ApiError;
use super::pagination::Query;
use super::state::Shared;

/// Life of an authorization code.
const CODE_TTL: Duration = Duration::from_secs(600);

/// The one registered client application.
#[derive(Clone)]
pub struct RegisteredClient {
    pub id: String,
    pub secret: String,
    pub name: String,
}

impl fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("name", &self.name)
            .finish()
    }
}

struct Grant {
    redirect_uri: String,
    expires: Instant,
}

/// Codes and tokens issued so far (values never logged).
pub struct Tokens {
    pub client: RegisteredClient,
    codes: HashMap<String, Grant>,
    access: HashMap<String, Instant>,
    refresh: HashMap<String, ()>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("client", &self.client)
            .field("codes", &self.codes.len())
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .finish()
    }
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.r#gen::<u8>()))
        .collect()
}

fn random_client_id() -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..32)
        .map(|_| char::from(ALNUM[rng.gen_range(0..ALNUM.len())]))
        .collect();
    format!("NXSYS.{tail}")
}

impl Tokens {
    pub fn new() -> Self {
        Tokens {
            client: RegisteredClient {
                id: random_client_id(),
                secret: random_hex(24),
                name: "nxsys-etl (sandbox)".into(),
            },
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// A new refresh token for the registered client.
    pub fn issue_refresh(&mut self) -> String {
        let token = random_hex(32);
        self.refresh.insert(token.clone(), ());
        token
    }

    /// A new access token living `ttl`.
    pub fn issue_access(&mut self, ttl: Duration) -> String {
        let token = random_hex(20);
        self.access.insert(token.clone(), Instant::now() + ttl);
        token
    }

    /// Make every access token issued so far expired, as if its lifetime had passed; tokens
    /// issued afterwards live their full lifetime. Returns how many were still live.
    pub fn expire_access(&mut self) -> usize {
        let now = Instant::now();
        let mut live = 0;
        for expires in self.access.values_mut() {
            if now < *expires {
                live += 1;
                *expires = now;
            }
        }
        live
    }

    /// Whether `token` is a live access token.
    pub fn access_valid(&self, token: &str) -> bool {
        self.access
            .get(token)
            .is_some_and(|expires| Instant::now() < *expires)
    }

    fn issue_code(&mut self, redirect_uri: &str) -> String {
        let code = random_hex(16);
        self.codes.insert(
            code.clone(),
            Grant {
                redirect_uri: redirect_uri.to_string(),
                expires: Instant::now() + CODE_TTL,
            },
        );
        code
    }
}

/// A redirect URI the sandbox accepts: any http(s) URL on a loopback host.
fn loopback_url(raw: &str) -> bool {
    url::Url::parse(raw).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && match u.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            }
    })
}

/// The message of a redirect URI refused under `exact-redirect`.
const NOT_REGISTERED: &str = "redirectUri does not match a registered redirect URI";

/// Whether two URLs are the same once parsed (scheme, host, port, path, query); text that is not
/// a URL only matches itself.
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// With `exact-redirect`, `redirect` must be the registered redirect URI; otherwise any loopback
/// URL is accepted. `None` = accepted.
fn refuse_redirect(shared: &Shared, redirect: &str) -> Option<ApiError> {
    if shared.quirks.exact_redirect {
        (!same_url(redirect, &shared.config.redirect_uri))
            .then(|| ApiError::invalid_request(NOT_REGISTERED).field("redirectUri"))
    } else {
        (!loopback_url(redirect)).then(|| {
            ApiError::invalid_parameter(
                "redirectUri",
                "redirectUri is not a registered redirect URI (the sandbox accepts loopback URLs)",
            )
        })
    }
}

fn invalid_client() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Unknown clientId or wrong clientSecret; check the client application's credentials",
    )
}

fn invalid_grant(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_grant", message)
}

/// `GET /nxsys/oauth/grant-token-url?clientId&clientSecret&redirectUri` → `{url}`.
pub async fn grant_token_url(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let need = |name: &str| {
        q.get(name).ok_or_else(|| {
            ApiError::invalid_request(format!("Query parameter {name} is required")).field(name)
        })
    };
    let (id, secret, redirect) = (
        need("clientId")?,
        need("clientSecret")?,
        need("redirectUri")?,
    );
    let tokens = shared.tokens();
    if id != tokens.client.id || secret != tokens.client.secret {
        return Err(invalid_client());
    }
    if let Some(refused) = refuse_redirect(&shared, redirect) {
        return Err(refused);
    }
    let mut url = url::Url::parse(&format!("{}/oauth/authorize", shared.base_url))
        .map_err(|e| ApiError::invalid_request(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("clientId", id)
        .append_pair("redirectUri", redirect)
        .append_pair("response_type", "code");
    Ok(Json(json!({ "url": url.as_str() })))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page_error(message: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Nxsys sandbox: cannot authorize</title>\
         <h1>Cannot authorize</h1><p>{}</p>",
        html_escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// Checks shared by the page and its form: returns the redirect URI and state.
fn authorize_params(shared: &Shared, q: &Query) -> Result<(String, String), String> {
    let response_type = q.get("responseType").or(q.get("response_type"));
    if response_type != Some("code") {
        return Err("responseType must be code".into());
    }
    let client_id = q.get("clientId").ok_or("clientId is missing")?;
    if client_id != shared.tokens().client.id {
        return Err(format!("No client application has the id {client_id}"));
    }
    let redirect = q.get("redirectUri").ok_or("redirectUri is missing")?;
    if shared.quirks.exact_redirect {
        if !same_url(redirect, &shared.config.redirect_uri) {
            return Err(NOT_REGISTERED.into());
        }
    } else if !loopback_url(redirect) {
        return Err(format!("{redirect} is not a registered redirect URI"));
    }
    Ok((
        redirect.to_string(),
        q.get("state").unwrap_or("").to_string(),
    ))
}

/// `GET /oauth/authorize`: the portal page showing the client's name and an Approve button.
pub async fn authorize_page(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let (redirect, state) = match authorize_params(&shared, &q) {
        Ok(v) => v,
        Err(message) => return page_error(&message),
    };
    let tokens = shared.tokens();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Nxsys sandbox: authorize</title></head>\
         <body><h1>Nxsys Umbrella (sandbox)</h1>\
         <p><strong>{name}</strong> wants to access your Nxsys account.</p>\
         <form method=\"post\" action=\"/oauth/authorize/approve\">\
         <input type=\"hidden\" name=\"responseType\" value=\"code\">\
         <input type=\"hidden\" name=\"clientId\" value=\"{client}\">\
         <input type=\"hidden\" name=\"redirectUri\" value=\"{redirect}\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <button type=\"submit\">Approve</button></form></body></html>",
        name = html_escape(&tokens.client.name),
        client = html_escape(&tokens.client.id),
        redirect = html_escape(&redirect),
        state = html_escape(&state),
    );
    Html(body).into_response()
}

/// `POST /oauth/authorize/approve` (the Approve button): 302 to `redirectUri?code=…&state=…`.
pub async fn approve(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = String::from_utf8_lossy(&body).into_owned();
    let q = Query::parse(Some(&form));
    let (redirect, state) = match authorize_params(&shared, &q) {
        Ok(v) => v,
        Err(message) => return page_error(&message),
    };
    let code = shared.tokens().issue_code(&redirect);
    let Ok(mut url) = url::Url::parse(&redirect) else {
        return page_error("redirectUri is not a URL");
    };
    url.query_pairs_mut().append_pair("code", &code);
    if !state.is_empty() {
        url.query_pairs_mut().append_pair("state", &state);
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// `POST /nxsys/oauth/token` (form-encoded, camelCase) → 201 with the token JSON.
pub async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, ApiError> {
    let form = String::from_utf8_lossy(&body).into_owned();
    let q = Query::parse(Some(&form));
    let need = |name: &str| {
        q.get(name).ok_or_else(|| {
            ApiError::invalid_request(format!("Form field {name} is required")).field(name)
        })
    };
    let grant_type = need("grantType")?;
    let (client_id, client_secret) = (need("clientId")?, need("clientSecret")?);
    let ttl = shared.config.token_ttl;
    let mut tokens = shared.tokens();
    match grant_type {
        "authorization_code" => {
            let (code, redirect) = (need("code")?, need("redirectUri")?);
            if client_id != tokens.client.id || client_secret != tokens.client.secret {
                return Err(invalid_client());
            }
            if shared.quirks.exact_redirect && !same_url(redirect, &shared.config.redirect_uri) {
                return Err(ApiError::invalid_request(NOT_REGISTERED).field("redirectUri"));
            }
            // A code is single-use: it is removed whether or not the rest checks out.
            let grant = tokens.codes.remove(code).ok_or_else(|| {
                invalid_grant("The authorization code is invalid or has already been used")
            })?;
            if Instant::now() >= grant.expires {
                return Err(invalid_grant(
                    "The authorization code has expired; authorize again",
                ));
            }
            if grant.redirect_uri != redirect {
                return Err(invalid_grant(
                    "redirectUri does not match the one used to authorize",
                ));
            }
        }
        "refresh_token" => {
            let refresh = need("refreshToken")?;
            if client_id != tokens.client.id || client_secret != tokens.client.secret {
                return Err(invalid_client());
            }
            if tokens.refresh.remove(refresh).is_none() {
                return Err(invalid_grant(
                    "The refresh token is invalid, expired or was replaced; sign in again",
                ));
            }
        }
        other => {
            return Err(ApiError::invalid_request(format!(
                "grantType {other:?} is not supported; use authorization_code or refresh_token"
            ))
            .field("grantType"));
        }
    }
    let access = tokens.issue_access(ttl);
    let refresh = tokens.issue_refresh();
    let body = json!({
        "accessToken": access,
        "tokenType": "Nxsys-oauthtoken",
        "expiresIn": ttl.as_secs(),
        "refreshToken": refresh,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_have_the_documented_shapes() {
        let t = Tokens::new();
        let tail = t.client.id.strip_prefix("NXSYS.").unwrap();
        assert_eq!(tail.len(), 32);
        assert!(
            tail.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(t.client.secret.len(), 48);
        assert!(
            t.client
                .secret
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(!format!("{t:?}").contains(&t.client.secret));
    }

    #[tokio::test]
    async fn an_expired_code_is_an_invalid_grant() {
        let shared = Arc::new(Shared::new(Default::default(), "http://127.0.0.1:1".into()));
        let (code, id, secret) = {
            let mut tokens = shared.tokens();
            let code = tokens.issue_code("http://127.0.0.1:9/cb");
            if let Some(grant) = tokens.codes.get_mut(&code) {
                grant.expires = Instant::now();
            }
            (code, tokens.client.id.clone(), tokens.client.secret.clone())
        };
        let form = format!(
            "grantType=authorization_code&code={code}&redirectUri=http%3A%2F%2F127.0.0.1%3A9%2Fcb\
             &clientId={id}&clientSecret={secret}"
        );
        let error = token(State(shared), Bytes::from(form)).await.unwrap_err();
        assert_eq!((error.status.as_u16(), error.code), (400, "invalid_grant"));
        assert!(error.message.contains("expired"), "{}", error.message);
    }

    #[test]
    fn only_loopback_redirects() {
        assert!(loopback_url("http://127.0.0.1:5000/cb"));
        assert!(loopback_url("http://localhost/cb"));
        assert!(loopback_url("http://[::1]:9/x"));
        assert!(!loopback_url("https://example.com/cb"));
        assert!(!loopback_url("not a url"));
    }
}
