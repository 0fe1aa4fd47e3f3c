//! UK National Insurance number (HMRC format, NIM39110): two prefix letters, six digits and a
//! suffix letter A–D, e.g. `QQ 12 34 56 C` (HMRC's example format; `QQ` itself is never issued).

use super::ident::compact;
use super::{Checked, Finding, Input, RuleResult};

/// Letters never used as the first prefix letter.
const BAD_FIRST: &[u8] = b"DFIQUV";
/// Letters never used as the second prefix letter.
const BAD_SECOND: &[u8] = b"DFIQUVO";
/// Prefixes never issued (TN is the temporary-number prefix, reported on its own).
const NEVER_ISSUED: &[&str] = &["BG", "GB", "KN", "NK", "NT", "ZZ"];
/// Prefixes of administrative numbers that look like NI numbers (NIM39110): not valid NI
/// numbers, though HMRC's RTI format accepts them, so they warn rather than block. (FY and OO
/// are also administrative but already fail the letter rules.)
const ADMINISTRATIVE: &[&str] = &["CR", "MW", "NC", "PP", "PY", "PZ"];

/// Check an NI number; the value is upper case without spaces, e.g. `AB123456C`.
pub fn ni_number(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let ni = compact(raw, &[]).to_uppercase();
    let bytes = ni.as_bytes();
    let shape_ok = |len: usize| {
        bytes.len() == len
            && bytes.iter().take(2).all(u8::is_ascii_uppercase)
            && bytes.iter().skip(2).take(6).all(u8::is_ascii_digit)
    };
    if shape_ok(8) {
        return Err(Finding::error(
            "ni_number.suffix",
            format!(
                "NI number '{raw}' has no final letter: add the letter (A, B, C or D) shown on the \
                 worker's NI card or payslip"
            ),
        ));
    }
    let not_ni = || {
        Finding::error(
            "ni_number.format",
            format!(
                "'{raw}' is not an NI number: expected two letters, six digits and a letter A-D, \
                 e.g. AB 12 34 56 C"
            ),
        )
    };
    let &[first, second, _, _, _, _, _, _, suffix] = bytes else {
        return Err(not_ni());
    };
    if !shape_ok(9) || !suffix.is_ascii_uppercase() {
        return Err(not_ni());
    }
    let prefix = format!("{}{}", char::from(first), char::from(second));
    if prefix == "TN" {
        return Err(Finding::error(
            "ni_number.temporary",
            format!(
                "'{raw}' is a temporary reference (TN...), not an NI number; HMRC no longer \
                 accepts these: ask the worker for their real NI number"
            ),
        ));
    }
    if BAD_FIRST.contains(&first) || BAD_SECOND.contains(&second) {
        return Err(Finding::error(
            "ni_number.prefix",
            format!(
                "NI number '{raw}' starts with '{prefix}', which HMRC never issues (the first \
                 letter is never D, F, I, Q, U or V; the second never D, F, I, O, Q, U or V): \
                 check the number with the worker"
            ),
        ));
    }
    if NEVER_ISSUED.contains(&prefix.as_str()) {
        return Err(Finding::error(
            "ni_number.prefix",
            format!(
                "NI number '{raw}' starts with '{prefix}', a prefix HMRC never issues: check the \
                 number with the worker"
            ),
        ));
    }
    if !(b'A'..=b'D').contains(&suffix) {
        return Err(Finding::error(
            "ni_number.suffix",
            format!(
                "NI number '{raw}' ends with '{}'; the last letter is always A, B, C or D: check \
                 the number with the worker",
                suffix as char
            ),
        ));
    }
    let mut warnings = Vec::new();
    if ADMINISTRATIVE.contains(&prefix.as_str()) {
        warnings.push(Finding::warning(
            "ni_number.administrative",
            format!(
                "NI number '{raw}' starts with '{prefix}', a prefix HMRC and DWP use for \
                 administrative reference numbers rather than real NI numbers: ask the worker \
                 for their NI number"
            ),
        ));
    }
    Ok(Checked {
        value: ni,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str) -> Result<String, &'static str> {
        ni_number(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    #[test]
    fn valid_numbers_are_normalised() {
        assert_eq!(check("AB123456C"), Ok("AB123456C".into()));
        assert_eq!(check("ab 12 34 56 c"), Ok("AB123456C".into()));
        assert_eq!(check("JG 10 37 59 A"), Ok("JG103759A".into()));
        assert_eq!(check("CE\u{a0}123456\u{a0}D"), Ok("CE123456D".into()));
        // Z as first letter and O as first letter are allowed (only ZZ/O-second are not).
        assert_eq!(check("ZA123456B"), Ok("ZA123456B".into()));
        assert_eq!(check("OA123456B"), Ok("OA123456B".into()));
    }

    #[test]
    fn hmrc_example_format_is_not_a_real_number() {
        // HMRC documents the format with QQ 12 34 56 C; Q is never a prefix letter.
        assert_eq!(check("QQ 12 34 56 C"), Err("ni_number.prefix"));
    }

    #[test]
    fn never_issued_prefixes_and_letters() {
        for p in ["BG", "GB", "KN", "NK", "NT", "ZZ"] {
            assert_eq!(
                check(&format!("{p}123456A")),
                Err("ni_number.prefix"),
                "{p}"
            );
        }
        for first in ['D', 'F', 'I', 'Q', 'U', 'V'] {
            assert_eq!(check(&format!("{first}A123456A")), Err("ni_number.prefix"));
        }
        for second in ['D', 'F', 'I', 'Q', 'U', 'V', 'O'] {
            assert_eq!(check(&format!("A{second}123456A")), Err("ni_number.prefix"));
        }
    }

    #[test]
    fn temporary_numbers_are_flagged() {
        assert_eq!(check("TN 01 02 85 A"), Err("ni_number.temporary"));
        // Old temporary style: TN, date of birth, M/F.
        assert_eq!(check("TN010285M"), Err("ni_number.temporary"));
    }

    #[test]
    fn administrative_prefixes_warn() {
        for p in ["CR", "MW", "NC", "PP", "PY", "PZ"] {
            let checked = ni_number(&Input::text(&format!("{p}123456A"))).unwrap();
            assert_eq!(checked.warnings[0].code, "ni_number.administrative", "{p}");
        }
        assert!(
            ni_number(&Input::text("AB123456A"))
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn bad_suffix_and_shape() {
        assert_eq!(check("AB123456E"), Err("ni_number.suffix"));
        assert_eq!(check("AB123456"), Err("ni_number.suffix"));
        assert_eq!(check("AB12345C"), Err("ni_number.format"));
        assert_eq!(check("A1234567C"), Err("ni_number.format"));
        assert_eq!(check("AB1234567"), Err("ni_number.format"));
        assert_eq!(check("AB-12-34-56-C"), Err("ni_number.format"));
        assert_eq!(check("ÄB123456C"), Err("ni_number.format"));
        assert_eq!(check(""), Err("ni_number.format"));
    }

    proptest! {
        #[test]
        fn spacing_and_case_do_not_matter(
            first in "[ABCEGHJKLMNOPRSTWXYZ]",
            second in "[ABCEGHJKLMNPRSTWXYZ]",
            digits in "[0-9]{6}",
            suffix in "[A-D]",
            gaps in proptest::collection::vec(" {0,2}", 9),
        ) {
            let ni = format!("{first}{second}{digits}{suffix}");
            prop_assume!(!["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&ni[..2]));
            let spaced: String = ni
                .chars()
                .zip(&gaps)
                .flat_map(|(c, g)| std::iter::once(c).chain(g.chars()))
                .collect();
            let normal = check(&spaced.to_lowercase()).unwrap();
            prop_assert_eq!(&normal, &ni);
            prop_assert_eq!(check(&normal), Ok(ni));
        }
    }
}
