//! Query strings, `page`/`size`, and the list shapes: `{items|data: […], meta:{totalDocs, page,
//! size, totalPages}, totalDocs}` (the reference's simulator advice), or `meta` only with the
//! `meta-pagination` quirk. Also the `filters-ignored` and `filters-rejected` quirks: which query
//! parameters each list's published page shows.

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::Quirks;
use super::errors::ApiError;

/// Most items one page may hold.
pub const MAX_SIZE: usize = 100;
const DEFAULT_SIZE: usize = 20;

/// A parsed query string (the last value of a repeated name wins).
#[derive(Debug, Default)]
pub struct Query(HashMap<String, String>);

/// The list endpoints, by the query parameters their published pages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/nxsys/candidates` and `/nxsys/candidates/ireland`.
    Candidates,
    VatCodes,
    PaymentRates,
    Timesheets,
    Payslips,
}

impl Endpoint {
    /// The parameters the published pages show (besides `page` and `size`, shown everywhere).
    /// Candidates, VAT codes and payslips show none: their filter names are not visible.
    pub fn published(self) -> &'static [&'static str] {
        match self {
            Endpoint::Candidates | Endpoint::VatCodes | Endpoint::Payslips => &[],
            Endpoint::PaymentRates => &[
                "sortType",
                "sortField",
                "raiseInvoice",
                "isStatutory",
                "ignoreCodes",
                "code",
            ],
            // "bactch" as published.
            Endpoint::Timesheets => &[
                "search",
                "payFrequency",
                "paymentModel",
                "bactchFrom",
                "bactchTo",
                "sortType",
            ],
        }
    }
}

impl Query {
    /// The query of a list request, after the filter quirks: `filters-rejected` refuses (400
    /// naming it) the first parameter the endpoint's published page does not show;
    /// `filters-ignored` then drops everything but `page` and `size`.
    pub fn list(raw: Option<&str>, endpoint: Endpoint, quirks: &Quirks) -> Result<Query, ApiError> {
        if quirks.filters_rejected {
            let published = endpoint.published();
            let unknown = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(name, _)| name)
                .find(|name| {
                    !matches!(name.as_ref(), "page" | "size") && !published.contains(&name.as_ref())
                });
            if let Some(name) = unknown {
                return Err(ApiError::invalid_parameter(
                    &name,
                    format!("property {name} should not exist"),
                ));
            }
        }
        let mut query = Query::parse(raw);
        if quirks.filters_ignored {
            query
                .0
                .retain(|name, _| matches!(name.as_str(), "page" | "size"));
        }
        Ok(query)
    }

    pub fn parse(raw: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// A non-empty filter value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A whole-number filter, or 400 naming the parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|s| {
                s.parse::<i64>().map_err(|_| {
                    ApiError::invalid_parameter(
                        name,
                        format!("{name} must be a whole number; got {s:?}"),
                    )
                })
            })
            .transpose()
    }

    /// `page` (≥ 1, default 1) and `size` (1–100, default 20).
    pub fn page(&self) -> Result<Page, ApiError> {
        let page = match self.get("page") {
            None => 1,
            Some(s) => match s.parse::<usize>() {
                Ok(p) if p >= 1 => p,
                _ => {
                    return Err(ApiError::invalid_parameter(
                        "page",
                        format!("page must be a whole number of at least 1; got {s:?}"),
                    ));
                }
            },
        };
        let size = match self.get("size") {
            None => DEFAULT_SIZE,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_SIZE).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid_parameter(
                        "size",
                        format!("size must be a whole number from 1 to {MAX_SIZE}; got {s:?}"),
                    ));
                }
            },
        };
        Ok(Page { page, size })
    }
}

/// One requested page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: usize,
    pub size: usize,
}

impl Page {
    pub fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.size)
    }

    /// Pick this page from the items passing `keep`, serialising only those; returns the page
    /// and the total count of matching items.
    pub fn select<'a, T: 'a, R>(
        &self,
        items: impl Iterator<Item = &'a T>,
        keep: impl Fn(&T) -> bool,
        render: impl Fn(&'a T) -> R,
    ) -> (Vec<R>, usize) {
        let mut total = 0;
        let mut out = Vec::new();
        let offset = self.offset();
        for item in items.filter(|i| keep(i)) {
            if total >= offset && out.len() < self.size {
                out.push(render(item));
            }
            total += 1;
        }
        (out, total)
    }

    /// A list handler's answer: what [`Page::select`] found, under `key` (`items` or `data`),
    /// with the pagination metadata where `meta_only` (the quirk) puts it.
    pub fn answer<R: Serialize>(
        &self,
        key: &'static str,
        (items, total): (Vec<R>, usize),
        meta_only: bool,
    ) -> axum::Json<ListBody<R>> {
        axum::Json(self.body(key, items, total, meta_only))
    }

    /// The list body under `key` (`items` or `data`).
    pub fn body<R: Serialize>(
        &self,
        key: &'static str,
        items: Vec<R>,
        total: usize,
        meta_only: bool,
    ) -> ListBody<R> {
        ListBody {
            key,
            items,
            meta: Meta {
                total_docs: total,
                page: self.page,
                size: self.size,
                total_pages: total.div_ceil(self.size),
            },
            meta_only,
        }
    }
}

/// A list answer whose items are already JSON text (same shape as [`ListBody`]).
pub fn raw_list_response(
    page: &Page,
    key: &str,
    items: &[String],
    total: usize,
    meta_only: bool,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = page.body("", Vec::<()>::new(), total, meta_only);
    let meta = serde_json::to_string(&body.meta).unwrap_or_else(|_| "{}".into());
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 200);
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\":[");
    out.push_str(&items.join(","));
    out.push_str("],\"meta\":");
    out.push_str(&meta);
    if !meta_only {
        out.push_str(",\"totalDocs\":");
        out.push_str(&total.to_string());
    }
    out.push('}');
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        out,
    )
        .into_response()
}

/// The counters of a list answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub total_docs: usize,
    pub page: usize,
    pub size: usize,
    pub total_pages: usize,
}

/// `{<key>: […], meta: {…}, totalDocs}`, serialised straight from the page's items.
#[derive(Debug)]
pub struct ListBody<R> {
    key: &'static str,
    items: Vec<R>,
    meta: Meta,
    meta_only: bool,
}

impl<R: Serialize> Serialize for ListBody<R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("meta", &self.meta)?;
        if !self.meta_only {
            map.serialize_entry("totalDocs", &self.meta.total_docs)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn page_and_size_edges() {
        let q = |s: &str| Query::parse(Some(s)).page();
        assert_eq!(q("").unwrap().size, 20);
        assert_eq!(q("page=3&size=100").unwrap().offset(), 200);
        assert_eq!(q("size=101").unwrap_err().details["field"], "size");
        assert_eq!(q("page=0").unwrap_err().details["field"], "page");
        assert_eq!(q("page=-1").unwrap_err().status.as_u16(), 400);
        assert!(q("size=0").is_err());
    }

    #[test]
    fn filter_quirks_reject_unpublished_and_ignore_the_rest() {
        let raw = Some("page=2&size=5&code=PR100&agencyRef=X");
        let q = Query::list(raw, Endpoint::PaymentRates, &Quirks::default()).unwrap();
        assert_eq!(
            (q.get("code"), q.get("agencyRef")),
            (Some("PR100"), Some("X"))
        );
        let rejected = Quirks {
            filters_rejected: true,
            ..Quirks::default()
        };
        let e = Query::list(raw, Endpoint::PaymentRates, &rejected).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "invalid_parameter"));
        assert_eq!(e.details["field"], "agencyRef");
        assert_eq!(e.message, "property agencyRef should not exist");
        let q = Query::list(Some("code=PR100&size=5"), Endpoint::PaymentRates, &rejected).unwrap();
        assert_eq!(q.get("code"), Some("PR100"));
        let e = Query::list(Some("search=x"), Endpoint::Candidates, &rejected).unwrap_err();
        assert_eq!(e.details["field"], "search");
        assert!(
            Query::list(
                Some("bactchFrom=1&search=a"),
                Endpoint::Timesheets,
                &rejected
            )
            .is_ok()
        );
        let ignored = Quirks {
            filters_ignored: true,
            ..Quirks::default()
        };
        let q = Query::list(raw, Endpoint::PaymentRates, &ignored).unwrap();
        assert_eq!((q.get("code"), q.get("agencyRef")), (None, None));
        assert_eq!(q.page().unwrap().offset(), 5);
    }

    #[test]
    fn select_counts_all_and_returns_one_page() {
        let items: Vec<u32> = (1..=25).collect();
        let page = Page { page: 2, size: 10 };
        let (out, total) = page.select(items.iter(), |n| n % 2 == 1, |n| json!(n));
        assert_eq!(total, 13);
        assert_eq!(out, vec![json!(21), json!(23), json!(25)]);
        let body = serde_json::to_value(page.body("items", out, total, false)).unwrap();
        assert_eq!(body["meta"]["totalPages"], 2);
        assert_eq!(body["totalDocs"], 13);
    }
}
