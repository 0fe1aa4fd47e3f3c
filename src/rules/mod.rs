//! Rules stage: pure functions that check one cell and return its normalised value, plus batch
//! rules over whole batches (`batch`). Every finding has a stable code and a severity.
//!
//! Contract used by the schema stage:
//! - a column names a [`Rule`]; [`apply`] runs it on an [`Input`] and returns the normalised
//!   [`Value`] with any warnings, or the [`Finding`] that makes the cell an error;
//! - enum columns resolve through [`enums::Enums`], loaded from `templates/enums.toml`.
//!
//! Messages say what is wrong *and what to do*, in a payroll clerk's words; the schema stage adds
//! the file, sheet, row and column.
//!
//! One file per rule family: [`ni`], [`bank`] (sort code, account number, IBAN, BIC and the GB
//! IBAN/sort code/account consistency check), [`postcode`], [`ireland`] (PPS number, Eircode),
//! [`contact`] (e-mail, phone), [`country`], [`date`], [`number`] (money, decimals, whole
//! numbers), [`basic`] (text, yes/no, API ids).
//!
//! Identifiers that Excel damaged are repaired only when the original text is certain, and
//! always with a warning naming the value read and the value used (`phone.repaired`,
//! `sort_code.repaired`, `account_number.repaired`): a UK mobile that lost its 0, a sort code or
//! account number stored as a number that lost its leading zeros (and agrees with the row's GB
//! IBAN, when there is one), or a short sort code or account number in text that the row's GB
//! IBAN confirms. Lost digits (`1.23E+15`, a sort code turned into a date) stay errors, and
//! [`Input::strict`] (`--strict`) turns every repair back into an error. A 6–7 digit account
//! number in text is padded with a warning (`account_number.padded`), the banks' convention.
//! `Rule::format_hint`, `Rule::example` and `Rule::is_identifier` describe each rule for
//! templates.

pub mod bank;
pub mod basic;
pub mod batch;
pub mod contact;
pub mod country;
pub mod date;
mod describe;
pub mod enums;
mod ident;
pub mod ireland;
pub mod ni;
pub mod number;
pub mod postcode;

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::Finding;

pub use crate::source::cell::trim;
pub use bank::{iban_matches_uk, uk_bank_consistency};
pub use enums::{Enums, EnumsError};

/// One cell as the rules see it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    /// The cell's text as the user sees it, trimmed. For numeric workbook cells, the number
    /// written without exponent or trailing `.0` (e.g. `1234567`).
    pub text: &'a str,
    /// Set when the workbook stored a number rather than text: lets rules spot identifiers Excel
    /// damaged (lost leading zeros, scientific notation) and read date serials.
    pub number: Option<f64>,
    /// The workbook counts dates from 1904 (old Mac Excel).
    pub date1904: bool,
    /// `--strict`: an identifier Excel damaged is an error even when it could be repaired.
    pub strict: bool,
    /// The row's IBAN, as its own rule returned it (upper case, no spaces), when it passed: the
    /// evidence a repaired sort code or account number must agree with.
    pub iban: Option<&'a str>,
    /// How the other cells of the column write decimals: settles `1,234` in money and
    /// quantities (see [`number`]).
    pub separators: number::Separators,
}

impl<'a> Input<'a> {
    pub fn text(text: &'a str) -> Self {
        Input {
            text,
            ..Input::default()
        }
    }
}

/// A value that passed its rule, normalised for the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Decimal(Decimal),
    Integer(i64),
    Bool(bool),
}

/// A value that passed its rule, borrowing the cell (or the enum file) when the rule kept the
/// text as it was: what the schema stage works with, so a cell that does not end up in a record
/// costs no `String`. [`ValueRef::into_owned`] gives the [`Value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueRef<'a> {
    Text(Cow<'a, str>),
    Date(NaiveDate),
    Decimal(Decimal),
    Integer(i64),
    Bool(bool),
}

impl ValueRef<'_> {
    pub fn into_owned(self) -> Value {
        match self {
            ValueRef::Text(s) => Value::Text(s.into_owned()),
            ValueRef::Date(d) => Value::Date(d),
            ValueRef::Decimal(d) => Value::Decimal(d),
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Bool(b) => Value::Bool(b),
        }
    }

    /// The same value, owning its text (for a value checked from a temporary string).
    pub fn detached(self) -> ValueRef<'static> {
        match self {
            ValueRef::Text(s) => ValueRef::Text(Cow::Owned(s.into_owned())),
            ValueRef::Date(d) => ValueRef::Date(d),
            ValueRef::Decimal(d) => ValueRef::Decimal(d),
            ValueRef::Integer(i) => ValueRef::Integer(i),
            ValueRef::Bool(b) => ValueRef::Bool(b),
        }
    }
}

/// A passed check: the value and any warnings about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T> {
    pub value: T,
    pub warnings: Vec<Finding>,
}

impl<T> Checked<T> {
    pub fn clean(value: T) -> Self {
        Checked {
            value,
            warnings: Vec::new(),
        }
    }

    /// The same check with its value converted.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Checked<U> {
        Checked {
            value: f(self.value),
            warnings: self.warnings,
        }
    }
}

pub type RuleResult<T> = Result<Checked<T>, Finding>;

/// The check a column runs on each of its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Free text, trimmed; at most this many characters.
    Text {
        max_len: usize,
    },
    NiNumber,
    SortCode,
    AccountNumber,
    UkPostcode,
    PpsNumber,
    Eircode,
    Iban,
    Bic,
    Email,
    Phone,
    /// ISO 3166-1 alpha-2 (names such as "United Kingdom" are accepted and converted).
    Country,
    Date,
    /// Exact decimal amount of money; currency signs and thousands separators stripped.
    Money,
    /// Exact decimal quantity (hours, units); `min`/`max` inclusive bounds when set.
    Decimal {
        min: Option<Decimal>,
        max: Option<Decimal>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Yes/No, True/False, Y/N, 1/0.
    Bool,
    /// A value of the named enum in `templates/enums.toml`, or one of its aliases.
    Enum(&'static str),
    /// An API id with this prefix, e.g. `SR-`.
    ApiId(&'static str),
}

impl Rule {
    /// One rule of every variant — bounded and unbounded numbers, an `Enum` of a kind the
    /// embedded enum file has, each `ApiId` prefix — for tests and the fuzz target, so they
    /// cover a variant as soon as it exists (the `match` below stops compiling until a new
    /// variant is listed here).
    pub fn every() -> Vec<Rule> {
        let every = vec![
            Rule::Text { max_len: 35 },
            Rule::NiNumber,
            Rule::SortCode,
            Rule::AccountNumber,
            Rule::UkPostcode,
            Rule::PpsNumber,
            Rule::Eircode,
            Rule::Iban,
            Rule::Bic,
            Rule::Email,
            Rule::Phone,
            Rule::Country,
            Rule::Date,
            Rule::Money,
            Rule::Decimal {
                min: Some(Decimal::ZERO),
                max: Some(Decimal::from(24)),
            },
            Rule::Decimal {
                min: None,
                max: None,
            },
            Rule::Integer {
                min: Some(1),
                max: Some(53),
            },
            Rule::Integer {
                min: None,
                max: None,
            },
            Rule::Bool,
            Rule::Enum("title"),
            Rule::ApiId("SR-"),
            Rule::ApiId("PR-"),
            Rule::ApiId("VC-"),
        ];
        for rule in &every {
            match rule {
                Rule::Text { .. }
                | Rule::NiNumber
                | Rule::SortCode
                | Rule::AccountNumber
                | Rule::UkPostcode
                | Rule::PpsNumber
                | Rule::Eircode
                | Rule::Iban
                | Rule::Bic
                | Rule::Email
                | Rule::Phone
                | Rule::Country
                | Rule::Date
                | Rule::Money
                | Rule::Decimal { .. }
                | Rule::Integer { .. }
                | Rule::Bool
                | Rule::Enum(_)
                | Rule::ApiId(_) => {}
            }
        }
        every
    }
}

/// Run `rule` on one cell. Empty cells never reach a rule: the schema stage handles
/// required/optional first.
pub fn apply(rule: &Rule, input: &Input<'_>, enums: &Enums) -> RuleResult<Value> {
    apply_ref(rule, input, enums).map(|c| c.map(ValueRef::into_owned))
}

/// [`apply`], with the value borrowing the cell's text (or the enum file's value) when the rule
/// keeps it as it is: free text, enum values, API ids already in capitals.
pub fn apply_ref<'a>(rule: &Rule, input: &Input<'a>, enums: &'a Enums) -> RuleResult<ValueRef<'a>> {
    let input = &Input {
        text: trim(input.text),
        ..*input
    };
    let text = |r: RuleResult<String>| r.map(|c| c.map(|s| ValueRef::Text(Cow::Owned(s))));
    let shared = |r: RuleResult<Cow<'a, str>>| r.map(|c| c.map(ValueRef::Text));
    match rule {
        Rule::Text { max_len } => shared(basic::text_ref(input, *max_len)),
        Rule::NiNumber => text(ni::ni_number(input)),
        Rule::SortCode => text(bank::sort_code(input)),
        Rule::AccountNumber => text(bank::account_number(input)),
        Rule::UkPostcode => text(postcode::uk_postcode(input)),
        Rule::PpsNumber => text(ireland::pps_number(input)),
        Rule::Eircode => text(ireland::eircode(input)),
        Rule::Iban => text(bank::iban(input)),
        Rule::Bic => text(bank::bic(input)),
        Rule::Email => text(contact::email(input)),
        Rule::Phone => text(contact::phone(input)),
        Rule::Country => text(country::country(input)),
        Rule::Date => date::date(input).map(|c| c.map(ValueRef::Date)),
        Rule::Money => number::money(input).map(|c| c.map(ValueRef::Decimal)),
        Rule::Decimal { min, max } => {
            number::decimal(input, *min, *max).map(|c| c.map(ValueRef::Decimal))
        }
        Rule::Integer { min, max } => {
            number::integer(input, *min, *max).map(|c| c.map(ValueRef::Integer))
        }
        Rule::Bool => basic::boolean(input).map(|c| c.map(ValueRef::Bool)),
        Rule::Enum(kind) => {
            enum_value(input, kind, enums).map(|c| c.map(|v| ValueRef::Text(Cow::Borrowed(v))))
        }
        Rule::ApiId(prefix) => shared(basic::api_id_ref(input, prefix)),
    }
}

/// Resolve an enum cell to its API value.
fn enum_value<'e>(input: &Input<'_>, kind: &str, enums: &'e Enums) -> RuleResult<&'e str> {
    let raw = input.text;
    // The value first: a kind the file lacks resolves nothing either, and is told apart below.
    if let Some(value) = enums.resolve(kind, raw) {
        return Ok(Checked::clean(value));
    }
    if !enums.has_kind(kind) {
        return Err(Finding::error(
            "enum.kind_missing",
            format!(
                "the enum file has no [{kind}] table, so '{raw}' cannot be checked: add the \
                 table to the file given with --enums, or remove that option"
            ),
        ));
    }
    Err(Finding::error(
        "enum.unknown",
        format!(
            "'{raw}' is not a known {}: use one of {} (or add it as an alias in an enum \
             file given with --enums)",
            kind.replace('_', " "),
            enums.values(kind).join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests;
