//! Candidates UK (`/nxsys/candidates`, §6) and Ireland (`/nxsys/candidates/ireland`, §7).
//!
//! UK create → 201 with no body; Ireland create → 201 `{data: candidate}`. Get returns the stored
//! body plus ids; PUT is a partial merge (nested objects key by key) answering `{data: candidate}`.
//! Both regions share the `SR-` sequence (a timesheet may name either).
//!
//! Quirks: `flat-get` (one flat object instead of the nested sections), `put-replaces` (PUT
//! replaces the body), `no-pps` (Ireland bodies may not carry a PPS number).

pub mod spec;

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::pagination::{Endpoint, ListBody, Query};
use super::state::Shared;
use super::validate::{Mode, check, merge, now_iso, parse_id, parse_object, str_at};

/// A stored candidate: the body as sent (merged by updates) plus what the server adds.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub n: u64,
    pub ireland: bool,
    pub body: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl Candidate {
    pub fn id(&self) -> String {
        format!("SR-{}", self.n)
    }

    fn general(&self, key: &str) -> Option<&str> {
        self.body
            .get("generalSetting")
            .and_then(Value::as_object)
            .and_then(|g| str_at(g, key))
    }

    pub fn agency_ref(&self) -> &str {
        self.general("agencyRef").unwrap_or("")
    }

    pub fn full_name(&self) -> String {
        format!(
            "{} {}",
            self.general("forename").unwrap_or(""),
            self.general("surname").unwrap_or("")
        )
        .trim()
        .to_string()
    }

    /// `generalSetting.payFrequency`, `WEEKLY` when not set.
    pub fn pay_frequency(&self) -> &str {
        self.general("payFrequency").unwrap_or("WEEKLY")
    }

    /// `payrollSetting.paymentModel`, `PAYEE` when not set.
    pub fn payment_model(&self) -> &str {
        self.body
            .get("payrollSetting")
            .and_then(Value::as_object)
            .and_then(|p| str_at(p, "paymentModel"))
            .unwrap_or("PAYEE")
    }

    fn national_id(&self) -> Option<&str> {
        self.general(if self.ireland {
            "PPSNumber"
        } else {
            "NINumber"
        })
    }

    /// The full object (get by id, update answers); with `flat` (the `flat-get` quirk) the
    /// fields of `generalSetting`, `payrollSetting`, `bankSetting` (in that order) sit at the top
    /// level, a name already there keeping its first value (so `country` is the address's).
    pub fn to_json(&self, flat: bool) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id()));
        out.insert("incrementId".into(), json!(self.n));
        out.insert("systemId".into(), json!(format!("ST-{}", self.n)));
        out.insert("status".into(), json!("ACTIVE"));
        if flat {
            const SECTIONS: [&str; 3] = ["generalSetting", "payrollSetting", "bankSetting"];
            let sections = SECTIONS.iter().filter_map(|k| self.body.get(*k));
            let rest = self
                .body
                .iter()
                .filter(|(k, _)| !SECTIONS.contains(&k.as_str()))
                .map(|(_, v)| v);
            for section in sections.chain(rest) {
                if let Value::Object(fields) = section {
                    for (k, v) in fields {
                        out.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            for (k, v) in &self.body {
                if !v.is_object() {
                    out.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        } else {
            for (k, v) in &self.body {
                out.insert(k.clone(), v.clone());
            }
        }
        out.insert("createdAt".into(), json!(self.created_at));
        out.insert("updatedAt".into(), json!(self.updated_at));
        out.insert("deletedAt".into(), Value::Null);
        Value::Object(out)
    }

    /// The list item (§6.3); with `no_pps` an Ireland item has no `PPSNumber` key.
    pub fn list_item(&self, no_pps: bool) -> Value {
        let id_key = if self.ireland {
            "PPSNumber"
        } else {
            "NINumber"
        };
        let mut item = json!({
            "id": self.id(),
            "incrementId": self.n,
            "systemId": format!("ST-{}", self.n),
            "forename": self.general("forename"),
            "surname": self.general("surname"),
            "fullName": self.full_name(),
            id_key: self.national_id(),
            "mobile": self.general("mobile"),
            "email": self.general("email"),
            "agencyRef": self.agency_ref(),
            "status": "ACTIVE",
            "registrationStatus": self.general("registrationStatus"),
            "payFrequency": self.general("payFrequency"),
            "paymentModel": self.payment_model(),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        });
        if no_pps
            && self.ireland
            && let Some(map) = item.as_object_mut()
        {
            map.shift_remove(id_key);
        }
        item
    }
}

/// With `no-pps`: the first key anywhere in an Ireland body named like a PPS number
/// (`PPSNumber`, `ppsn`, …), refused as an unknown field.
fn refuse_pps(map: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    for (key, value) in map {
        let field = super::validate::join(path, key);
        if key.to_ascii_lowercase().contains("pps") {
            return Err(
                ApiError::invalid_request(format!("property {field} should not exist"))
                    .field(field),
            );
        }
        if let Value::Object(inner) = value {
            refuse_pps(inner, &field)?;
        }
    }
    Ok(())
}

/// Body checks shared by create and update: `no-pps` first, then the field table.
fn check_body(
    shared: &Shared,
    map: &Map<String, Value>,
    ireland: bool,
    mode: Mode,
) -> Result<(), ApiError> {
    if ireland && shared.quirks.no_pps {
        refuse_pps(map, "")?;
    }
    check(map, "", body_spec(ireland), mode)
}

fn body_spec(ireland: bool) -> &'static super::validate::Spec {
    if ireland {
        &spec::IE_BODY
    } else {
        &spec::UK_BODY
    }
}

fn what(ireland: bool) -> &'static str {
    if ireland {
        "Ireland candidate"
    } else {
        "Candidate"
    }
}

async fn create(shared: Arc<Shared>, body: Bytes, ireland: bool) -> Result<Response, ApiError> {
    let map = parse_object(&body)?;
    check_body(&shared, &map, ireland, Mode::Create)?;
    let mut data = shared.data();
    let agency_ref = map
        .get("generalSetting")
        .and_then(Value::as_object)
        .and_then(|g| str_at(g, "agencyRef"))
        .unwrap_or("")
        .to_string();
    let duplicate = data
        .candidates
        .iter()
        .any(|c| c.ireland == ireland && c.agency_ref() == agency_ref);
    if duplicate {
        if shared.quirks.reject_duplicate_candidates {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "invalid_request",
                format!("A candidate with Agency Ref {agency_ref:?} already exists"),
            )
            .field("generalSetting.agencyRef"));
        }
        data.duplicate_candidates += 1;
    }
    data.next_candidate += 1;
    let now = now_iso();
    let candidate = Candidate {
        n: data.next_candidate,
        ireland,
        body: map,
        created_at: now.clone(),
        updated_at: now,
    };
    let answer = candidate.to_json(shared.quirks.flat_get);
    data.candidates.push(candidate);
    Ok(if ireland {
        (StatusCode::CREATED, Json(json!({ "data": answer }))).into_response()
    } else {
        StatusCode::CREATED.into_response()
    })
}

async fn list(
    shared: Arc<Shared>,
    raw: Option<String>,
    ireland: bool,
) -> Result<Json<ListBody<Value>>, ApiError> {
    let q = Query::list(raw.as_deref(), Endpoint::Candidates, &shared.quirks)?;
    let page = q.page()?;
    let agency_ref = q.get("agencyRef");
    let id_key = if ireland { "PPSNumber" } else { "NINumber" };
    let national = q.get(id_key).map(|s| s.replace(' ', "").to_uppercase());
    let search = q.get("search").map(str::to_lowercase);
    let data = shared.data();
    let found = page.select(
        data.candidates.iter(),
        |c| {
            c.ireland == ireland
                && agency_ref.is_none_or(|r| c.agency_ref() == r)
                && national
                    .as_deref()
                    .is_none_or(|n| c.national_id().is_some_and(|id| id.eq_ignore_ascii_case(n)))
                && search.as_deref().is_none_or(|s| {
                    c.full_name().to_lowercase().contains(s)
                        || c.agency_ref().to_lowercase().contains(s)
                        || c.general("email")
                            .is_some_and(|e| e.to_lowercase().contains(s))
                })
        },
        |c| c.list_item(shared.quirks.no_pps),
    );
    Ok(page.answer("items", found, shared.quirks.meta_pagination))
}

async fn get(shared: Arc<Shared>, id: String, ireland: bool) -> Result<Json<Value>, ApiError> {
    let n = parse_id(&id, "SR-")?;
    let data = shared.data();
    let candidate = data
        .candidate(n)
        .filter(|c| c.ireland == ireland)
        .ok_or_else(|| ApiError::not_found(what(ireland), &id))?;
    Ok(Json(
        json!({ "data": candidate.to_json(shared.quirks.flat_get) }),
    ))
}

async fn update(
    shared: Arc<Shared>,
    id: String,
    body: Bytes,
    ireland: bool,
) -> Result<Json<Value>, ApiError> {
    let n = parse_id(&id, "SR-")?;
    let patch = parse_object(&body)?;
    let replace = shared.quirks.put_replaces;
    // A replacing PUT must be a whole body: required fields as for create.
    let mode = if replace { Mode::Create } else { Mode::Update };
    check_body(&shared, &patch, ireland, mode)?;
    let mut data = shared.data();
    let candidate = data
        .candidate_mut(n)
        .filter(|c| c.ireland == ireland)
        .ok_or_else(|| ApiError::not_found(what(ireland), &id))?;
    if replace {
        candidate.body = patch;
    } else {
        merge(&mut candidate.body, patch);
    }
    candidate.updated_at = now_iso();
    Ok(Json(
        json!({ "data": candidate.to_json(shared.quirks.flat_get) }),
    ))
}

/// `POST /nxsys/candidates` → 201, no body.
pub async fn create_uk(State(s): State<Arc<Shared>>, body: Bytes) -> Result<Response, ApiError> {
    create(s, body, false).await
}

/// `POST /nxsys/candidates/ireland` → 201 `{data}`.
pub async fn create_ie(State(s): State<Arc<Shared>>, body: Bytes) -> Result<Response, ApiError> {
    create(s, body, true).await
}

/// `GET /nxsys/candidates?page&size&agencyRef&NINumber&search` → `{items, meta, totalDocs}`.
pub async fn list_uk(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<ListBody<Value>>, ApiError> {
    list(s, q, false).await
}

/// `GET /nxsys/candidates/ireland?page&size&agencyRef&PPSNumber&search`.
pub async fn list_ie(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<ListBody<Value>>, ApiError> {
    list(s, q, true).await
}

/// `GET /nxsys/candidates/{id}`.
pub async fn get_uk(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    get(s, id, false).await
}

/// `GET /nxsys/candidates/ireland/{id}`.
pub async fn get_ie(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    get(s, id, true).await
}

/// `PUT /nxsys/candidates/{id}` (partial merge; `put-replaces`: replace).
pub async fn update_uk(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    update(s, id, body, false).await
}

/// `PUT /nxsys/candidates/ireland/{id}` (partial merge; `put-replaces`: replace).
pub async fn update_ie(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    update(s, id, body, true).await
}
