//! Query strings, `page`/`size`, and the list shapes: `{items|data: […], meta:{totalDocs, page,
//! size, totalPages}, totalDocs}` (the reference's simulator advice), or `meta` only with the
//! `meta-pagination` quirk.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::errors::ApiError;

/// Most items one page may hold.
pub const MAX_SIZE: usize = 100;
const DEFAULT_SIZE: usize = 20;

/// A parsed query string (the last value of a repeated name wins).
#[derive(Debug, Default)]
pub struct Query(HashMap<String, String>);

impl Query {
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
    pub fn select<'a, T: 'a>(
        &self,
        items: impl Iterator<Item = &'a T>,
        keep: impl Fn(&T) -> bool,
        render: impl Fn(&T) -> Value,
    ) -> (Vec<Value>, usize) {
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

    /// The list body under `key` (`items` or `data`).
    pub fn body(&self, key: &str, items: Vec<Value>, total: usize, meta_only: bool) -> Value {
        let meta = json!({
            "totalDocs": total,
            "page": self.page,
            "size": self.size,
            "totalPages": total.div_ceil(self.size),
        });
        if meta_only {
            json!({ key: items, "meta": meta })
        } else {
            json!({ key: items, "meta": meta, "totalDocs": total })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn select_counts_all_and_returns_one_page() {
        let items: Vec<u32> = (1..=25).collect();
        let page = Page { page: 2, size: 10 };
        let (out, total) = page.select(items.iter(), |n| n % 2 == 1, |n| json!(n));
        assert_eq!(total, 13);
        assert_eq!(out, vec![json!(21), json!(23), json!(25)]);
        let body = page.body("items", out, total, false);
        assert_eq!(body["meta"]["totalPages"], 2);
        assert_eq!(body["totalDocs"], 13);
    }
}
