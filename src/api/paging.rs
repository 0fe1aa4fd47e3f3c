//! Lists as async streams of items. The array is read from `data` or `items`, the total from
//! `meta.totalDocs`, `totalDocs`, `total` or `meta.total`. When the total is known the remaining
//! pages are fetched concurrently (in order); otherwise page by page until a page shorter than
//! the first one (servers may cap `size` below what is asked) or an empty one.

use futures::stream::{self, BoxStream, StreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use super::client::Client;
use super::error::ApiError;
use super::traits::{Filters, published};

/// Items asked for per page (the documented maximum).
pub(crate) const PAGE_SIZE: u64 = 100;

/// A filter value no record can have, for probing whether a filter narrows.
const PROBE_VALUE: &str = "__nxsys-etl-probe__";

/// One page as read.
#[derive(Debug)]
pub(crate) struct Page {
    /// Each item's JSON text as sent, decoded into its type one at a time: a page of 100
    /// timesheets held as `Value`s (a map per object) took about 2 MB, as text a tenth of that.
    pub items: Vec<Box<RawValue>>,
    pub total: Option<u64>,
}

/// Read a list answer tolerantly: the list from the top level, `data`, `items`, `data.items`
/// or `data.data`; the total from any spelling [`total_of`] knows.
pub(crate) fn parse_page(body: &[u8], context: &str) -> Result<Page, ApiError> {
    let not_json = |e: serde_json::Error| ApiError::Decode {
        context: context.to_string(),
        message: format!("not JSON ({e})"),
    };
    let whole: Box<RawValue> = serde_json::from_slice(body).map_err(not_json)?;
    if let Some(items) = array_of(&whole) {
        return Ok(Page { items, total: None });
    }
    let mut outer = object_of(&whole).ok_or_else(|| no_list(context))?;
    let list = outer
        .remove("data")
        .or_else(|| outer.remove("items"))
        .ok_or_else(|| no_list(context))?;
    // What is left beside the list is small (`meta`, `totalDocs`…): read as values for the total.
    let mut rest = small_values(outer);
    let items = match array_of(&list) {
        Some(items) => items,
        None => {
            let mut inner = object_of(&list).ok_or_else(|| no_list(context))?;
            let inner_list = inner
                .remove("items")
                .or_else(|| inner.remove("data"))
                .ok_or_else(|| no_list(context))?;
            rest.insert("data".into(), Value::Object(small_values(inner)));
            array_of(&inner_list).ok_or_else(|| no_list(context))?
        }
    };
    Ok(Page {
        items,
        total: total_of(&Value::Object(rest)),
    })
}

type RawObject = std::collections::HashMap<String, Box<RawValue>>;

fn array_of(raw: &RawValue) -> Option<Vec<Box<RawValue>>> {
    serde_json::from_str(raw.get()).ok()
}

fn object_of(raw: &RawValue) -> Option<RawObject> {
    serde_json::from_str(raw.get()).ok()
}

fn small_values(object: RawObject) -> serde_json::Map<String, Value> {
    object
        .into_iter()
        .filter_map(|(k, v)| Some((k, serde_json::from_str(v.get()).ok()?)))
        .collect()
}

/// The total a list answer gives, wherever the server puts it (`meta.totalDocs`, `totalDocs`,
/// `total`, …).
pub(crate) fn total_of(value: &Value) -> Option<u64> {
    [
        "/meta/totalDocs",
        "/totalDocs",
        "/total",
        "/meta/total",
        "/data/totalDocs",
    ]
    .iter()
    .find_map(|p| value.pointer(p).and_then(as_count))
}

/// A count as a number or a numeric string.
pub(crate) fn as_count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn no_list(context: &str) -> ApiError {
    ApiError::Decode {
        context: context.to_string(),
        message: "no list under `data` or `items`".into(),
    }
}

fn decode_items<T: DeserializeOwned>(page: Page, context: &str) -> Vec<Result<T, ApiError>> {
    page.items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_str(v.get()).map_err(|e| ApiError::Decode {
                context: format!("{context}, item {}", i + 1),
                message: e.to_string(),
            })
        })
        .collect()
}

type Query = Vec<(&'static str, String)>;

enum Phase {
    First(Query),
    Known(BoxStream<'static, Result<Page, ApiError>>),
    Sequential {
        page: u64,
        previous_first: Option<Box<RawValue>>,
        per_page: usize,
        query: Query,
    },
    Done,
}

/// The parameters of `query` the published pages do not show for `endpoint`.
fn unpublished(endpoint: &str, query: &Query) -> Vec<&'static str> {
    let published = published(endpoint);
    query
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !published.contains(k))
        .collect()
}

/// `query` without what the published pages do not show for `endpoint`.
fn published_only(endpoint: &str, query: Query) -> Query {
    let published = published(endpoint);
    query
        .into_iter()
        .filter(|(k, _)| published.contains(k))
        .collect()
}

impl Client {
    async fn fetch_page(
        &self,
        segments: &[&str],
        query: &[(&'static str, String)],
        page: u64,
    ) -> Result<Page, ApiError> {
        self.fetch_page_sized(segments, query, page, PAGE_SIZE)
            .await
    }

    async fn fetch_page_sized(
        &self,
        segments: &[&str],
        query: &[(&'static str, String)],
        page: u64,
        size: u64,
    ) -> Result<Page, ApiError> {
        let mut url = self.url(segments)?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
            q.append_pair("page", &page.to_string());
            q.append_pair("size", &size.to_string());
        }
        let context = format!("GET {} page {page}", url.path());
        let answer = self.execute(Method::GET, url, None).await?;
        parse_page(&answer.body, &context)
    }

    /// What follows the first page: the rest fetched concurrently when the total is known,
    /// else page by page.
    /// The first page. A server that refuses an unpublished filter (400/422) is asked again
    /// without them, and remembered to refuse them: the caller re-checks every item anyway.
    async fn first_page(
        &self,
        segments: &'static [&'static str],
        query: Query,
    ) -> (Result<Page, ApiError>, Query) {
        let endpoint = segments.join("/");
        let refused = match self.fetch_page(segments, &query, 1).await {
            Err(e @ ApiError::Rejected { status, .. })
                if matches!(status, 400 | 422 | 500)
                    && !unpublished(&endpoint, &query).is_empty() =>
            {
                e
            }
            other => return (other, query),
        };
        tracing::info!(
            endpoint,
            refused = %refused,
            "the server refuses unpublished list filters; listing without them"
        );
        self.learn_filters(&endpoint, Filters::Rejected);
        let query = published_only(&endpoint, query);
        (self.fetch_page(segments, &query, 1).await, query)
    }

    /// How `segments` treats the filter `param`, found with at most two one-item reads and
    /// remembered: a value that cannot match answering nothing (while the list holds
    /// something) means honoured, answering items means ignored, a 400/422 means refused.
    /// An empty list tells nothing: `Unknown`.
    pub async fn probe_filter(
        &self,
        segments: &'static [&'static str],
        param: &'static str,
    ) -> Result<Filters, ApiError> {
        let endpoint = segments.join("/");
        let known = self.traits().filters(&endpoint);
        let probed = !self
            .inner
            .probed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(endpoint.clone());
        if known != Filters::Unknown || probed {
            return Ok(known);
        }
        let probe = vec![(param, PROBE_VALUE.to_string())];
        let found = match self.fetch_page_sized(segments, &probe, 1, 1).await {
            Err(ApiError::Rejected {
                status: 400 | 422 | 500,
                ..
            }) => Filters::Rejected,
            Err(e) => return Err(e),
            Ok(page) if !page.items.is_empty() => Filters::Ignored,
            Ok(_) => {
                let all = self.fetch_page_sized(segments, &Vec::new(), 1, 1).await?;
                if all.items.is_empty() {
                    Filters::Unknown
                } else {
                    Filters::Honoured
                }
            }
        };
        tracing::info!(
            endpoint,
            param,
            ?found,
            "probed how the server treats list filters"
        );
        self.learn_filters(&endpoint, found);
        Ok(found)
    }

    fn after_first(
        &self,
        segments: &'static [&'static str],
        query: &[(&'static str, String)],
        first: &Page,
    ) -> Phase {
        let got = first.items.len() as u64;
        let Some(total) = first.total else {
            // No total: the first page's length is the server's page size (it may cap ours);
            // read on until a shorter page.
            return if got == 0 {
                Phase::Done
            } else {
                Phase::Sequential {
                    page: 2,
                    previous_first: first.items.first().cloned(),
                    per_page: first.items.len(),
                    query: query.to_vec(),
                }
            };
        };
        // A server that caps `size` lower answers short pages: count pages in its size.
        let per_page = if got > 0 && got < PAGE_SIZE && got < total {
            got
        } else {
            PAGE_SIZE
        };
        let pages = total.div_ceil(per_page);
        if got == 0 || pages < 2 {
            return Phase::Done;
        }
        let client = self.clone();
        let query = query.to_vec();
        let rest = stream::iter(2..=pages)
            .map(move |n| {
                let client = client.clone();
                let query = query.clone();
                async move { client.fetch_page(segments, &query, n).await }
            })
            .buffered(self.concurrency())
            .boxed();
        Phase::Known(rest)
    }

    /// Every item of a list endpoint, as a stream. An item that cannot be read is an `Err` in
    /// its place; a failed page ends the stream with its error.
    pub(crate) fn paged<T: DeserializeOwned + Send + 'static>(
        &self,
        segments: &'static [&'static str],
        query: Vec<(&'static str, String)>,
    ) -> BoxStream<'static, Result<T, ApiError>> {
        let client = self.clone();
        let endpoint = segments.join("/");
        let context = format!("GET /nxsys/{endpoint}");
        // Known to refuse unpublished filters: do not send them.
        let query = if self.traits().filters(&endpoint) == Filters::Rejected {
            published_only(&endpoint, query)
        } else {
            query
        };
        stream::unfold(Phase::First(query), move |phase| {
            let client = client.clone();
            let context = context.clone();
            async move {
                match phase {
                    Phase::Done => None,
                    Phase::First(query) => match client.first_page(segments, query).await {
                        (Err(e), _) => Some((vec![Err(e)], Phase::Done)),
                        (Ok(page), query) => {
                            let next = client.after_first(segments, &query, &page);
                            Some((decode_items(page, &context), next))
                        }
                    },
                    Phase::Known(mut rest) => match rest.next().await {
                        None => None,
                        Some(Err(e)) => Some((vec![Err(e)], Phase::Done)),
                        Some(Ok(page)) => Some((decode_items(page, &context), Phase::Known(rest))),
                    },
                    Phase::Sequential {
                        page: n,
                        previous_first,
                        per_page,
                        query,
                    } => match client.fetch_page(segments, &query, n).await {
                        Err(e) => Some((vec![Err(e)], Phase::Done)),
                        Ok(page) if page.items.is_empty() => None,
                        Ok(page)
                            if page.items.first().map(|r| r.get())
                                == previous_first.as_deref().map(RawValue::get) =>
                        {
                            if (per_page as u64) < PAGE_SIZE {
                                // A short list sent whole on every page: all read already.
                                None
                            } else {
                                let e = ApiError::Decode {
                                    context: format!("{context} page {n}"),
                                    message: "the server sent the same page again (it seems to ignore `page`)".into(),
                                };
                                Some((vec![Err(e)], Phase::Done))
                            }
                        }
                        Ok(page) => {
                            let next = if page.items.len() < per_page {
                                Phase::Done
                            } else {
                                Phase::Sequential {
                                    page: n + 1,
                                    previous_first: page.items.first().cloned(),
                                    per_page,
                                    query,
                                }
                            };
                            Some((decode_items(page, &context), next))
                        }
                    },
                }
            }
        })
        .flat_map(stream::iter)
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_data_items_and_every_total_spelling() {
        let p = parse_page(br#"{"data":[1,2],"meta":{"totalDocs":150,"page":1}}"#, "t").unwrap();
        assert_eq!((p.items.len(), p.total), (2, Some(150)));
        let p = parse_page(br#"{"items":[{"a":1}],"totalDocs":"7"}"#, "t").unwrap();
        assert_eq!((p.items.len(), p.total), (1, Some(7)));
        let p = parse_page(br#"{"items":[],"total":0}"#, "t").unwrap();
        assert_eq!(p.total, Some(0));
        let p = parse_page(br#"{"data":[1]}"#, "t").unwrap();
        assert_eq!(p.total, None);
        let p = parse_page(br#"[1,2,3]"#, "t").unwrap();
        assert_eq!(p.items.len(), 3);
        let p = parse_page(br#"{"data":{"items":[{"a":1}],"totalDocs":5}}"#, "t").unwrap();
        assert_eq!((p.items.len(), p.total), (1, Some(5)));
        assert_eq!(p.items[0].get(), r#"{"a":1}"#, "an item is kept as sent");
    }

    #[test]
    fn missing_list_is_a_decode_error() {
        let e = parse_page(br#"{"data":{"id":"x"}}"#, "GET /nxsys/payslips").unwrap_err();
        assert!(matches!(e, ApiError::Decode { .. }));
        assert!(e.to_string().contains("GET /nxsys/payslips"));
        assert!(parse_page(b"<html>", "t").is_err());
    }

    #[test]
    fn bad_items_are_errors_in_place() {
        #[derive(serde::Deserialize, Debug)]
        struct Id {
            #[allow(dead_code)]
            id: String,
        }
        let page = parse_page(br#"{"data":[{"id":"a"},{"nope":1},{"id":"c"}]}"#, "ctx").unwrap();
        let items = decode_items::<Id>(page, "ctx");
        assert!(items[0].is_ok() && items[2].is_ok());
        let err = items[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("item 2"), "{err}");
    }
}
