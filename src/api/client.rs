//! The [`Client`]: one `reqwest` client, one adaptive limiter, a bound on requests in flight,
//! the access tokens it is given, and the retry rules for reads and writes.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tokio::sync::Semaphore;
use url::Url;

use super::error::ApiError;
use super::limiter::AdaptiveLimiter;
use super::retry::Backoff;
use super::token::{AccessTokens, TokenEndpoint};
use super::traits::{Filters, ServerTraits};

/// How to talk to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://api.nxsys.tech`; plain `http://` only for loopback hosts.
    pub base_url: Url,
    /// Requests per second at most (the client may go slower after 429s).
    pub rate: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries for 5xx, timeouts and connection errors (429s have their own, larger budget).
    pub max_retries: u32,
    /// A read the server answers 5xx is retried (with backoff) for at least this long, however
    /// many retries that takes: a short outage is ridden out rather than stopping the run.
    pub retry_budget: Duration,
    /// Which `Authorization` scheme to start with.
    pub auth_scheme: AuthScheme,
}

impl ClientConfig {
    /// Requests per second by default: a safe start against a server whose limit is not
    /// documented (the client slows down further on 429s).
    pub const DEFAULT_RATE: u32 = 10;
    /// Requests in flight by default.
    pub const DEFAULT_CONCURRENCY: usize = 8;
    /// Seconds to wait for an answer by default.
    pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
    /// How long reads answered 5xx are retried by default.
    pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(20);

    /// The defaults above, 5 retries and `Nxsys-oauthtoken`. Commands take theirs from
    /// `settings`, which starts from the same defaults.
    pub fn new(base_url: Url) -> Self {
        ClientConfig {
            base_url,
            rate: Self::DEFAULT_RATE,
            concurrency: Self::DEFAULT_CONCURRENCY,
            timeout: Duration::from_secs(Self::DEFAULT_TIMEOUT_SECS),
            max_retries: 5,
            retry_budget: Self::DEFAULT_RETRY_BUDGET,
            auth_scheme: AuthScheme::default(),
        }
    }
}

/// The scheme word in `Authorization: <scheme> <token>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthScheme {
    /// `Nxsys-oauthtoken <token>`, as documented.
    #[default]
    NxsysOauthtoken,
    /// `Bearer <token>`.
    Bearer,
}

/// Counters of what the client did, for reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    /// Requests sent (every attempt counts).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Writes whose outcome is unknown.
    pub ambiguous: u64,
    /// Access tokens obtained from the token endpoint.
    pub token_refreshes: u64,
    /// The effective rate now (requests per second).
    pub rate: u32,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) ambiguous: AtomicU64,
}

/// Add one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A connection to the Nxsys API. Cheap to clone; clones share the limiter, the connection pool
/// and the tokens.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What clones of a [`Client`] share.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    base: Url,
    pub(crate) limiter: AdaptiveLimiter,
    pub(crate) permits: Semaphore,
    concurrency: usize,
    pub(crate) tokens: Arc<dyn AccessTokens>,
    pub(crate) backoff: Backoff,
    pub(crate) max_retries: u32,
    pub(crate) retry_budget: Duration,
    pub(crate) bearer: AtomicBool,
    pub(crate) counters: Counters,
    /// What has been learnt of the server so far ([`Client::traits`]).
    pub(crate) traits: std::sync::Mutex<ServerTraits>,
    /// List endpoints probed for filters by this client (an empty list tells nothing, and is
    /// not probed again in the same run).
    pub(crate) probed: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

/// An answer with a 2xx status.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Refuse base URLs that would send credentials in clear text or cannot be an API root.
pub fn check_base_url(url: &Url) -> Result<(), ApiError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ApiError::Config(format!(
            "the base URL {url} is plain http:// on a host that is not this computer; \
             credentials would travel unencrypted. Use https://"
        ))),
        other => Err(ApiError::Config(format!(
            "the base URL {url} has scheme `{other}`; use an https:// URL such as https://api.nxsys.tech"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The shared `reqwest` client: rustls with verification on, gzip, pooled connections, timeouts.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .user_agent(concat!("nxsys-etl/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::Config(format!("could not set up HTTPS: {}", e.without_url())))
}

/// The most bytes this tool reads from one answer body (after decompression): 8 MiB, many times
/// the largest page of any Nxsys listing. A larger answer is not from the Nxsys API as
/// documented (a wrong base URL, a proxy's error page, a hostile server) and is refused.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Why an answer body could not be read.
pub enum BodyError {
    /// It is larger than [`MAX_ANSWER_BYTES`]; reading stopped there.
    TooLarge,
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

/// Read an answer body chunk by chunk, refusing it at [`MAX_ANSWER_BYTES`] (before reading
/// anything when the server announces a larger length), so an endless answer costs at most
/// that much memory.
pub async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let announced = resp.content_length().unwrap_or(0);
    if announced > MAX_ANSWER_BYTES as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(announced as usize);
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport error in words, without the URL (which may carry a query with personal data).
pub(crate) fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "connection failed"
    };
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    format!("{kind}: {detail}")
}

impl Client {
    /// Connect: check the base URL, get a first access token from `tokens` (so bad credentials
    /// fail here, not on the first request), and return a ready client.
    pub async fn connect(
        config: ClientConfig,
        tokens: Arc<dyn AccessTokens>,
    ) -> Result<Client, ApiError> {
        check_base_url(&config.base_url)?;
        if config.base_url.cannot_be_a_base() {
            return Err(ApiError::Config(format!(
                "the base URL {} cannot hold API paths",
                config.base_url
            )));
        }
        let http = http_client(config.timeout)?;
        let concurrency = config.concurrency.max(1);
        let client = Client {
            inner: Arc::new(Inner {
                http,
                base: config.base_url,
                limiter: AdaptiveLimiter::new(config.rate),
                permits: Semaphore::new(concurrency),
                concurrency,
                tokens,
                backoff: Backoff::default(),
                max_retries: config.max_retries,
                retry_budget: config.retry_budget,
                bearer: AtomicBool::new(config.auth_scheme == AuthScheme::Bearer),
                counters: Counters::default(),
                traits: Default::default(),
                probed: Default::default(),
            }),
        };
        client.inner.tokens.current(client.token_endpoint()).await?;
        Ok(client)
    }

    /// The API root this client talks to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// What the client has done so far.
    /// What has been learnt of the server so far (start from an earlier run's with
    /// [`Client::learn`]).
    pub fn traits(&self) -> ServerTraits {
        let mut traits = self
            .inner
            .traits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(limit) = self.inner.limiter.learnt() {
            traits.rate_limit = Some(limit);
        }
        traits
    }

    /// Take in what is known of the server (from an earlier run, `doctor --save`, or an
    /// answer just read); newer knowledge wins.
    pub fn learn(&self, learnt: &ServerTraits) {
        let mut traits = self.inner.traits.lock().unwrap_or_else(|e| e.into_inner());
        if *learnt != ServerTraits::default() {
            tracing::debug!(?learnt, "learnt of the server");
        }
        traits.merge(learnt);
        if let Some(limit) = learnt.rate_limit {
            self.inner.limiter.start_from(limit);
        }
    }

    /// Learn how `endpoint` treats filters.
    pub fn learn_filters(&self, endpoint: &str, filters: Filters) {
        let mut learnt = ServerTraits::default();
        learnt.filters.insert(endpoint.to_string(), filters);
        self.learn(&learnt);
    }

    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            ambiguous: c.ambiguous.load(Ordering::Relaxed),
            token_refreshes: self.inner.tokens.refreshes(),
            rate: self.inner.limiter.rate(),
        }
    }

    /// The `Authorization` scheme in use now (it may have switched to `Bearer` after a 401).
    pub fn auth_scheme(&self) -> AuthScheme {
        if self.inner.bearer.load(Ordering::Relaxed) {
            AuthScheme::Bearer
        } else {
            AuthScheme::NxsysOauthtoken
        }
    }

    /// The token endpoint through this client's connection pool and limiter, for its tokens.
    pub(crate) fn token_endpoint(&self) -> TokenEndpoint<'_> {
        TokenEndpoint::new(
            &self.inner.http,
            &self.inner.base,
            Some(&self.inner.limiter),
        )
    }

    /// Requests in flight at once (also the number of pages fetched ahead).
    pub(crate) fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// `base` + `/nxsys/<segments…>`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, ApiError> {
        let base = &self.inner.base;
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|_| ApiError::Config(format!("the base URL {base} cannot hold API paths")))?
            .pop_if_empty()
            .push("nxsys")
            .extend(segments);
        Ok(url)
    }

    /// `Authorization: <scheme> <token>`, marked sensitive so it is never printed.
    pub(crate) fn auth_header(&self, token: &SecretString) -> Result<HeaderValue, ApiError> {
        let scheme = match self.auth_scheme() {
            AuthScheme::Bearer => "Bearer",
            AuthScheme::NxsysOauthtoken => "Nxsys-oauthtoken",
        };
        let mut value = HeaderValue::from_str(&format!("{scheme} {}", token.expose_secret()))
            .map_err(|_| ApiError::Unauthorized {
                message: "the access token contains characters a header cannot carry".into(),
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_for_loopback() {
        let ok = [
            "https://api.nxsys.tech",
            "http://127.0.0.1:8787",
            "http://localhost:1",
            "http://[::1]:9",
        ];
        for u in ok {
            assert!(check_base_url(&Url::parse(u).unwrap()).is_ok(), "{u}");
        }
        let bad = ["http://api.nxsys.tech", "http://10.0.0.1", "ftp://x"];
        for u in bad {
            let e = check_base_url(&Url::parse(u).unwrap()).unwrap_err();
            assert!(matches!(e, ApiError::Config(_)), "{u}");
        }
    }
}
