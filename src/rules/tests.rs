//! Tests of `apply`: each rule is reachable and returns the right kind of value.

use super::*;
use crate::model::Severity;

fn run(rule: Rule, text: &str) -> Result<Value, &'static str> {
    apply(&rule, &Input::text(text), &Enums::embedded())
        .map(|c| c.value)
        .map_err(|f| f.code)
}

fn t(s: &str) -> Result<Value, &'static str> {
    Ok(Value::Text(s.to_string()))
}

#[test]
fn every_rule_is_wired() {
    assert_eq!(run(Rule::Text { max_len: 5 }, " abc "), t("abc"));
    assert_eq!(run(Rule::NiNumber, "ab 12 34 56 c"), t("AB123456C"));
    assert_eq!(run(Rule::SortCode, "12-34-56"), t("123456"));
    assert_eq!(run(Rule::AccountNumber, "12345678"), t("12345678"));
    assert_eq!(run(Rule::UkPostcode, "sw1a1aa"), t("SW1A 1AA"));
    assert_eq!(run(Rule::PpsNumber, "1234567fa"), t("1234567FA"));
    assert_eq!(run(Rule::Eircode, "d02x285"), t("D02 X285"));
    assert_eq!(
        run(Rule::Iban, "gb29 nwbk 6016 1331 9268 19"),
        t("GB29NWBK60161331926819")
    );
    assert_eq!(run(Rule::Bic, "nwbkgb2l"), t("NWBKGB2L"));
    assert_eq!(run(Rule::Email, "a@B.com"), t("a@b.com"));
    assert_eq!(run(Rule::Phone, "07700 900123"), t("07700900123"));
    assert_eq!(run(Rule::Country, "Great Britain"), t("GB"));
    assert_eq!(
        run(Rule::Date, "1/3/2025"),
        Ok(Value::Date(
            chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        ))
    );
    assert_eq!(
        run(Rule::Money, "£1,234.50"),
        Ok(Value::Decimal("1234.50".parse().unwrap()))
    );
    assert_eq!(
        run(
            Rule::Decimal {
                min: None,
                max: None
            },
            "7.5"
        ),
        Ok(Value::Decimal("7.5".parse().unwrap()))
    );
    assert_eq!(
        run(
            Rule::Integer {
                min: Some(1),
                max: Some(53)
            },
            "12"
        ),
        Ok(Value::Integer(12))
    );
    assert_eq!(run(Rule::Bool, "Yes"), Ok(Value::Bool(true)));
    assert_eq!(
        run(Rule::Enum("pay_frequency"), "2-Weekly"),
        t("FORTNIGHTLY")
    );
    assert_eq!(run(Rule::ApiId("PR-"), "pr-6"), t("PR-6"));
}

#[test]
fn enum_messages_list_the_values() {
    let err = apply(
        &Rule::Enum("pay_frequency"),
        &Input::text("Yearly"),
        &Enums::embedded(),
    )
    .unwrap_err();
    assert_eq!(err.code, "enum.unknown");
    assert!(
        err.message
            .contains("WEEKLY, FORTNIGHTLY, FOUR_WEEKLY, MONTHLY"),
        "{}",
        err.message
    );
    assert_eq!(
        run(Rule::Enum("no_such_kind"), "X"),
        Err("enum.kind_missing")
    );
}

#[test]
fn warnings_survive_apply() {
    let checked = apply(
        &Rule::AccountNumber,
        &Input::text("1234567"),
        &Enums::embedded(),
    )
    .unwrap();
    assert_eq!(checked.value, Value::Text("01234567".into()));
    assert_eq!(checked.warnings[0].code, "account_number.padded");
    assert_eq!(checked.warnings[0].severity, Severity::Warning);
}
