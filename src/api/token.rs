//! Access tokens: the token endpoint (`POST /nxsys/oauth/token`, form-encoded, camelCase) and
//! [`AccessTokens`], the seam through which a [`Client`](super::Client) gets a token for each
//! request. Keeping tokens fresh (and persisting rotated refresh tokens) is `auth`'s job; the
//! client only asks for a token and reports a 401.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use reqwest::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::client::{BodyError, MAX_ANSWER_BYTES, describe, read_body};
use super::error::{ApiError, ErrorBody};
use super::limiter::AdaptiveLimiter;
use super::retry::{Backoff, retry_after};

/// The future an [`AccessTokens`] method returns: boxed, and `Send` so requests can run on any
/// thread.
pub type TokenFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// An access token and its generation: each new token has a higher one, so a 401 answered to
/// an old token does not throw away a newer one.
#[derive(Clone)]
pub struct AccessToken {
    pub secret: SecretString,
    pub generation: u64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[redacted]")
            .field("generation", &self.generation)
            .finish()
    }
}

/// Where a [`Client`](super::Client) gets its access tokens. The client lends its token
/// endpoint (connection pool and rate limiter) to each call.
pub trait AccessTokens: Send + Sync {
    /// A valid access token, obtained first when there is none or it is about to expire.
    fn current<'a>(&'a self, endpoint: TokenEndpoint<'a>) -> TokenFuture<'a, AccessToken>;

    /// The token of `generation` was refused (HTTP 401): get a new one, unless another request
    /// already has.
    fn invalidate<'a>(
        &'a self,
        endpoint: TokenEndpoint<'a>,
        generation: u64,
    ) -> TokenFuture<'a, ()>;

    /// How many access tokens were obtained so far.
    fn refreshes(&self) -> u64;
}

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
        deserialize_with = "super::models::lenient::integer"
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

/// The token endpoint as a client reaches it: through the client's connection pool and, for a
/// client's own refreshes, its shared rate limiter.
#[derive(Clone, Copy)]
pub struct TokenEndpoint<'a> {
    http: &'a reqwest::Client,
    base: &'a Url,
    limiter: Option<&'a AdaptiveLimiter>,
}

impl fmt::Debug for TokenEndpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl<'a> TokenEndpoint<'a> {
    /// The token endpoint of `base`, called with `http`, each call first waiting for `limiter`
    /// (and slowing it on a 429) when there is one.
    pub(crate) fn new(
        http: &'a reqwest::Client,
        base: &'a Url,
        limiter: Option<&'a AdaptiveLimiter>,
    ) -> Self {
        TokenEndpoint {
            http,
            base,
            limiter,
        }
    }

    /// The API root the endpoint belongs to.
    pub fn base_url(&self) -> &'a Url {
        self.base
    }

    /// Call the token endpoint with `form`. Retries 429, 5xx and connection failures a few
    /// times; neither the form nor the answer is ever logged.
    pub async fn request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, ApiError> {
        request_token(self.http, self.base, form, self.limiter).await
    }
}

async fn request_token(
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
                let reason = describe(e);
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
        let body = match read_body(resp).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Err(ApiError::TooLarge {
                    method: "POST".into(),
                    path,
                    limit_mib: MAX_ANSWER_BYTES >> 20,
                });
            }
            Err(BodyError::Transport(_)) => Vec::new(),
        };
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
                "invalid_grant" => super::error::INVALID_GRANT.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

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
