//! The token endpoint (`POST /nxsys/oauth/token`, form-encoded, camelCase) and [`Tokens`], which
//! keeps the access token fresh for a [`Client`](crate::api::Client): refreshed before it expires
//! and once after a 401, one refresh at a time, rotated refresh tokens persisted to the store.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::store::{StoredLogin, TokenStore};
use crate::api::limiter::AdaptiveLimiter;
use crate::api::retry::{Backoff, retry_after};
use crate::api::{ApiError, Credentials, ErrorBody};

/// What the token endpoint answers. `Debug` never shows the tokens.
pub struct TokenResponse {
    pub access_token: SecretString,
    pub token_type: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: Option<u64>,
    /// A new refresh token when the server rotates them.
    pub refresh_token: Option<SecretString>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawToken {
    #[serde(alias = "access_token")]
    access_token: String,
    #[serde(default, alias = "token_type")]
    token_type: Option<String>,
    #[serde(
        default,
        alias = "expires_in",
        deserialize_with = "crate::api::models::lenient::integer"
    )]
    expires_in: Option<i64>,
    #[serde(default, alias = "refresh_token")]
    refresh_token: Option<String>,
}

/// The token endpoint of an API root.
pub fn token_url(base: &Url) -> Result<Url, ApiError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| ApiError::Config(format!("the base URL {base} cannot hold API paths")))?
        .pop_if_empty()
        .extend(["nxsys", "oauth", "token"]);
    Ok(url)
}

/// Call the token endpoint with `form`. Retries 429, 5xx and connection failures a few times;
/// neither the form nor the answer is ever logged.
pub(crate) async fn request_token(
    http: &reqwest::Client,
    base: &Url,
    form: &[(&str, &str)],
    limiter: Option<&AdaptiveLimiter>,
) -> Result<TokenResponse, ApiError> {
    const TRIES: u32 = 4;
    let url = token_url(base)?;
    let backoff = Backoff::default();
    let path = url.path().to_string();
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(l) = limiter {
            l.until_ready().await;
        }
        let started = Instant::now();
        let sent = http.post(url.clone()).form(form).send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let reason = crate::api::client::describe(e);
                tracing::debug!(path = %path, error = %reason, "token request failed");
                if attempt < TRIES {
                    tokio::time::sleep(backoff.delay(attempt)).await;
                    continue;
                }
                return Err(ApiError::Unreachable {
                    method: "POST".into(),
                    path,
                    attempts: attempt,
                    reason,
                });
            }
        };
        let status = resp.status();
        let wait = retry_after(resp.headers());
        let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        tracing::debug!(method = "POST", path = %path, status = status.as_u16(),
            latency_ms = started.elapsed().as_millis() as u64, "token request");
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            if let (Some(l), true) = (limiter, status == StatusCode::TOO_MANY_REQUESTS) {
                l.on_throttle(wait);
            }
            if attempt < TRIES {
                tokio::time::sleep(wait.unwrap_or_else(|| backoff.delay(attempt))).await;
                continue;
            }
            return Err(ApiError::Unreachable {
                method: "POST".into(),
                path,
                attempts: attempt,
                reason: format!("HTTP {}", status.as_u16()),
            });
        }
        if !status.is_success() {
            let said = ErrorBody::parse(&body);
            let code = said.code.clone().unwrap_or_default();
            let message = match code.as_str() {
                "invalid_grant" => {
                    "the refresh token or code is invalid, expired or already used (invalid_grant)"
                        .to_string()
                }
                "invalid_client" => {
                    "the client ID or client secret is wrong (invalid_client)".to_string()
                }
                _ => format!(
                    "the token endpoint answered HTTP {}{}",
                    status.as_u16(),
                    said.message.map(|m| format!(": {m}")).unwrap_or_default()
                ),
            };
            return Err(ApiError::Unauthorized { message });
        }
        let raw: RawToken = serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
            context: format!("POST {path}"),
            message: format!("not a token answer ({})", json_problem(&e)),
        })?;
        return Ok(TokenResponse {
            access_token: raw.access_token.into(),
            token_type: raw.token_type,
            expires_in: raw.expires_in.and_then(|s| u64::try_from(s).ok()),
            refresh_token: raw.refresh_token.filter(|t| !t.is_empty()).map(Into::into),
        });
    }
}

/// What is wrong with a JSON answer, without quoting it (it may hold tokens).
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "fields missing or of the wrong type",
        serde_json::error::Category::Eof => "cut off",
    }
}

/// Keeps a client's access token valid.
pub struct Tokens {
    base: Url,
    client_id: String,
    client_secret: SecretString,
    store: Option<TokenStore>,
    state: tokio::sync::Mutex<State>,
    refreshes: AtomicU64,
}

struct State {
    access: Option<SecretString>,
    refresh: SecretString,
    expires_at: Option<Instant>,
    /// Refresh this long before `expires_at`.
    margin: Duration,
    generation: u64,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("base", &self.base.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How long before expiry to refresh: a third of the lifetime, at most a minute.
fn margin_for(expires_in: Duration) -> Duration {
    (expires_in / 3).min(Duration::from_secs(60))
}

impl Tokens {
    /// Tokens for `creds`; nothing is fetched until [`Tokens::refresh_now`] or first use.
    pub fn new(base: Url, creds: Credentials, store: Option<TokenStore>) -> Self {
        Tokens {
            base,
            client_id: creds.client_id,
            client_secret: creds.client_secret,
            store,
            state: tokio::sync::Mutex::new(State {
                access: None,
                refresh: creds.refresh_token,
                expires_at: None,
                margin: Duration::ZERO,
                generation: 0,
            }),
            refreshes: AtomicU64::new(0),
        }
    }

    /// How many access tokens were obtained.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Refresh unconditionally (used when connecting).
    pub(crate) async fn refresh_now(
        &self,
        http: &reqwest::Client,
        limiter: &AdaptiveLimiter,
    ) -> Result<(), ApiError> {
        let mut st = self.state.lock().await;
        self.refresh_locked(&mut st, http, limiter).await
    }

    /// A valid access token and its generation, refreshing first when it is about to expire.
    pub(crate) async fn current(
        &self,
        http: &reqwest::Client,
        limiter: &AdaptiveLimiter,
    ) -> Result<(SecretString, u64), ApiError> {
        let mut st = self.state.lock().await;
        let stale = match (&st.access, st.expires_at) {
            (None, _) => true,
            (Some(_), Some(at)) => Instant::now() + st.margin >= at,
            (Some(_), None) => false,
        };
        if stale {
            self.refresh_locked(&mut st, http, limiter).await?;
        }
        match &st.access {
            Some(token) => Ok((token.clone(), st.generation)),
            None => Err(ApiError::Unauthorized {
                message: "no access token was issued".into(),
            }),
        }
    }

    /// After a 401 with the token of `generation`: refresh, unless another request already did.
    pub(crate) async fn refresh_if_current(
        &self,
        http: &reqwest::Client,
        limiter: &AdaptiveLimiter,
        generation: u64,
    ) -> Result<(), ApiError> {
        let mut st = self.state.lock().await;
        if st.generation == generation {
            self.refresh_locked(&mut st, http, limiter).await?;
        }
        Ok(())
    }

    async fn refresh_locked(
        &self,
        st: &mut State,
        http: &reqwest::Client,
        limiter: &AdaptiveLimiter,
    ) -> Result<(), ApiError> {
        let form = [
            ("grantType", "refresh_token"),
            ("refreshToken", st.refresh.expose_secret()),
            ("clientId", self.client_id.as_str()),
            ("clientSecret", self.client_secret.expose_secret()),
        ];
        let answer = request_token(http, &self.base, &form, Some(limiter)).await?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let lifetime = answer.expires_in.map(Duration::from_secs);
        st.access = Some(answer.access_token);
        st.expires_at = lifetime.map(|l| Instant::now() + l);
        st.margin = lifetime.map(margin_for).unwrap_or_default();
        st.generation += 1;
        let rotated = answer
            .refresh_token
            .filter(|new| new.expose_secret() != st.refresh.expose_secret());
        if let Some(new) = rotated {
            st.refresh = new;
        }
        tracing::debug!(expires_in = ?answer.expires_in, "access token refreshed");
        if let Some(store) = &self.store {
            let expires_at = lifetime
                .and_then(|l| chrono::Duration::from_std(l).ok())
                .map(|l| chrono::Utc::now() + l);
            let result = store.update(|entry: Option<StoredLogin>| {
                let mut entry = entry.unwrap_or_else(|| StoredLogin {
                    base_url: self.base.to_string(),
                    client_id: self.client_id.clone(),
                    client_secret: self.client_secret.clone(),
                    refresh_token: st.refresh.clone(),
                    expires_at: None,
                    updated_at: chrono::Utc::now(),
                    origin: None,
                });
                entry.refresh_token = st.refresh.clone();
                entry.expires_at = expires_at;
                entry.updated_at = chrono::Utc::now();
                entry
            });
            if let Err(e) = result {
                tracing::error!(
                    "the new refresh token could not be saved ({e}); the next run may have to sign in again with `nxsys-etl auth login`"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_a_third_capped_at_a_minute() {
        assert_eq!(
            margin_for(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(margin_for(Duration::from_secs(3)), Duration::from_secs(1));
    }

    #[test]
    fn token_url_appends_path() {
        let u = token_url(&Url::parse("http://127.0.0.1:9/").unwrap()).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/nxsys/oauth/token");
        let u = token_url(&Url::parse("https://h.example/api").unwrap()).unwrap();
        assert_eq!(u.as_str(), "https://h.example/api/nxsys/oauth/token");
    }

    #[test]
    fn token_response_debug_hides_tokens() {
        let t = TokenResponse {
            access_token: "acc-123".into(),
            token_type: Some("Nxsys-oauthtoken".into()),
            expires_in: Some(3600),
            refresh_token: Some("ref-456".into()),
        };
        let s = format!("{t:?}");
        assert!(!s.contains("acc-123") && !s.contains("ref-456"), "{s}");
    }
}
