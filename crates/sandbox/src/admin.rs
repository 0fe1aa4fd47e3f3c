//! Admin endpoints outside the Nxsys API (never counted, rate-limited or faulted):
//! `GET /_sandbox/stats`, `POST /_sandbox/reset`, `GET|POST /_sandbox/faults`.

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

fn faults_json(f: &Faults) -> Value {
    json!({"status500": f.status500, "status429": f.status429, "drop_after_commit": f.drop_after_commit})
}

/// `GET /_sandbox/faults`.
pub async fn get_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(faults_json(&shared.faults()))
}

/// `POST /_sandbox/faults` with `{"status500":0.1,"status429":0,"drop_after_commit":1}` (missing
/// keys are 0) or `{"spec":"status500=0.1"}`; answers the faults now in force.
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
                        "{key} is not a fault; use status500, status429 or drop_after_commit"
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
