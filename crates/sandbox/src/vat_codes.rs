//! VAT codes (§8): read-only, seeded. `GET /nxsys/vat-code` → `{data:[…]}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::pagination::{Endpoint, ListBody, Query};
use super::state::Shared;

/// The owning company of every seeded record.
pub const COMPANY_ID: &str = "45c66746-1224-4dc9-aa70-9935dff52d60";
const SEEDED_AT: &str = "2021-05-19T04:00:21.250Z";

/// One VAT code.
#[derive(Debug, Clone)]
pub struct VatCode {
    pub n: u64,
    pub description: &'static str,
    /// Percentage, e.g. 20.
    pub rate: Decimal,
    pub code: &'static str,
}

impl VatCode {
    pub fn id(&self) -> String {
        format!("VC-{}", self.n)
    }

    /// The object as served; `embedded` copies (inside payment rates) omit `companyParentId`.
    pub fn to_json(&self, embedded: bool) -> Value {
        let mut v = json!({
            "id": self.id(),
            "incrementId": self.n,
            "description": self.description,
            "VATRate": format!("{}%", self.rate),
            "VATCode": self.code,
            "author": null,
            "companyParentId": COMPANY_ID,
            "createdAt": SEEDED_AT,
            "updatedAt": SEEDED_AT,
            "deletedAt": null,
        });
        if embedded && let Some(map) = v.as_object_mut() {
            map.shift_remove("companyParentId");
        }
        v
    }
}

/// Standard 20 % `S`, Reduced 5 % `R`, Zero `Z`, Exempt `E`.
pub fn seeded() -> Vec<VatCode> {
    let code = |n, description, rate: i64, code| VatCode {
        n,
        description,
        rate: Decimal::from(rate),
        code,
    };
    vec![
        code(1, "Standard", 20, "S"),
        code(2, "Reduced", 5, "R"),
        code(3, "Zero", 0, "Z"),
        code(4, "Exempt", 0, "E"),
    ]
}

/// `GET /nxsys/vat-code` (filters: `VATCode`, `search` in the description).
pub async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListBody<Value>>, ApiError> {
    let q = Query::list(raw.as_deref(), Endpoint::VatCodes, &shared.quirks)?;
    let page = q.page()?;
    let letter = q.get("VATCode");
    let search = q.get("search").map(str::to_lowercase);
    let data = shared.data();
    let found = page.select(
        data.vat_codes.iter(),
        |v| {
            letter.is_none_or(|l| v.code.eq_ignore_ascii_case(l))
                && search
                    .as_deref()
                    .is_none_or(|s| v.description.to_lowercase().contains(s))
        },
        |v| v.to_json(false),
    );
    Ok(page.answer("data", found, shared.quirks.meta_pagination))
}
