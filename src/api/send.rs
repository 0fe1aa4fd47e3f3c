//! Sending one request with the client's rules: wait for a slot, attach a fresh token, send,
//! then decide from the outcome whether to return, retry (and after how long) or give up.
//!
//! | outcome                              | read (GET)            | write                 |
//! |--------------------------------------|-----------------------|-----------------------|
//! | could not connect (nothing sent)     | retry with backoff    | retry with backoff    |
//! | timeout / connection lost after send | retry with backoff    | `Ambiguous`           |
//! | 429                                  | wait `Retry-After`    | wait `Retry-After`    |
//! | any answer with rate-limit headers   | rate set from them (`RateLimit-*`, `X-RateLimit-*`) | same |
//! | 401                                  | refresh once, retry   | refresh once, retry   |
//! | 5xx                                  | retry with backoff for at least the retry budget (20 s) | `Ambiguous` |
//! | 5xx whose error envelope names a field | `Rejected` (a validation error sent as 5xx) | `Rejected` |
//! | other 4xx                            | `Rejected`            | `Rejected`            |

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use url::Url;

use super::client::{
    Answer, AuthScheme, BodyError, Client, MAX_ANSWER_BYTES, bump, describe, read_body,
};
use super::error::{ApiError, ErrorBody};
use super::retry::{rate_limit_headers, retry_after};
use super::traits::ServerTraits;

/// How many 429s in a row one request rides out before giving up.
const MAX_THROTTLE_RETRIES: u32 = 30;

/// What one attempt produced.
enum Outcome {
    /// The server answered (any status).
    Answered {
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
        /// When the request left (a 429 to a request sent before a slow-down is old news).
        sent: Instant,
    },
    /// No (complete) answer. `not_sent`: the connection failed before the request left.
    Lost {
        status: Option<StatusCode>,
        not_sent: bool,
        reason: String,
    },
}

/// What to do after an attempt.
enum Next {
    Done(Result<Answer, ApiError>),
    Retry(Duration),
}

/// The request being sent and what it has used of its retry budgets.
struct Call {
    method: String,
    path: String,
    is_write: bool,
    attempts: u32,
    transient: u32,
    throttled: u32,
    scheme_switched: bool,
    refreshed: bool,
    started: Instant,
}

impl Call {
    fn ambiguous(&self, status: Option<StatusCode>, reason: String) -> ApiError {
        ApiError::Ambiguous {
            method: self.method.clone(),
            path: self.path.clone(),
            status: status.map(|s| s.as_u16()),
            reason,
        }
    }

    fn unreachable(&self, reason: String) -> ApiError {
        ApiError::Unreachable {
            method: self.method.clone(),
            path: self.path.clone(),
            attempts: self.attempts,
            reason,
        }
    }
}

impl Client {
    /// Send one request and return its 2xx answer, following the table in the module docs.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        let mut call = Call {
            method: method.as_str().to_string(),
            path: url.path().to_string(),
            is_write: method != Method::GET && method != Method::HEAD,
            attempts: 0,
            transient: 0,
            throttled: 0,
            scheme_switched: false,
            refreshed: false,
            started: Instant::now(),
        };
        loop {
            if call.attempts > 0 {
                bump(&self.inner.counters.retries);
            }
            call.attempts += 1;
            let (outcome, generation) = self.attempt(&method, &url, body, &call).await?;
            let next = match outcome {
                Outcome::Lost {
                    status,
                    not_sent,
                    reason,
                } => self.on_lost(&mut call, status, not_sent, reason),
                Outcome::Answered {
                    status,
                    headers,
                    body,
                    sent,
                } => {
                    self.on_answer(&mut call, generation, status, &headers, body, sent)
                        .await?
                }
            };
            match next {
                Next::Done(result) => return result,
                Next::Retry(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Wait for a slot and a token, send once, read the whole answer.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        call: &Call,
    ) -> Result<(Outcome, u64), ApiError> {
        let inner = &*self.inner;
        let _permit = inner
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::Config("the client was shut down".into()))?;
        inner.limiter.until_ready().await;
        let token = inner.tokens.current(self.token_endpoint()).await?;
        let mut request = inner
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.auth_header(&token.secret)?);
        if let Some(b) = body {
            request = request.json(b);
        }
        bump(&inner.counters.requests);
        let started = Instant::now();
        let outcome = match request.send().await {
            Err(e) => Outcome::Lost {
                status: None,
                not_sent: e.is_connect(),
                reason: describe(e),
            },
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                match read_body(resp).await {
                    Ok(body) => Outcome::Answered {
                        status,
                        headers,
                        body,
                        sent: started,
                    },
                    Err(BodyError::Transport(e)) => Outcome::Lost {
                        status: Some(status),
                        not_sent: false,
                        reason: describe(e),
                    },
                    Err(BodyError::TooLarge) => {
                        return Err(ApiError::TooLarge {
                            method: call.method.clone(),
                            path: call.path.clone(),
                            limit_mib: MAX_ANSWER_BYTES >> 20,
                        });
                    }
                }
            }
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        match &outcome {
            Outcome::Answered { status, .. } => tracing::debug!(
                method = %call.method, path = %call.path, status = status.as_u16(), latency_ms, "request"
            ),
            Outcome::Lost { reason, .. } => tracing::debug!(
                method = %call.method, path = %call.path, error = %reason, latency_ms, "request failed"
            ),
        }
        Ok((outcome, token.generation))
    }

    /// No answer: retry reads and unsent writes; a sent write is ambiguous.
    fn on_lost(
        &self,
        call: &mut Call,
        status: Option<StatusCode>,
        not_sent: bool,
        reason: String,
    ) -> Next {
        if call.is_write && !not_sent {
            bump(&self.inner.counters.ambiguous);
            return Next::Done(Err(call.ambiguous(status, reason)));
        }
        self.retry_transient(call, reason)
    }

    /// A read answered 5xx: the server is there but failing. Retried for the retry budget
    /// (at least), so that an outage of a few seconds passes.
    fn retry_server_error(&self, call: &mut Call, reason: String) -> Next {
        if call.started.elapsed() < self.inner.retry_budget {
            call.transient += 1;
            let wait = self.inner.backoff.delay(call.transient.min(5));
            return Next::Retry(wait);
        }
        self.retry_transient(call, reason)
    }

    fn retry_transient(&self, call: &mut Call, reason: String) -> Next {
        if call.transient < self.inner.max_retries {
            call.transient += 1;
            Next::Retry(self.inner.backoff.delay(call.transient))
        } else {
            Next::Done(Err(call.unreachable(reason)))
        }
    }

    async fn on_answer(
        &self,
        call: &mut Call,
        generation: u64,
        status: StatusCode,
        headers: &HeaderMap,
        body: Vec<u8>,
        sent: Instant,
    ) -> Result<Next, ApiError> {
        let inner = &*self.inner;
        if let Some(said) = rate_limit_headers(headers) {
            inner.limiter.on_headers(&said);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Ok(self.on_throttled(call, headers, sent));
        }
        inner.limiter.on_success();
        if status == StatusCode::UNAUTHORIZED {
            return self.on_unauthorized(call, generation, headers, &body).await;
        }
        if status.is_server_error() {
            let said = ErrorBody::parse(&body);
            // A validation error sent as 5xx (the pages list only 200/201, 400, 401 and 500
            // for some endpoints): the envelope names the field refused, so nothing was
            // applied. A later run would find the record by its natural key in any case.
            if let Some(field) = said.field.clone() {
                self.learn(&ServerTraits {
                    validation_500: Some(true),
                    ..ServerTraits::default()
                });
                return Ok(Next::Done(Err(ApiError::Rejected {
                    method: call.method.clone(),
                    path: call.path.clone(),
                    status: status.as_u16(),
                    code: said.code,
                    message: said.message.unwrap_or_else(|| "validation failed".into()),
                    field: Some(field),
                })));
            }
            let reason = format!(
                "HTTP {}{}",
                status.as_u16(),
                said.message.map(|m| format!(": {m}")).unwrap_or_default()
            );
            if call.is_write {
                bump(&inner.counters.ambiguous);
                return Ok(Next::Done(Err(call.ambiguous(Some(status), reason))));
            }
            return Ok(self.retry_server_error(call, reason));
        }
        if !status.is_success() {
            let said = ErrorBody::parse(&body);
            let fallback = status.canonical_reason().unwrap_or("no reason given");
            return Ok(Next::Done(Err(ApiError::Rejected {
                method: call.method.clone(),
                path: call.path.clone(),
                status: status.as_u16(),
                code: said.code,
                message: said.message.unwrap_or_else(|| fallback.to_string()),
                field: said.field,
            })));
        }
        Ok(Next::Done(Ok(Answer {
            status: status.as_u16(),
            body,
        })))
    }

    /// 429: slow the shared limiter, wait as asked (or back off), and try again.
    fn on_throttled(&self, call: &mut Call, headers: &HeaderMap, sent: Instant) -> Next {
        let inner = &*self.inner;
        bump(&inner.counters.throttled);
        let wait = retry_after(headers);
        inner.limiter.on_throttle_sent(sent, wait);
        if call.throttled >= MAX_THROTTLE_RETRIES {
            return Next::Done(Err(call.unreachable(format!(
                "still rate limited (HTTP 429) after {} waits; try a lower --rate",
                call.throttled
            ))));
        }
        call.throttled += 1;
        Next::Retry(wait.unwrap_or_else(|| inner.backoff.delay(call.throttled.min(6))))
    }

    /// 401: switch to `Bearer` if the server asks for it, else refresh the token once.
    async fn on_unauthorized(
        &self,
        call: &mut Call,
        generation: u64,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Next, ApiError> {
        let inner = &*self.inner;
        let asks_for_bearer = String::from_utf8_lossy(body)
            .to_ascii_lowercase()
            .contains("bearer")
            || headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().contains("bearer"));
        if asks_for_bearer && !call.scheme_switched && self.auth_scheme() != AuthScheme::Bearer {
            call.scheme_switched = true;
            tracing::info!("the server asks for `Authorization: Bearer`; switching");
            inner.bearer.store(true, Ordering::Relaxed);
            return Ok(Next::Retry(Duration::ZERO));
        }
        if !call.refreshed {
            call.refreshed = true;
            inner
                .tokens
                .invalidate(self.token_endpoint(), generation)
                .await?;
            return Ok(Next::Retry(Duration::ZERO));
        }
        let said = ErrorBody::parse(body);
        Ok(Next::Done(Err(ApiError::Unauthorized {
            message: said
                .message
                .unwrap_or_else(|| "the access token was refused (HTTP 401)".into()),
        })))
    }
}
