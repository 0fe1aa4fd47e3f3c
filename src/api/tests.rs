//! The client's retry, ambiguity, token and paging rules against a scripted loopback server.
//! (The sandbox's faults are random; these tests pin each rule exactly.)

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use super::*;

/// The refresh grant with no expiry or store: a new access token on first use and after a
/// 401, which is all the client's rules need. (`auth::Tokens` is the real one.)
struct RefreshGrant {
    refresh_token: SecretString,
    current: tokio::sync::Mutex<Option<AccessToken>>,
    refreshes: AtomicU64,
}

impl RefreshGrant {
    fn new(refresh_token: &str) -> Arc<Self> {
        Arc::new(RefreshGrant {
            refresh_token: refresh_token.into(),
            current: tokio::sync::Mutex::default(),
            refreshes: AtomicU64::new(0),
        })
    }

    async fn refresh(
        &self,
        endpoint: TokenEndpoint<'_>,
        current: &mut Option<AccessToken>,
    ) -> Result<AccessToken, ApiError> {
        let form = [
            ("grantType", "refresh_token"),
            ("refreshToken", self.refresh_token.expose_secret()),
            ("clientId", "NXSYS.TEST"),
            ("clientSecret", "secret"),
        ];
        let answer = endpoint.request(&form).await?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let token = AccessToken {
            secret: answer.access_token,
            generation: current.as_ref().map_or(1, |t| t.generation + 1),
        };
        *current = Some(token.clone());
        Ok(token)
    }
}

impl AccessTokens for RefreshGrant {
    fn current<'a>(&'a self, endpoint: TokenEndpoint<'a>) -> TokenFuture<'a, AccessToken> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            match current.clone() {
                Some(token) => Ok(token),
                None => self.refresh(endpoint, &mut current).await,
            }
        })
    }

    fn invalidate<'a>(
        &'a self,
        endpoint: TokenEndpoint<'a>,
        generation: u64,
    ) -> TokenFuture<'a, ()> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            if current.as_ref().is_some_and(|t| t.generation == generation) {
                self.refresh(endpoint, &mut current).await?;
            }
            Ok(())
        })
    }

    fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
}

/// One scripted answer: status, extra headers, body, delay.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

#[derive(Default)]
struct Script {
    replies: HashMap<String, VecDeque<Reply>>,
    seen: Vec<(String, Option<String>)>,
    token_calls: usize,
}

type Shared = Arc<Mutex<Script>>;

async fn handle(State(script): State<Shared>, req: Request) -> Response {
    let key = format!("{} {}", req.method(), req.uri().path());
    let query = req.uri().query().unwrap_or("").to_string();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let next = {
        let mut s = script.lock().unwrap();
        if key == "POST /nxsys/oauth/token" {
            s.token_calls += 1;
            let n = s.token_calls;
            return (
                StatusCode::CREATED,
                json!({"accessToken": format!("access-{n}"), "tokenType": "Nxsys-oauthtoken",
                       "expiresIn": 3600, "refreshToken": format!("refresh-{n}")})
                .to_string(),
            )
                .into_response();
        }
        s.seen.push((format!("{key}?{query}"), auth));
        let page_key = format!("{key}?{query}");
        let queue = if s.replies.contains_key(&page_key) {
            s.replies.get_mut(&page_key)
        } else {
            s.replies.get_mut(&key)
        };
        queue.and_then(|q| {
            if q.len() > 1 {
                q.pop_front()
            } else {
                q.front().cloned()
            }
        })
    };
    let Some(r) = next else {
        return (StatusCode::NOT_FOUND, "{}").into_response();
    };
    tokio::time::sleep(r.delay).await;
    let mut headers = HeaderMap::new();
    for (k, v) in r.headers {
        headers.insert(k, v.parse().unwrap());
    }
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap();
    resp.headers_mut().extend(headers);
    resp
}

async fn server(script: &[(&str, Vec<Reply>)]) -> (Url, Shared) {
    let shared: Shared = Arc::default();
    {
        let mut s = shared.lock().unwrap();
        for (k, rs) in script {
            s.replies
                .insert(k.to_string(), rs.iter().cloned().collect());
        }
    }
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (Url::parse(&format!("http://{addr}")).unwrap(), shared)
}

async fn client(base: Url) -> Client {
    let mut config = ClientConfig::new(base);
    config.rate = 1000;
    config.timeout = Duration::from_millis(500);
    config.max_retries = 3;
    config.retry_budget = Duration::from_millis(300);
    Client::connect(config, RefreshGrant::new("refresh-0"))
        .await
        .expect("connects")
}

fn calls(shared: &Shared, prefix: &str) -> usize {
    shared
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .count()
}

#[tokio::test]
async fn read_is_retried_after_500_and_succeeds() {
    let (base, shared) = server(&[(
        "GET /nxsys/payment-rate/PR-1",
        vec![
            reply(500, json!({})),
            reply(200, json!({"data": {"id": "PR-1", "code": "A"}})),
        ],
    )])
    .await;
    let c = client(base).await;
    let rate = c.get_payment_rate("PR-1").await.unwrap();
    assert_eq!(rate.code.as_deref(), Some("A"));
    assert_eq!(calls(&shared, "GET /nxsys/payment-rate/PR-1"), 2);
    assert_eq!(c.stats().retries, 1);
}

#[tokio::test]
async fn write_answered_500_is_ambiguous_and_not_resent() {
    let (base, shared) = server(&[("POST /nxsys/payment-rate", vec![reply(500, json!({}))])]).await;
    let c = client(base).await;
    let err = c
        .create_payment_rate(&json!({"code": "X"}))
        .await
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(err.status(), Some(500));
    assert_eq!(calls(&shared, "POST /nxsys/payment-rate"), 1);
    assert_eq!(c.stats().ambiguous, 1);
}

#[tokio::test]
async fn write_that_times_out_is_ambiguous() {
    let mut slow = reply(201, json!({}));
    slow.delay = Duration::from_secs(2);
    let (base, shared) = server(&[("POST /nxsys/candidates", vec![slow])]).await;
    let c = client(base).await;
    let err = c.create_candidate(&json!({})).await.unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(calls(&shared, "POST /nxsys/candidates"), 1);
}

#[tokio::test]
async fn throttled_write_waits_and_is_sent_again() {
    let mut limited = reply(
        429,
        json!({"error": {"code": "rate_limited", "message": "slow down"}}),
    );
    limited.headers.push(("retry-after", "0"));
    let (base, shared) = server(&[(
        "POST /nxsys/candidates",
        vec![limited.clone(), limited, reply(201, json!(null))],
    )])
    .await;
    let c = client(base).await;
    c.create_candidate(&json!({"generalSetting": {}}))
        .await
        .unwrap();
    assert_eq!(calls(&shared, "POST /nxsys/candidates"), 3);
    assert_eq!(c.stats().throttled, 2);
}

#[tokio::test]
async fn data_errors_are_rejected_once_with_status_code_and_field() {
    let (base, shared) = server(&[(
        "POST /nxsys/time-sheets",
        vec![reply(
            422,
            json!({"error": {"code": "invalid_parameter", "message": "bad id",
                   "details": {"field": "subcontractorRef"}}}),
        )],
    )])
    .await;
    let c = client(base).await;
    let body = crate::api::TimesheetCreate::default();
    let err = c.create_timesheet(&body).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("invalid_parameter"));
    assert_eq!(err.field(), Some("subcontractorRef"));
    assert_eq!(calls(&shared, "POST /nxsys/time-sheets"), 1);
}

#[tokio::test]
async fn a_401_refreshes_once_then_succeeds() {
    let (base, shared) = server(&[(
        "GET /nxsys/candidates/SR-1",
        vec![
            reply(401, json!({"statusCode": 401, "message": "Unauthorized"})),
            reply(200, json!({"data": {"id": "SR-1"}})),
        ],
    )])
    .await;
    let c = client(base).await;
    c.get_candidate("SR-1").await.unwrap();
    let s = shared.lock().unwrap();
    assert_eq!(s.token_calls, 2, "connect + one refresh");
    let auths: Vec<_> = s
        .seen
        .iter()
        .map(|(_, a)| a.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        auths,
        ["Nxsys-oauthtoken access-1", "Nxsys-oauthtoken access-2"]
    );
}

#[tokio::test]
async fn a_401_asking_for_bearer_switches_scheme() {
    let (base, shared) = server(&[(
        "GET /nxsys/vat-code",
        vec![
            reply(
                401,
                json!({"error": {"code": "missing_credentials",
                    "message": "expected Authorization: Bearer <token>"}}),
            ),
            reply(200, json!({"data": [{"id": "VC-1"}], "totalDocs": 1})),
        ],
    )])
    .await;
    let c = client(base).await;
    let codes = c.vat_codes().await.unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(c.auth_scheme(), AuthScheme::Bearer);
    let last = shared.lock().unwrap().seen.last().cloned().unwrap();
    assert_eq!(last.1.as_deref(), Some("Bearer access-1"));
}

#[tokio::test]
async fn repeated_401_is_unauthorized_without_secrets() {
    let (base, _) = server(&[(
        "GET /nxsys/candidates/SR-1",
        vec![reply(401, json!({"message": "token invalid"}))],
    )])
    .await;
    let c = client(base).await;
    let err = c.get_candidate("SR-1").await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("auth login"), "{text}");
    assert!(
        !text.contains("access-") && !text.contains("refresh-") && !text.contains("secret"),
        "{text}"
    );
}

#[tokio::test]
async fn unreachable_server_is_reported_not_panicked() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = ClientConfig::new(Url::parse(&format!("http://{addr}")).unwrap());
    config.max_retries = 1;
    let err = Client::connect(config, RefreshGrant::new("r"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unreachable { .. }), "{err}");
}

fn items(range: std::ops::Range<usize>) -> Value {
    Value::Array(range.map(|i| json!({"id": format!("PL-{i}")})).collect())
}

#[tokio::test]
async fn pages_with_known_total_are_all_read_in_order() {
    let (base, shared) = server(&[
        (
            "GET /nxsys/payslips?taxYear=2025&page=1&size=100",
            vec![reply(
                200,
                json!({"items": items(0..100), "meta": {"totalDocs": 250}}),
            )],
        ),
        (
            "GET /nxsys/payslips?taxYear=2025&page=2&size=100",
            vec![reply(
                200,
                json!({"items": items(100..200), "meta": {"totalDocs": 250}}),
            )],
        ),
        (
            "GET /nxsys/payslips?taxYear=2025&page=3&size=100",
            vec![reply(
                200,
                json!({"items": items(200..250), "meta": {"totalDocs": 250}}),
            )],
        ),
    ])
    .await;
    let c = client(base).await;
    let filter = PayslipFilter {
        tax_year: Some(2025),
        ..Default::default()
    };
    let got: Vec<String> = c
        .payslips(filter)
        .map(|p| p.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(got.len(), 250);
    assert_eq!(got[0], "PL-0");
    assert_eq!(got[249], "PL-249");
    assert!(got.windows(2).all(|w| w[0] != w[1]));
    assert_eq!(calls(&shared, "GET /nxsys/payslips"), 3);
}

#[tokio::test]
async fn pages_without_total_stop_at_a_short_page() {
    let (base, shared) = server(&[
        (
            "GET /nxsys/time-sheets?page=1&size=100",
            vec![reply(200, json!({"data": items(0..100)}))],
        ),
        (
            "GET /nxsys/time-sheets?page=2&size=100",
            vec![reply(200, json!({"data": items(100..130)}))],
        ),
    ])
    .await;
    let c = client(base).await;
    let n = c.timesheets(TimesheetFilter::default()).count().await;
    assert_eq!(n, 130);
    assert_eq!(calls(&shared, "GET /nxsys/time-sheets"), 2);
}

#[tokio::test]
async fn a_server_ignoring_page_is_detected() {
    let (base, _) = server(&[(
        "GET /nxsys/time-sheets",
        vec![reply(200, json!({"data": items(0..100)}))],
    )])
    .await;
    let c = client(base).await;
    let all: Vec<_> = c.timesheets(TimesheetFilter::default()).collect().await;
    assert_eq!(all.len(), 101);
    assert!(matches!(all.last(), Some(Err(ApiError::Decode { .. }))));
}

#[tokio::test]
async fn timesheet_update_reads_the_data_array() {
    let (base, _) = server(&[(
        "PUT /nxsys/time-sheets/TS-1",
        vec![reply(
            201,
            json!({"data": [{"id": "TS-1", "totalNet": "100.50"}]}),
        )],
    )])
    .await;
    let c = client(base).await;
    let t = c
        .update_timesheet("TS-1", &TimesheetEdit::default())
        .await
        .unwrap();
    assert_eq!(t.total_net, Some(rust_decimal::Decimal::new(10050, 2)));
}

#[tokio::test]
async fn a_server_capping_page_size_is_read_completely() {
    let page = |n: usize| {
        (
            format!("GET /nxsys/payment-rate?page={n}&size=100"),
            vec![reply(
                200,
                json!({"data": items((n - 1) * 50..(n * 50).min(120)), "totalDocs": 120}),
            )],
        )
    };
    let script: Vec<(String, Vec<Reply>)> = (1..=3).map(page).collect();
    let script: Vec<(&str, Vec<Reply>)> = script
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let (base, _) = server(&script).await;
    let c = client(base).await;
    let n = c.payment_rates(PaymentRateFilter::default()).count().await;
    assert_eq!(n, 120);
}

#[tokio::test]
async fn pages_without_total_follow_the_servers_page_size() {
    let (base, shared) = server(&[
        (
            "GET /nxsys/candidates?page=1&size=100",
            vec![reply(200, json!({"items": items(0..20)}))],
        ),
        (
            "GET /nxsys/candidates?page=2&size=100",
            vec![reply(200, json!({"items": items(20..40)}))],
        ),
        (
            "GET /nxsys/candidates?page=3&size=100",
            vec![reply(200, json!({"items": items(40..45)}))],
        ),
    ])
    .await;
    let c = client(base).await;
    let n = c.candidates(CandidateFilter::default()).count().await;
    assert_eq!(n, 45);
    assert_eq!(calls(&shared, "GET /nxsys/candidates"), 3);
}

#[tokio::test]
async fn a_short_list_repeated_on_every_page_is_read_once() {
    let (base, _) = server(&[(
        "GET /nxsys/vat-code",
        vec![reply(200, json!({"data": items(0..3)}))],
    )])
    .await;
    let c = client(base).await;
    assert_eq!(c.vat_codes().await.unwrap().len(), 3);
}
