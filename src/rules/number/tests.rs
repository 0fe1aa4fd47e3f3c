use super::*;
use proptest::prelude::*;

/// A decimal from its canonical text.
fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn m(text: &str) -> Result<Decimal, &'static str> {
    money(&Input::text(text))
        .map(|c| c.value)
        .map_err(|f| f.code)
}

fn d(text: &str) -> Result<Decimal, &'static str> {
    decimal(&Input::text(text), None, None)
        .map(|c| c.value)
        .map_err(|f| f.code)
}

fn i(text: &str) -> Result<i64, &'static str> {
    integer(&Input::text(text), None, None)
        .map(|c| c.value)
        .map_err(|f| f.code)
}

#[test]
fn money_forms() {
    for (text, want) in [
        ("1234.50", dec("1234.50")),
        ("£1,234.50", dec("1234.50")),
        ("£ 1,234.50", dec("1234.50")),
        ("€1.234,50", dec("1234.50")),
        ("1 234,50 €", dec("1234.50")),
        ("1\u{a0}234.50", dec("1234.50")),
        ("EUR 99", dec("99")),
        ("12.50 GBP", dec("12.50")),
        ("12,50", dec("12.50")),
        ("0,125", dec("0.125")),
        ("1,234,567.89", dec("1234567.89")),
        ("1.234.567", dec("1234567")),
        (".5", dec("0.5")),
        ("15.5", dec("15.5")),
        ("12.3456", dec("12.3456")),
        ("12.500000000", dec("12.5")),
    ] {
        assert_eq!(m(text), Ok(want), "{text}");
    }
}

#[test]
fn negative_money_is_refused_whatever_the_notation() {
    for (text, means) in [
        ("(12.00)", "-12.00"),
        ("(£12.00)", "-12.00"),
        ("-£12", "-12"),
        ("£-12", "-12"),
        ("−5.25", "-5.25"),
        ("5.25-", "-5.25"),
        ("-0.01", "-0.01"),
    ] {
        let err = money(&Input::text(text)).unwrap_err();
        assert_eq!(err.code, "money.negative", "{text}");
        assert!(
            err.message.contains(&format!("({means})")),
            "{text}: {}",
            err.message
        );
    }
    assert_eq!(m("-0.00"), Ok(dec("0.00")));
}

#[test]
fn money_keeps_exact_scale() {
    assert_eq!(m("1234.50").unwrap().to_string(), "1234.50");
    // 0.1 + 0.2 style values stay exact from their text.
    assert_eq!(m("0.30").unwrap().to_string(), "0.30");
}

/// Issue 17: `1,234` was read as 1234 while `12,5` was 12.5. A lone comma before three digits is
/// read by the column's convention, and is an error when nothing settles it.
#[test]
fn a_comma_before_three_digits_needs_the_columns_convention() {
    let with = |text, separators| {
        let input = Input {
            text,
            separators,
            ..Input::default()
        };
        (
            money(&input).map(|c| c.value).map_err(|f| f.code),
            decimal(&input, None, None)
                .map(|c| c.value)
                .map_err(|f| f.code),
        )
    };
    assert_eq!(
        with("1,234", Separators::Unclear),
        (
            Err("money.ambiguous_separator"),
            Err("decimal.ambiguous_separator")
        )
    );
    let err = money(&Input::text("£1,234")).unwrap_err();
    assert!(
        err.message.contains("1234") && err.message.contains("1.234"),
        "{}",
        err.message
    );
    assert_eq!(
        with("1,234", Separators::DotDecimal),
        (Ok(dec("1234")), Ok(dec("1234")))
    );
    assert_eq!(
        with("1,234", Separators::CommaDecimal),
        (Ok(dec("1.234")), Ok(dec("1.234")))
    );
    // Cells that settle it on their own whatever the column says.
    for separators in [Separators::Unclear, Separators::CommaDecimal] {
        assert_eq!(with("12,5", separators).0, Ok(dec("12.5")));
        assert_eq!(with("1,234.50", separators).0, Ok(dec("1234.50")));
        assert_eq!(with("1,234,567", separators).0, Ok(dec("1234567")));
        assert_eq!(with("0,125", separators).0, Ok(dec("0.125")));
    }
    // Whole numbers have no decimals to confuse: `1,000` is a thousand.
    assert_eq!(i("1,000"), Ok(1000));
    // A workbook number is never text with a comma.
    let cell = Input {
        text: "1234",
        number: Some(1234.0),
        ..Input::default()
    };
    assert_eq!(money(&cell).map(|c| c.value), Ok(dec("1234")));
}

#[test]
fn what_a_cell_says_about_its_columns_decimal_mark() {
    for (text, want) in [
        ("12.50", Some(Evidence::DotDecimal)),
        ("£1,234.50", Some(Evidence::DotDecimal)),
        ("1,234,567", Some(Evidence::DotDecimal)),
        ("12,5", Some(Evidence::CommaDecimal)),
        ("€1.234,50", Some(Evidence::CommaDecimal)),
        ("1.234.567", Some(Evidence::CommaDecimal)),
        ("0,125", Some(Evidence::CommaDecimal)),
        ("1,234", Some(Evidence::Ambiguous)),
        ("£12,345", Some(Evidence::Ambiguous)),
        ("1.234", None),
        ("40", None),
        ("abc", None),
    ] {
        assert_eq!(separator_evidence(text), want, "{text}");
    }
}

#[test]
fn the_currency_an_amount_is_written_in() {
    for (text, want) in [
        ("€15.50", Some(Currency::Eur)),
        ("15.50 EUR", Some(Currency::Eur)),
        ("(€12)", Some(Currency::Eur)),
        ("£15.50", Some(Currency::Gbp)),
        ("-£12", Some(Currency::Gbp)),
        ("GBP 9", Some(Currency::Gbp)),
        ("15.50", None),
        ("", None),
    ] {
        assert_eq!(currency_of(text), want, "{text}");
    }
}

#[test]
fn dot_followed_by_three_digits_warns() {
    let codes = |t| {
        money(&Input::text(t))
            .unwrap()
            .warnings
            .iter()
            .map(|w| w.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(codes("1.234"), ["money.ambiguous"]);
    assert_eq!(codes("£12.500"), ["money.ambiguous"]);
    assert!(codes("0.125").is_empty());
    assert!(codes("1234.500").is_empty());
    assert!(codes("1.23").is_empty());
    let cell = Input {
        text: "1.234",
        number: Some(1.234),
        date1904: false,
        ..Input::default()
    };
    assert!(money(&cell).unwrap().warnings.is_empty());
}

#[test]
fn bad_money() {
    for text in [
        "",
        "abc",
        "$12",
        "12 34",
        "1,23,456",
        "1,000.000,00",
        "--12",
        "(-12)",
        "££12",
        "12.",
        "1.2.3",
        "1,234,5",
        "12e3",
        "N/A",
        "£",
        "-",
    ] {
        assert_eq!(m(text), Err("money.format"), "{text}");
    }
    assert_eq!(m("12.333333333333334"), Err("money.precision"));
}

#[test]
fn decimals_and_bounds() {
    assert_eq!(d("7.5"), Ok(dec("7.5")));
    assert_eq!(d("£7.5"), Err("decimal.format"));
    let hours = |t| {
        decimal(&Input::text(t), Some(dec("0")), Some(dec("24")))
            .map(|c| c.value)
            .map_err(|f| f.code)
    };
    assert_eq!(hours("24"), Ok(dec("24")));
    assert_eq!(hours("0"), Ok(dec("0")));
    assert_eq!(hours("24.01"), Err("decimal.range"));
    assert_eq!(hours("-1"), Err("decimal.range"));
    let noisy = decimal(&Input::text("0.30000000000000004"), None, None).unwrap();
    assert_eq!(noisy.warnings[0].code, "decimal.precision");
}

#[test]
fn workbook_number_with_exponent_uses_its_text() {
    let input = Input {
        text: "1.5E-7",
        number: Some(1.5e-7),
        date1904: false,
        ..Input::default()
    };
    assert_eq!(
        decimal(&input, None, None).unwrap().value,
        dec("0.00000015")
    );
}

#[test]
fn integers() {
    assert_eq!(i("12"), Ok(12));
    assert_eq!(i("1,000"), Ok(1000));
    assert_eq!(i("12.0"), Ok(12));
    assert_eq!(i("-3"), Ok(-3));
    assert_eq!(i("12.5"), Err("integer.format"));
    assert_eq!(i("twelve"), Err("integer.format"));
    assert_eq!(i("99999999999999999999"), Err("integer.format"));
    let period = |t| integer(&Input::text(t), Some(1), Some(53)).map_err(|f| f.code);
    assert!(period("53").is_ok());
    assert_eq!(period("54").unwrap_err(), "integer.range");
    assert_eq!(period("0").unwrap_err(), "integer.range");
}

/// `integer` as it was before its fast path: through `parse` and a `Decimal`.
fn integer_general(input: &Input<'_>, min: Option<i64>, max: Option<i64>) -> Result<i64, String> {
    let value = parse(input, Kind::Integer).map_err(|f| f.message)?;
    let whole = (value.fract().is_zero())
        .then(|| i64::try_from(value.trunc()).ok())
        .flatten()
        .ok_or_else(|| format!("'{}' must be a whole number, e.g. 12", input.text))?;
    if min.is_some_and(|m| whole < m) || max.is_some_and(|m| whole > m) {
        return Err(format!(
            "'{}' must be {}",
            input.text,
            describe_range(min, max)
        ));
    }
    Ok(whole)
}

proptest! {
    #[test]
    fn the_plain_integer_fast_path_agrees_with_the_general_parser(
        text in "[0-9]{1,20}|[0-9 .,+-]{1,6}|0*[0-9]{1,4}",
        min in proptest::option::of(-5i64..60),
        max in proptest::option::of(0i64..3000),
    ) {
        let input = Input::text(&text);
        let fast = integer(&input, min, max).map(|c| c.value).map_err(|f| f.message);
        prop_assert_eq!(fast, integer_general(&input, min, max), "{}", text);
    }

    #[test]
    fn the_plain_number_fast_path_agrees_with_the_general_parser(text in "[0-9]{1,20}(\\.[0-9]{1,8})?") {
        prop_assert!(is_plain_number(&text));
        for kind in [Kind::Money, Kind::Decimal, Kind::Integer] {
            let fast = parse(&Input::text(&text), kind).ok();
            let general = parse_general(&Input::text(&text), &text, kind, false);
            prop_assert_eq!(fast, general, "{}", text);
        }
    }

    #[test]
    fn formatted_amount_parses_to_its_value(units in 0u64..10_000_000_000, cents in 0u32..100) {
        let value = Decimal::from(units) + Decimal::new(i64::from(cents), 2);
        let grouped = group(units, ',');
        for text in [
            format!("{units}.{cents:02}"),
            format!("£{grouped}.{cents:02}"),
            format!("€{}.{cents:02}", group(units, ' ')),
            format!("{},{cents:02}", group(units, '.')),
            format!("({grouped}.{cents:02})"),
        ] {
            let want = if text.starts_with('(') { -value } else { value };
            prop_assert_eq!(parse(&Input::text(&text), Kind::Money).ok(), Some(want), "{}", text);
        }
    }

    #[test]
    fn canonical_text_round_trips(v in any::<i64>(), scale in 0u32..5) {
        let value = Decimal::new(v, scale);
        prop_assert_eq!(parse(&Input::text(&value.to_string()), Kind::Money).ok(), Some(value));
    }
}

fn group(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[test]
fn only_plain_digits_take_the_fast_path() {
    for plain in ["0", "40", "15.50", "007"] {
        assert!(is_plain_number(plain), "{plain}");
    }
    for other in [
        "", ".5", "5.", "1.2.3", "-5", "1,234", "£5", "1 234", "15.5O", "1e3",
    ] {
        assert!(!is_plain_number(other), "{other}");
    }
}
