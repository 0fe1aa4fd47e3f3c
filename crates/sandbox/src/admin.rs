//! Admin endpoints outside the Nxsys API (never counted, rate-limited or faulted):
//! `GET /_sandbox/stats`, `POST /_sandbox/reset`, `GET|POST /_sandbox/faults`,
//! `POST /_sandbox/tokens/expire`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Faults;
use super::errors::ApiError;
use super::state::{Shared, Stats};
use super::validate::parse_object;

/// `GET /_sandbox/stats`.
pub async fn stats(State(shared): State<Arc<Shared>>) -> Json<Stats> {
    Json(shared.stats())
}

/// `POST /_sandbox/reset` → 204; records and counters back to the seeded state.
pub async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

/// `POST /_sandbox/tokens/expire` → `{"expired": n}`: every access token issued so far is
/// expired (as if its lifetime had passed; n were still live). Refresh tokens keep working.
pub async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "expired": shared.tokens().expire_access() }))
}

fn faults_json(f: &Faults) -> Value {
    json!({
        "status500": f.status500,
        "status429": f.status429,
        "drop_after_commit": f.drop_after_commit,
        "poison": f.poison,
    })
}

/// `GET /_sandbox/faults`.
pub async fn get_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(faults_json(&shared.faults()))
}

/// `POST /_sandbox/faults` with `{"status500":0.1,"status429":0,"drop_after_commit":1,
/// "poison":["AR-0042"]}` (missing keys are 0 or no poison; `poison` may also be one string) or
/// `{"spec":"status500=0.1,poison=AR-0042"}`; answers the faults now in force.
pub async fn set_faults(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let map = parse_object(&body)?;
    let faults = if let Some(spec) = map.get("spec") {
        let spec = spec
            .as_str()
            .ok_or_else(|| ApiError::invalid_request("spec must be a string").field("spec"))?;
        Faults::parse(spec).map_err(|e| ApiError::invalid_request(e.to_string()).field("spec"))?
    } else {
        let mut faults = Faults::default();
        for (key, value) in &map {
            if key == "poison" {
                faults.poison = poison_texts(value)?;
                continue;
            }
            let p = value
                .as_f64()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| {
                    ApiError::invalid_request(format!("{key} must be a probability from 0 to 1"))
                        .field(key.clone())
                })?;
            match key.as_str() {
                "status500" => faults.status500 = p,
                "status429" => faults.status429 = p,
                "drop_after_commit" => faults.drop_after_commit = p,
                _ => {
                    return Err(ApiError::invalid_request(format!(
                        "{key} is not a fault; use status500, status429, drop_after_commit or poison"
                    ))
                    .field(key.clone()));
                }
            }
        }
        faults
    };
    shared.set_faults(faults.clone());
    Ok(Json(faults_json(&faults)))
}

/// `poison` in the JSON form: one non-empty string or an array of them.
fn poison_texts(value: &Value) -> Result<Vec<String>, ApiError> {
    let bad = || {
        ApiError::invalid_request("poison must be a text or an array of non-empty texts")
            .field("poison")
    };
    let texts = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()?,
        Value::Null => Vec::new(),
        _ => return Err(bad()),
    };
    if texts.iter().any(String::is_empty) {
        return Err(bad());
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::super::router;
    use super::super::state::Shared;

    async fn send(shared: &Arc<Shared>, request: Request<Body>) -> (StatusCode, Value) {
        let response = router::build(shared.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, body)
    }

    async fn vat_codes(shared: &Arc<Shared>, token: &str) -> (StatusCode, Value) {
        let request = Request::get("/nxsys/vat-code")
            .header("Authorization", format!("Nxsys-oauthtoken {token}"))
            .body(Body::empty())
            .unwrap();
        send(shared, request).await
    }

    async fn expire(shared: &Arc<Shared>) -> (StatusCode, Value) {
        let request = Request::post("/_sandbox/tokens/expire")
            .body(Body::empty())
            .unwrap();
        send(shared, request).await
    }

    #[tokio::test]
    async fn expired_on_request_is_refused_like_expired_by_time_and_new_tokens_work() {
        let shared = Arc::new(Shared::new(Default::default(), "http://127.0.0.1:1".into()));
        let ttl = shared.config.token_ttl;
        let (lapsed, live) = {
            let mut tokens = shared.tokens();
            (
                tokens.issue_access(Duration::ZERO),
                tokens.issue_access(ttl),
            )
        };
        let (status, naturally) = vat_codes(&shared, &lapsed).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(naturally["error"]["code"], "invalid_credentials");
        assert_eq!(vat_codes(&shared, &live).await.0, StatusCode::OK);

        // Only the one live token was still live; the call is not an API request.
        assert_eq!(
            expire(&shared).await,
            (StatusCode::OK, json!({"expired": 1}))
        );
        assert_eq!(
            vat_codes(&shared, &live).await,
            (StatusCode::UNAUTHORIZED, naturally)
        );
        assert_eq!(expire(&shared).await.1, json!({"expired": 0}));

        let fresh = shared.tokens().issue_access(ttl);
        assert_eq!(vat_codes(&shared, &fresh).await.0, StatusCode::OK);
        let stats = shared.stats();
        assert_eq!((stats.requests, stats.unauthorized), (4, 2));
    }
}
