//! Raw reads for `doctor`: a GET through the client's connection pool, rate limiter and access
//! tokens, returning the status, the headers and the body as they came (the client's typed
//! calls hide exactly what the doctor wants to see). Only GET is ever sent here.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, DATE, HeaderMap};
use serde_json::Value;
use url::Url;

use crate::api::client::describe;
use crate::api::{ApiError, BodyError, Client, ErrorBody, MAX_ANSWER_BYTES, read_body};

/// Most 429s one probe rides out.
const MAX_THROTTLED: u32 = 5;

/// One answer, whatever its status.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Whether this is a refusal of the request as asked: 400/422, or a 500 carrying the
    /// documented error envelope (a server that answers validation errors with 500).
    pub fn refused(&self) -> bool {
        matches!(self.status, 400 | 422) || self.envelope_500()
    }

    /// A 500 with the error envelope (`{"error": {"code", "message", …}}`) that names what was
    /// wrong, rather than a crash page.
    pub fn envelope_500(&self) -> bool {
        if self.status != 500 {
            return false;
        }
        let has_envelope = self
            .json()
            .is_some_and(|v| v.get("error").is_some_and(Value::is_object));
        let err = ErrorBody::parse(&self.body);
        has_envelope && (err.field.is_some() || err.code.is_some())
    }

    /// The error's code and field, for a detail line (never the message, which may quote data).
    pub fn error_words(&self) -> String {
        let err = ErrorBody::parse(&self.body);
        let mut words = format!("HTTP {}", self.status);
        if let Some(code) = err.code {
            words.push_str(&format!(" {code}"));
        }
        if let Some(field) = err.field {
            words.push_str(&format!(" (field `{field}`)"));
        }
        words
    }
}

/// Sends the doctor's GETs and notes what every answer's headers say.
pub(crate) struct Probe<'a> {
    client: &'a Client,
    /// Rate-limit headers seen, by lower-case name, with the last value.
    pub rate_limit: Mutex<BTreeMap<String, String>>,
    /// Server clock minus ours, in seconds, from the first `Date` header.
    pub skew: Mutex<Option<i64>>,
    pub requests: AtomicU64,
}

impl<'a> Probe<'a> {
    pub fn new(client: &'a Client) -> Self {
        Probe {
            client,
            rate_limit: Mutex::new(BTreeMap::new()),
            skew: Mutex::new(None),
            requests: AtomicU64::new(0),
        }
    }

    /// `GET /nxsys/<segments>?<query>` with the client's token. A 401 is answered once (a new
    /// token, or the `Bearer` scheme); 429s are waited out. Errors: the server could not be
    /// reached, or the sign-in was refused.
    pub async fn get(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Answer, ApiError> {
        let mut url = self.client.url(segments)?;
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        let inner = &self.client.inner;
        let mut unauthorized = 0;
        let mut throttled = 0;
        loop {
            inner.limiter.until_ready().await;
            let token = inner.tokens.current(self.client.token_endpoint()).await?;
            let auth = self.client.auth_header(&token.secret)?;
            let (status, headers, body) = self
                .send(
                    inner.http.get(url.clone()).header(AUTHORIZATION, auth),
                    &url,
                )
                .await?;
            match status {
                401 if unauthorized == 0 => {
                    unauthorized += 1;
                    // A server that wants `Bearer`, or a token that just expired.
                    if !inner.bearer.swap(true, Ordering::Relaxed) {
                        tracing::info!("401 with the documented scheme; trying Bearer");
                    } else {
                        inner
                            .tokens
                            .invalidate(self.client.token_endpoint(), token.generation)
                            .await?;
                    }
                }
                401 => {
                    return Err(ApiError::Unauthorized {
                        message: format!("GET {} answered HTTP 401", url.path()),
                    });
                }
                429 if throttled < MAX_THROTTLED => {
                    throttled += 1;
                    let wait = crate::api::retry::retry_after(&headers)
                        .unwrap_or(Duration::from_secs(1))
                        .min(Duration::from_secs(30));
                    inner.limiter.on_throttle(Some(wait));
                    tokio::time::sleep(wait).await;
                }
                _ => return Ok(Answer { status, body }),
            }
        }
    }

    /// `GET url` without a token (the OAuth helper, which takes the client's credentials in
    /// its query).
    pub async fn get_unauthenticated(&self, url: &Url) -> Result<Answer, ApiError> {
        self.client.inner.limiter.until_ready().await;
        let (status, _, body) = self
            .send(self.client.inner.http.get(url.clone()), url)
            .await?;
        Ok(Answer { status, body })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<(u16, HeaderMap, Vec<u8>), ApiError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let path = url.path().to_string();
        let unreachable = |reason: String| ApiError::Unreachable {
            method: "GET".into(),
            path: path.clone(),
            attempts: 1,
            reason,
        };
        let resp = request.send().await.map_err(|e| unreachable(describe(e)))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.note(&headers);
        let body = read_body(resp).await.map_err(|e| match e {
            BodyError::TooLarge => ApiError::TooLarge {
                method: "GET".into(),
                path: path.clone(),
                limit_mib: MAX_ANSWER_BYTES / (1024 * 1024),
            },
            BodyError::Transport(e) => unreachable(describe(e)),
        })?;
        Ok((status, headers, body))
    }

    fn note(&self, headers: &HeaderMap) {
        for (name, value) in headers {
            let name = name.as_str().to_ascii_lowercase();
            if name.starts_with("x-ratelimit")
                || name.starts_with("ratelimit")
                || name == "retry-after"
            {
                let value = value.to_str().unwrap_or("?").chars().take(80).collect();
                if let Ok(mut seen) = self.rate_limit.lock() {
                    seen.insert(name, value);
                }
            }
        }
        let date = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| DateTime::parse_from_rfc2822(s).ok());
        if let (Some(date), Ok(mut skew)) = (date, self.skew.lock())
            && skew.is_none()
        {
            *skew = Some((date.with_timezone(&Utc) - Utc::now()).num_seconds());
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
