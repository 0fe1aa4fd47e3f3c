//! What each rule accepts, in words, for template instructions, example rows and help text.

use super::{Enums, Rule};

impl Rule {
    /// The accepted format in a clerk's words, e.g. "6 digits, dashes allowed (12-34-56)".
    pub fn format_hint(&self, enums: &Enums) -> String {
        match self {
            Rule::Text { max_len } => format!("Text, up to {max_len} characters"),
            Rule::NiNumber => "2 letters, 6 digits, a letter A-D (AB 12 34 56 C)".into(),
            Rule::SortCode => "6 digits, dashes or spaces allowed (12-34-56)".into(),
            Rule::AccountNumber => "8 digits (12345678)".into(),
            Rule::UkPostcode => "UK postcode (SW1A 1AA)".into(),
            Rule::PpsNumber => "7 digits and 1 or 2 letters (1234567FA)".into(),
            Rule::Eircode => "Eircode (D02 X285)".into(),
            Rule::Iban => "IBAN, spaces allowed (GB29 NWBK 6016 1331 9268 19)".into(),
            Rule::Bic => "BIC/SWIFT code, 8 or 11 characters (NWBKGB2L)".into(),
            Rule::Email => "E-mail address (name@example.co.uk)".into(),
            Rule::Phone => "Phone number (07700 900123 or +44 7700 900123)".into(),
            Rule::Country => "Country code or name (GB, Ireland)".into(),
            Rule::Date => format!("Date, day before month: {}", super::date::ACCEPTED),
            Rule::Money => "Amount, £/€ and commas allowed (1234.50)".into(),
            Rule::Decimal { min, max } => with_bounds("Number (7.5)", min, max),
            Rule::Integer { min, max } => with_bounds("Whole number (12)", min, max),
            Rule::Bool => "Yes or No".into(),
            Rule::Enum(kind) => format!("One of: {}", enums.values(kind).join(", ")),
            Rule::ApiId(prefix) => format!("Nxsys id ({prefix}123)"),
        }
    }

    /// A value that passes the rule, for example rows.
    pub fn example(&self, enums: &Enums) -> String {
        match self {
            Rule::Text { .. } => "Example".into(),
            Rule::NiNumber => "AB123456C".into(),
            Rule::SortCode => "12-34-56".into(),
            Rule::AccountNumber => "12345678".into(),
            Rule::UkPostcode => "SW1A 1AA".into(),
            Rule::PpsNumber => "1234567FA".into(),
            Rule::Eircode => "D02 X285".into(),
            Rule::Iban => "GB29 NWBK 6016 1331 9268 19".into(),
            Rule::Bic => "NWBKGB2L".into(),
            Rule::Email => "name@example.co.uk".into(),
            Rule::Phone => "07700 900123".into(),
            Rule::Country => "GB".into(),
            Rule::Date => "2025-03-01".into(),
            Rule::Money => "1234.50".into(),
            Rule::Decimal { min, .. } => min.map_or("7.5".into(), |m| m.max(7.into()).to_string()),
            Rule::Integer { min, .. } => min.map_or(1, |m| m.max(1)).to_string(),
            Rule::Bool => "Yes".into(),
            Rule::Enum(kind) => enums
                .values(kind)
                .first()
                .copied()
                .unwrap_or("")
                .to_string(),
            Rule::ApiId(prefix) => format!("{prefix}1"),
        }
    }

    /// Whether the column holds an identifier that Excel damages when it sees a number (leading
    /// zeros, long digit runs): templates format such columns as Text.
    pub fn is_identifier(&self) -> bool {
        matches!(
            self,
            Rule::NiNumber
                | Rule::SortCode
                | Rule::AccountNumber
                | Rule::PpsNumber
                | Rule::Iban
                | Rule::Phone
                | Rule::Text { .. }
                | Rule::ApiId(_)
        )
    }
}

fn with_bounds<T: std::fmt::Display>(base: &str, min: &Option<T>, max: &Option<T>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{base}, {lo} to {hi}"),
        (Some(lo), None) => format!("{base}, at least {lo}"),
        (None, Some(hi)) => format!("{base}, at most {hi}"),
        (None, None) => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Input, apply};
    use super::*;

    #[test]
    fn every_example_passes_its_rule_without_warnings() {
        let enums = Enums::embedded();
        for rule in Rule::every() {
            let example = rule.example(&enums);
            let checked = apply(&rule, &Input::text(&example), &enums);
            assert!(
                checked.as_ref().is_ok_and(|c| c.warnings.is_empty()),
                "{rule:?}: {example} -> {checked:?}"
            );
            assert!(!rule.format_hint(&enums).is_empty());
        }
    }

    #[test]
    fn hints_mention_bounds_and_values() {
        let enums = Enums::embedded();
        let hours = Rule::Decimal {
            min: Some(0.into()),
            max: Some(24.into()),
        };
        assert_eq!(hours.format_hint(&enums), "Number (7.5), 0 to 24");
        assert!(Rule::Enum("title").format_hint(&enums).contains("MR, MRS"));
    }
}
