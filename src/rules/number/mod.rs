//! Exact numbers: money (`£1,234.50`, `€1.234,50`, `(12.00)`), decimal quantities and whole
//! numbers. Text is parsed digit by digit into a `Decimal`; a float never carries the value.
//!
//! Separators: `,` or a space groups thousands and `.` marks decimals (UK/Irish style); the
//! continental style `1.234,50` / `1 234,50` is accepted when it cannot be misread. A single
//! comma followed by exactly three digits (`1,234`) can be either, so in money and quantities it
//! is read by the column's convention ([`Input::separators`], worked out by the schema stage from
//! the other cells of the column: `12.50` says dot decimals, `12,5` comma decimals) and is an
//! error when the column does not settle it. Whole numbers read it as thousands.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{Checked, Finding, Input, RuleResult};

/// Most decimal places in an amount of money (hourly rates may use 4).
const MONEY_PLACES: u32 = 4;
/// More decimal places than this in a quantity suggests an unrounded formula result.
const QUANTITY_PLACES: u32 = 6;

/// How the other cells of a column write decimals: what settles `1,234`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Separators {
    /// Nothing in the column says (or it says both): `1,234` is an error.
    #[default]
    Unclear,
    /// `.` marks decimals (`12.50`, `1,234.50`): `1,234` is 1234.
    DotDecimal,
    /// `,` marks decimals (`12,5`, `1.234,50`): `1,234` is 1.234.
    CommaDecimal,
}

/// What one typed number says about its column's decimal mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    DotDecimal,
    CommaDecimal,
    /// `1,234`: a thousands comma or a decimal comma, the cell alone cannot tell.
    Ambiguous,
}

/// What a typed number (not a workbook number) says about the decimal mark of its column;
/// `None` when it says nothing (`40`, `1.234`, not a number at all).
pub fn separator_evidence(text: &str) -> Option<Evidence> {
    let raw = text.trim();
    if !raw.bytes().any(|b| b == b',' || b == b'.') {
        return None;
    }
    // The common cell (`15.50`, `37.5`) without the general path below.
    let body = if is_plain_number(raw) {
        raw
    } else {
        strip_sign_and_currency(raw, Kind::Money)?.1
    };
    let body = body.trim();
    if !body
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
    {
        return None;
    }
    let (dots, commas) = (body.matches('.').count(), body.matches(',').count());
    let (whole, after) = match (body.rfind('.'), body.rfind(',')) {
        (Some(d), Some(c)) => {
            return Some(if d > c {
                Evidence::DotDecimal
            } else {
                Evidence::CommaDecimal
            });
        }
        (Some(_), None) if dots > 1 => return Some(Evidence::CommaDecimal),
        (None, Some(_)) if commas > 1 => return Some(Evidence::DotDecimal),
        (Some(at), None) | (None, Some(at)) => (&body[..at], &body[at + 1..]),
        (None, None) => return None,
    };
    let groups_thousands = (1..=3).contains(&whole.len()) && !whole.starts_with('0');
    match (dots == 1, groups_thousands && after.len() == 3) {
        // `1.234`: the money rule warns about it; it settles nothing.
        (true, true) => None,
        (true, false) => Some(Evidence::DotDecimal),
        (false, true) => Some(Evidence::Ambiguous),
        (false, false) => Some(Evidence::CommaDecimal),
    }
}

/// The currency an amount of money is written in, when it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Currency {
    Gbp,
    Eur,
}

impl Currency {
    /// How people write it: `£ (GBP)`.
    pub fn sign(self) -> &'static str {
        match self {
            Currency::Gbp => "£ (GBP)",
            Currency::Eur => "€ (EUR)",
        }
    }
}

/// The currency marker of a typed amount (`€15.50`, `15.50 GBP`), if any.
pub fn currency_of(text: &str) -> Option<Currency> {
    let raw = super::trim(text);
    let first = raw.bytes().next()?;
    if first.is_ascii_digit() && raw.bytes().last().is_some_and(|b| b.is_ascii_digit()) {
        return None; // the common cell: no marker either side
    }
    let raw = raw
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(raw)
        .trim_matches(['-', '−', ' ']);
    let has = |marks: [&str; 3]| marks.iter().any(|m| raw.starts_with(m) || raw.ends_with(m));
    if has(["£", "GBP", "gbp"]) {
        Some(Currency::Gbp)
    } else if has(["€", "EUR", "eur"]) {
        Some(Currency::Eur)
    } else {
        None
    }
}

/// Which rule is parsing: decides the finding codes and whether currency signs are allowed.
#[derive(Clone, Copy)]
enum Kind {
    Money,
    Decimal,
    Integer,
}

impl Kind {
    fn format_code(self) -> &'static str {
        match self {
            Kind::Money => "money.format",
            Kind::Decimal => "decimal.format",
            Kind::Integer => "integer.format",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Money => "an amount of money",
            Kind::Decimal => "a number",
            Kind::Integer => "a whole number",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Kind::Money => "1234.50 or £1,234.50",
            Kind::Decimal => "7.5",
            Kind::Integer => "12",
        }
    }
}

/// Check an amount of money — a salary or a pay rate, never below zero; `£`, `€`, `GBP`, `EUR`
/// and thousands separators are accepted. A sign or accounting brackets `(12.00)` are read, so
/// the message can say what the cell means, and refused.
pub fn money(input: &Input<'_>) -> RuleResult<Decimal> {
    let value = parse(input, Kind::Money)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Finding::error(
            "money.negative",
            format!(
                "'{}' is a negative amount ({value}); salaries and pay rates cannot be below \
                 zero: remove the minus sign or brackets",
                input.text.trim()
            ),
        ));
    }
    let places = value.normalize().scale();
    if places > MONEY_PLACES {
        return Err(Finding::error(
            "money.precision",
            format!(
                "'{}' has {} decimal places: round it to 2 (for a formula, wrap it in \
                 =ROUND(...,2))",
                input.text, places
            ),
        ));
    }
    let mut warnings = Vec::new();
    if input.number.is_none() && looks_like_dot_thousands(input.text) {
        warnings.push(Finding::warning(
            "money.ambiguous",
            format!(
                "'{}' was read as {value}; if a dot separates thousands here (continental style), \
                 write it without the dot",
                input.text
            ),
        ));
    }
    Ok(Checked { value, warnings })
}

/// Whether a typed amount such as `1.234` or `£12.500` may use a dot to group thousands.
fn looks_like_dot_thousands(text: &str) -> bool {
    let digits = super::trim(text).trim_start_matches(['£', '€', '-', '(']);
    let Some((whole, fraction)) = digits.split_once('.') else {
        return false;
    };
    (1..=3).contains(&whole.len())
        && !whole.starts_with('0')
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() == 3
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Check a decimal quantity (hours, units) within inclusive bounds.
pub fn decimal(
    input: &Input<'_>,
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> RuleResult<Decimal> {
    let value = parse(input, Kind::Decimal)?;
    if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
        return Err(Finding::error(
            "decimal.range",
            format!("'{}' must be {}", input.text, describe_range(min, max)),
        ));
    }
    let mut warnings = Vec::new();
    let places = value.normalize().scale();
    if places > QUANTITY_PLACES {
        warnings.push(Finding::warning(
            "decimal.precision",
            format!(
                "'{}' has {} decimal places, probably an unrounded formula result: round it",
                input.text, places
            ),
        ));
    }
    Ok(Checked { value, warnings })
}

/// Check a whole number within inclusive bounds (`12`, `1,000`, `12.0`).
pub fn integer(input: &Input<'_>, min: Option<i64>, max: Option<i64>) -> RuleResult<i64> {
    // Fast path for the common cell, up to 18 plain digits (`2025`, `07`): the value `parse`
    // would give, without building a `Decimal`.
    if let Some(whole) = plain_integer(super::trim(input.text)) {
        return in_range(input, whole, min, max);
    }
    let value = parse(input, Kind::Integer)?;
    let whole = (value.fract().is_zero())
        .then(|| i64::try_from(value.trunc()).ok())
        .flatten()
        .ok_or_else(|| {
            Finding::error(
                "integer.format",
                format!("'{}' must be a whole number, e.g. 12", input.text),
            )
        })?;
    in_range(input, whole, min, max)
}

fn in_range(input: &Input<'_>, whole: i64, min: Option<i64>, max: Option<i64>) -> RuleResult<i64> {
    if min.is_some_and(|m| whole < m) || max.is_some_and(|m| whole > m) {
        return Err(Finding::error(
            "integer.range",
            format!("'{}' must be {}", input.text, describe_range(min, max)),
        ));
    }
    Ok(Checked::clean(whole))
}

/// The value of 1 to 18 ASCII digits (which always fits an `i64`); `None` for anything else.
fn plain_integer(raw: &str) -> Option<i64> {
    if raw.is_empty() || raw.len() > 18 {
        return None;
    }
    raw.bytes().try_fold(0i64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

fn describe_range<T: std::fmt::Display>(min: Option<T>, max: Option<T>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "a number".to_string(),
    }
}

/// Parse the cell into an exact decimal.
fn parse(input: &Input<'_>, kind: Kind) -> Result<Decimal, Finding> {
    let raw = super::trim(input.text);
    let bad = || {
        Finding::error(
            kind.format_code(),
            format!(
                "'{raw}' is not {}: write it like {}",
                kind.noun(),
                kind.example()
            ),
        )
    };
    // Fast path for the common cell, plain digits with at most one inner dot (`40`, `15.50`):
    // the general path below would hand `Decimal` the very same text, only after allocating.
    if is_plain_number(raw) {
        return Decimal::from_str(raw).map_err(|_| bad());
    }
    let mut comma_decimal = false;
    if !matches!(kind, Kind::Integer)
        && input.number.is_none()
        && separator_evidence(raw) == Some(Evidence::Ambiguous)
    {
        match input.separators {
            Separators::DotDecimal => {}
            Separators::CommaDecimal => comma_decimal = true,
            Separators::Unclear => {
                let (code, what) = match kind {
                    Kind::Money => ("money.ambiguous_separator", "amount"),
                    _ => ("decimal.ambiguous_separator", "number"),
                };
                let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
                let (whole, fraction) = digits.split_at(digits.len().saturating_sub(3));
                return Err(Finding::error(
                    code,
                    format!(
                        "'{raw}' could be {digits} (a comma grouping thousands) or                          {whole}.{fraction} (a decimal comma), and no other cell of this column                          settles which; write the {what} without the comma ({digits}) or with a                          decimal point ({whole}.{fraction})"
                    ),
                ));
            }
        }
    }
    parse_general(input, raw, kind, comma_decimal).ok_or_else(bad)
}

/// Any spelling `parse` accepts: signs, brackets, currency, grouping, decimal comma.
/// `comma_decimal`: the column writes decimals with a comma, so `1,234` is 1.234.
fn parse_general(input: &Input<'_>, raw: &str, kind: Kind, comma_decimal: bool) -> Option<Decimal> {
    // A numeric workbook cell whose text carries an exponent (very large or small numbers).
    if input.number.is_some() && raw.contains(['e', 'E']) {
        return Decimal::from_scientific(raw).ok();
    }
    let (negative, body) = strip_sign_and_currency(raw, kind)?;
    let plain = canonical_digits(body, comma_decimal)?;
    let value = Decimal::from_str(&plain).ok()?;
    Some(if negative { -value } else { value })
}

/// ASCII digits with at most one dot, which is neither first nor last.
fn is_plain_number(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_digit()
        && last.is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && bytes.iter().filter(|b| **b == b'.').count() <= 1
}

/// Remove a sign (`-`, `−`, trailing `-`, or accounting brackets) and, for money, one
/// currency marker. `None` if a currency marker appears where it is not allowed.
fn strip_sign_and_currency(raw: &str, kind: Kind) -> Option<(bool, &str)> {
    let mut s = raw;
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    let mut currency = false;
    for _ in 0..2 {
        let unsigned = s
            .strip_prefix(['-', '−'])
            .map(str::trim_start)
            .or_else(|| s.strip_suffix(['-', '−']).map(str::trim_end));
        if let Some(rest) = unsigned {
            if negative {
                return None; // two signs
            }
            negative = true;
            s = rest;
        }
        if let Some(rest) = strip_currency(s) {
            if currency {
                return None; // two currency markers
            }
            currency = true;
            s = rest;
        }
    }
    if currency && !matches!(kind, Kind::Money) {
        return None;
    }
    Some((negative, s))
}

/// `s` without a leading or trailing currency marker, if it has one.
fn strip_currency(s: &str) -> Option<&str> {
    const MARKERS: [&str; 6] = ["£", "€", "GBP", "EUR", "gbp", "eur"];
    MARKERS.iter().find_map(|m| {
        s.strip_prefix(m)
            .map(str::trim_start)
            .or_else(|| s.strip_suffix(m).map(str::trim_end))
    })
}

/// Digits with thousands separators and a decimal mark → `1234.50`, or `None` if the
/// separators are inconsistent or ambiguous. `comma_decimal`: a lone comma always marks decimals.
fn canonical_digits(body: &str, comma_decimal: bool) -> Option<String> {
    let is_space = |c: char| c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}';
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || is_space(c))
    {
        return None;
    }
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let commas = body.matches(',').count();
    let dots = body.matches('.').count();
    // Which character marks the decimals, if any.
    let decimal_mark = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) if dots == 1 => Some('.'),
        (Some(_), None) => None, // 1.234.567
        (None, Some(c)) if commas == 1 => {
            let after = body.len() - c - 1;
            let leading_zero = body.trim_start().starts_with("0,");
            // A comma followed by exactly three digits groups thousands (UK style) unless the
            // number starts "0,", which only a decimal comma explains.
            (after != 3 || leading_zero || comma_decimal).then_some(',')
        }
        (None, _) => None,
    };
    let (whole, fraction) = match decimal_mark {
        Some(mark) => body.rsplit_once(mark)?,
        None => (body, ""),
    };
    if !fraction.bytes().all(|b| b.is_ascii_digit())
        || (decimal_mark.is_some() && fraction.is_empty())
    {
        return None;
    }
    let whole = if whole.is_empty() && !fraction.is_empty() {
        "0".to_string() // ".5"
    } else {
        ungroup(whole, is_space)?
    };
    Some(if fraction.is_empty() {
        whole
    } else {
        format!("{whole}.{fraction}")
    })
}

/// The digits of the whole part, checking that any grouping is into threes with one kind of
/// separator.
fn ungroup(whole: &str, is_space: impl Fn(char) -> bool) -> Option<String> {
    let groups: Vec<&str> = whole
        .split(|c: char| c == ',' || c == '.' || is_space(c))
        .collect();
    let mut separators = whole.chars().filter(|c| !c.is_ascii_digit());
    let one_kind = match separators.next() {
        None => true,
        Some(first) => separators.all(|c| c == first || (is_space(c) && is_space(first))),
    };
    let grouped_ok = match groups.split_first() {
        Some((_, [])) => true,
        Some((head, rest)) => {
            one_kind && (1..=3).contains(&head.len()) && rest.iter().all(|g| g.len() == 3)
        }
        None => false,
    };
    let digits: String = groups.concat();
    (grouped_ok && !digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests;
