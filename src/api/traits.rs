//! What a server does where the reference is silent or may be wrong, as learnt from its
//! answers ([`ServerTraits`]). The client starts from what an earlier run learnt of the same base
//! URL (kept in the journal), or from what `doctor --save` found, and keeps learning from every
//! answer: nothing here is ever trusted over what the server actually returns.
//!
//! Each trait that differs from the sandbox's default behaviour is named by the sandbox quirk
//! that imitates it ([`ServerTraits::variants`]), so `doctor --json` and the tests speak of the
//! same things.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The list endpoints, by path below `/nxsys`.
pub const LIST_ENDPOINTS: [&str; 6] = [
    "candidates",
    "candidates/ireland",
    "payment-rate",
    "time-sheets",
    "vat-code",
    "payslips",
];

/// The query parameters the published pages show for a list endpoint (besides `page` and
/// `size`). A server may refuse any other ([`Filters::Rejected`]).
pub fn published(endpoint: &str) -> &'static [&'static str] {
    match endpoint {
        "payment-rate" => &[
            "sortType",
            "sortField",
            "raiseInvoice",
            "isStatutory",
            "ignoreCodes",
            "code",
        ],
        // "bactch" as published.
        "time-sheets" => &[
            "search",
            "payFrequency",
            "paymentModel",
            "bactchFrom",
            "bactchTo",
            "sortType",
        ],
        "payslips" => &[
            "taxYear",
            "taxPeriod",
            "payFrequency",
            "paymentModel",
            "candidateIds",
        ],
        _ => &[],
    }
}

/// How a list endpoint treats query parameters other than `page` and `size`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filters {
    /// Not seen yet.
    #[default]
    Unknown,
    /// A filter narrows the list as asked.
    Honoured,
    /// Filters are accepted and ignored: every look-up returns the whole collection.
    Ignored,
    /// A parameter the published pages do not show is refused (HTTP 400).
    Rejected,
}

/// How the server wants money and units in request bodies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Numbers {
    /// Not seen yet: decimal strings are sent (the create example), numbers after a refusal.
    #[default]
    Unknown,
    /// Both are accepted.
    Either,
    /// Only JSON numbers.
    NumbersOnly,
    /// Only decimal strings.
    StringsOnly,
}

/// The shape of `GET /candidates/{id}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    #[default]
    Unknown,
    /// As the create body: `generalSetting`, `payrollSetting`, … objects.
    Nested,
    /// Every field at the top level.
    Flat,
}

/// What a PUT does to fields its body leaves out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Put {
    #[default]
    Unknown,
    /// Fields left out keep their values.
    Merges,
    /// Fields left out are cleared: the client sends the whole resource.
    Replaces,
}

/// Everything learnt of one server. `None` / `Unknown` = not seen yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct ServerTraits {
    /// Per list endpoint (a name of [`LIST_ENDPOINTS`]).
    pub filters: BTreeMap<String, Filters>,
    pub numbers: Numbers,
    /// Whether a timesheet answer echoes each line's `rate`, `units` and `vatID`.
    pub line_echo: Option<bool>,
    pub candidate_get: Shape,
    pub candidate_put: Put,
    /// Whether Ireland candidate bodies may carry a PPS number (`generalSetting.PPSNumber`).
    pub pps_field: Option<bool>,
    /// Whether payslip list items name the worker by id (`subcontractorId`).
    pub payslip_worker_id: Option<bool>,
    /// Whether the default pay codes (PR100, PR101) refuse updates.
    pub default_rates_locked: Option<bool>,
    /// Whether validation errors come as HTTP 500 (with the error envelope) instead of 400/422.
    pub validation_500: Option<bool>,
    /// Whether the login accepts only the registered redirect URI.
    pub exact_redirect: Option<bool>,
    /// The server's rate limit as last measured (two 429s, or its rate-limit headers), in whole
    /// requests per second: where the next run's rate starts (a little below it, never above
    /// `--rate`), still probing upward slowly.
    pub rate_limit: Option<u32>,
}

/// Whether a refused field is one whose number style a server may insist on (money and
/// quantities in request bodies).
pub fn is_number_field(field: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field);
    (field.starts_with("rates[") && matches!(last, "rate" | "units")) || last == "hoursPerUnit"
}

/// Whether a refused field is a PPS number field.
pub fn is_pps_field(field: &str) -> bool {
    field.to_ascii_lowercase().contains("pps")
}

/// Whether a refusal's message says a field has the wrong JSON type ("must be a number",
/// "expected a string"), not that its value is wrong.
pub fn refuses_type(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    ["number", "string", "type"].iter().any(|w| m.contains(w))
}

/// Whether a refusal's message says a field is not allowed at all (NestJS's "property X should
/// not exist", "unknown field", "not allowed"), not that its value is wrong.
pub fn refuses_field(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "should not exist",
        "not allowed",
        "unknown",
        "unrecognized",
        "not permitted",
        "not expected",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Write the money and quantity fields of a request body as `style` wants them: JSON
/// numbers, or decimal strings (as the client's models write them).
pub fn restyle_numbers(body: &mut serde_json::Value, style: Numbers) {
    use serde_json::Value;
    fn restyle(v: &mut Value, style: Numbers) {
        match (style, &*v) {
            (Numbers::NumbersOnly, Value::String(s)) => {
                if let Some(n) = s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                {
                    *v = Value::Number(n);
                }
            }
            (Numbers::StringsOnly, Value::Number(n)) => {
                let text = n.to_string();
                let exact = super::models::lenient::parse_decimal(&text)
                    .map_or(text, |d| d.normalize().to_string());
                *v = Value::String(exact);
            }
            _ => {}
        }
    }
    if let Some(lines) = body.get_mut("rates").and_then(Value::as_array_mut) {
        for line in lines {
            for key in ["rate", "units"] {
                if let Some(v) = line.get_mut(key) {
                    restyle(v, style);
                }
            }
        }
    }
    if let Some(v) = body.get_mut("hoursPerUnit") {
        restyle(v, style);
    }
}

/// Remove every PPS field from a request body (a server that refuses them as unknown).
pub fn strip_pps(body: &mut serde_json::Value) {
    if let Some(map) = body.as_object_mut() {
        map.retain(|k, _| !is_pps_field(k));
        for child in map.values_mut() {
            strip_pps(child);
        }
    }
}

impl ServerTraits {
    /// How `endpoint` treats filters.
    pub fn filters(&self, endpoint: &str) -> Filters {
        self.filters.get(endpoint).copied().unwrap_or_default()
    }

    /// Whether a filtered look-up on `endpoint` can be trusted to narrow the list (it is still
    /// re-checked on what comes back).
    pub fn filters_narrow(&self, endpoint: &str) -> bool {
        matches!(self.filters(endpoint), Filters::Honoured | Filters::Unknown)
    }

    /// Take in what `other` knows that `self` does not (newer knowledge wins).
    pub fn merge(&mut self, other: &ServerTraits) {
        for (k, v) in &other.filters {
            if *v != Filters::Unknown {
                self.filters.insert(k.clone(), *v);
            }
        }
        fn pick<T: Copy + Default + PartialEq>(mine: &mut T, theirs: T) {
            if theirs != T::default() {
                *mine = theirs;
            }
        }
        pick(&mut self.numbers, other.numbers);
        pick(&mut self.candidate_get, other.candidate_get);
        pick(&mut self.candidate_put, other.candidate_put);
        for (mine, theirs) in [
            (&mut self.line_echo, other.line_echo),
            (&mut self.pps_field, other.pps_field),
            (&mut self.payslip_worker_id, other.payslip_worker_id),
            (&mut self.default_rates_locked, other.default_rates_locked),
            (&mut self.validation_500, other.validation_500),
            (&mut self.exact_redirect, other.exact_redirect),
        ] {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        if other.rate_limit.is_some() {
            self.rate_limit = other.rate_limit;
        }
    }

    /// The sandbox quirk names of what differs from the default sandbox, in a fixed order.
    pub fn variants(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let filters: Vec<Filters> = self.filters.values().copied().collect();
        if filters.contains(&Filters::Ignored) {
            out.push("filters-ignored");
        }
        if filters.contains(&Filters::Rejected) {
            out.push("filters-rejected");
        }
        if self.line_echo == Some(false) {
            out.push("no-line-echo");
        }
        match self.numbers {
            Numbers::NumbersOnly => out.push("numbers-only"),
            Numbers::StringsOnly => out.push("strings-only"),
            Numbers::Unknown | Numbers::Either => {}
        }
        if self.validation_500 == Some(true) {
            out.push("validation-500");
        }
        if self.candidate_get == Shape::Flat {
            out.push("flat-get");
        }
        if self.candidate_put == Put::Replaces {
            out.push("put-replaces");
        }
        if self.pps_field == Some(false) {
            out.push("no-pps");
        }
        if self.payslip_worker_id == Some(false) {
            out.push("payslip-no-worker-id");
        }
        if self.default_rates_locked == Some(true) {
            out.push("default-rates-locked");
        }
        if self.exact_redirect == Some(true) {
            out.push("exact-redirect");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_restyle_both_ways_and_pps_fields_go() {
        let mut body = serde_json::json!({
            "rates": [{"rateId": "PR-1", "rate": "12.50", "units": "37.5"}],
            "hoursPerUnit": "1", "code": "PR1"
        });
        restyle_numbers(&mut body, Numbers::NumbersOnly);
        assert_eq!(body["rates"][0]["rate"], serde_json::json!(12.5));
        assert_eq!(body["rates"][0]["units"], serde_json::json!(37.5));
        assert_eq!(body["rates"][0]["rateId"], "PR-1");
        assert_eq!(body["code"], "PR1");
        restyle_numbers(&mut body, Numbers::StringsOnly);
        assert_eq!(body["rates"][0]["rate"], "12.5");
        assert_eq!(body["hoursPerUnit"], "1");
        assert!(is_number_field("rates[3].units") && is_number_field("hoursPerUnit"));
        assert!(!is_number_field("generalSetting.surname"));
        assert!(refuses_type(
            "rates[0].rate must be a JSON number, not a string"
        ));
        assert!(!refuses_type("rates[0].rate must be at most 1000000"));
        assert!(refuses_field(
            "property generalSetting.PPSNumber should not exist"
        ));
        assert!(!refuses_field(
            "generalSetting.PPSNumber is not a valid PPS number"
        ));
        let mut ie =
            serde_json::json!({"generalSetting": {"PPSNumber": "1234567T", "forename": "A"}});
        strip_pps(&mut ie);
        assert_eq!(ie, serde_json::json!({"generalSetting": {"forename": "A"}}));
    }

    #[test]
    fn default_traits_name_no_variant_and_trust_filters() {
        let t = ServerTraits::default();
        assert!(t.variants().is_empty());
        assert!(t.filters_narrow("candidates"));
    }

    #[test]
    fn learnt_traits_name_their_variants_and_merge() {
        let mut t = ServerTraits::default();
        t.filters.insert("time-sheets".into(), Filters::Ignored);
        t.numbers = Numbers::NumbersOnly;
        assert!(!t.filters_narrow("time-sheets"));
        assert_eq!(t.variants(), ["filters-ignored", "numbers-only"]);
        let newer = ServerTraits {
            pps_field: Some(false),
            numbers: Numbers::Unknown,
            ..ServerTraits::default()
        };
        t.merge(&newer);
        assert_eq!(t.variants(), ["filters-ignored", "numbers-only", "no-pps"]);
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<ServerTraits>(&text).unwrap(), t);
    }

    #[test]
    fn a_learnt_rate_limit_merges_newer_first_and_old_rows_still_read() {
        let mut t = ServerTraits {
            rate_limit: Some(50),
            ..ServerTraits::default()
        };
        t.merge(&ServerTraits::default());
        assert_eq!(t.rate_limit, Some(50), "nothing new keeps it");
        t.merge(&ServerTraits {
            rate_limit: Some(42),
            ..ServerTraits::default()
        });
        assert_eq!(t.rate_limit, Some(42), "the newer wins");
        assert!(t.variants().is_empty(), "a limit is not an API variant");
        let text = serde_json::to_string(&t).unwrap();
        assert!(text.contains("\"rate-limit\":42"), "{text}");
        // A row kept before the field existed.
        let old: ServerTraits = serde_json::from_str(r#"{"numbers":"numbers-only"}"#).unwrap();
        assert_eq!((old.numbers, old.rate_limit), (Numbers::NumbersOnly, None));
    }
}
