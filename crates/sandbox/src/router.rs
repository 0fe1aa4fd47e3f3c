//! Routes and the middleware stack.
//!
//! Every `/nxsys` request: counted (`requests`, and `reads`/`writes` outside OAuth) → random
//! latency → rate limit. API routes (not OAuth) then: injected 500/429 or poisoned write →
//! access-token check → handler (its 400/422 turned 500 by `validation-500`) → maybe drop the
//! answer after the write.
//! `/oauth/authorize` (the portal page) and `/_sandbox/*` sit outside all of that.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::Rng;

use super::errors::{self, ApiError};
use super::state::{Counters, Shared};
use super::{
    admin, auth, candidates, faults, oauth, payment_rates, payslips, timesheets, vat_codes,
};

/// Middleware for every `/nxsys` request: count, delay, rate-limit.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    Counters::bump(&shared.counters.requests);
    if !request.uri().path().starts_with("/nxsys/oauth/") {
        match *request.method() {
            Method::GET => Counters::bump(&shared.counters.reads),
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE => {
                Counters::bump(&shared.counters.writes)
            }
            _ => {}
        }
    }
    if let Some((low, high)) = shared.config.latency_ms {
        let ms = rand::thread_rng().gen_range(low.min(high)..=high.max(low));
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut stated = None;
    if let Some(bucket) = &shared.bucket {
        let mut bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
        let taken = bucket.take();
        if shared.quirks.rate_limit_headers {
            stated = Some(bucket.headers());
        }
        drop(bucket);
        if let Err(wait) = taken {
            Counters::bump(&shared.counters.rate_limited);
            let mut response = ApiError::too_many_requests(wait).into_response();
            state_limit(&mut response, stated);
            return response;
        }
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let mut response = next.run(request).await;
    state_limit(&mut response, stated);
    // Path only: query strings may carry a client secret (grant-token-url).
    tracing::debug!("sandbox: {method} {path} → {}", response.status().as_u16());
    response
}

/// With the `rate-limit-headers` quirk: the bucket's `RateLimit-*` headers on the answer.
fn state_limit(response: &mut Response, stated: Option<[(&'static str, String); 4]>) {
    for (name, value) in stated.into_iter().flatten() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// The whole application.
pub fn build(shared: Arc<Shared>) -> Router {
    let s = || shared.clone();
    let api = Router::new()
        .route(
            "/nxsys/candidates",
            get(candidates::list_uk).post(candidates::create_uk),
        )
        .route(
            "/nxsys/candidates/ireland",
            get(candidates::list_ie).post(candidates::create_ie),
        )
        .route(
            "/nxsys/candidates/ireland/{id}",
            get(candidates::get_ie).put(candidates::update_ie),
        )
        .route(
            "/nxsys/candidates/{id}",
            get(candidates::get_uk).put(candidates::update_uk),
        )
        .route("/nxsys/vat-code", get(vat_codes::list))
        .route(
            "/nxsys/payment-rate",
            get(payment_rates::list).post(payment_rates::create),
        )
        .route(
            "/nxsys/payment-rate/{id}",
            get(payment_rates::get).put(payment_rates::update),
        )
        .route(
            "/nxsys/time-sheets",
            get(timesheets::list).post(timesheets::create),
        )
        .route(
            "/nxsys/time-sheets/{id}",
            get(timesheets::get).put(timesheets::update),
        )
        .route("/nxsys/payslips", get(payslips::list))
        .layer(from_fn_with_state(s(), errors::validation_500))
        .layer(from_fn_with_state(s(), faults::drop_after_commit))
        .layer(from_fn_with_state(s(), auth::require))
        .layer(from_fn_with_state(s(), faults::inject));
    let nxsys = Router::new()
        .route("/nxsys/oauth/grant-token-url", get(oauth::grant_token_url))
        .route("/nxsys/oauth/token", post(oauth::token))
        .merge(api)
        .layer(from_fn_with_state(s(), gate));
    let admin = Router::new()
        .route("/_sandbox/stats", get(admin::stats))
        .route("/_sandbox/reset", post(admin::reset))
        .route("/_sandbox/tokens/expire", post(admin::expire_tokens))
        .route(
            "/_sandbox/faults",
            get(admin::get_faults).post(admin::set_faults),
        );
    Router::new()
        .merge(nxsys)
        .route("/oauth/authorize", get(oauth::authorize_page))
        .route("/oauth/authorize/approve", post(oauth::approve))
        .merge(admin)
        .fallback(errors::unknown_path)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(from_fn_with_state(s(), errors::shape))
        .with_state(shared)
}
