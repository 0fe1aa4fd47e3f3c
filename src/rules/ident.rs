//! Helpers shared by the identifier rules: spotting what Excel does to long numbers and leading
//! zeros, and compacting identifiers typed with spaces or dashes.

use super::{Finding, Input};

/// Whether `text` is a number in scientific notation, as Excel shows long numbers: `1.23E+15`,
/// `1,23457E+15`, `5e9`.
pub(crate) fn is_scientific(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.trim().split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let mut parts = mantissa.splitn(2, ['.', ',']);
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or("0");
    !whole.is_empty()
        && !exponent.is_empty()
        && [whole, fraction, exponent]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// The error for an identifier Excel turned into a number shown in scientific notation.
pub(crate) fn scientific(what: &str, text: &str) -> Finding {
    Finding::error(
        "identifier.scientific",
        format!(
            "'{text}': Excel turned this {what} into a number in scientific notation, which \
             loses digits: format the column as Text and re-type the {what}"
        ),
    )
}

/// Fail when the cell holds an identifier in scientific notation.
pub(crate) fn reject_scientific(what: &str, input: &Input<'_>) -> Result<(), Finding> {
    if is_scientific(input.text) {
        Err(scientific(what, input.text))
    } else {
        Ok(())
    }
}

/// `text` without whitespace (including no-break spaces) and without the characters in `drop`.
pub(crate) fn compact(text: &str, drop: &[char]) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !drop.contains(c))
        .collect()
}

/// Whether every character is an ASCII digit (and there is at least one).
pub(crate) fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_forms_excel_writes() {
        for t in [
            "1.23E+15",
            "1.23457E+15",
            "1,23E+15",
            "5E9",
            "7.7009E-05",
            " 1.2e+10 ",
        ] {
            assert!(is_scientific(t), "{t}");
        }
        for t in [
            "12345678", "E+15", "1.2E", "AB1E5", "1.2.3E5", "ED12", "12-34-56",
        ] {
            assert!(!is_scientific(t), "{t}");
        }
    }

    #[test]
    fn compact_drops_spaces_and_given_characters() {
        assert_eq!(compact(" 12-34 56\u{a0}", &['-']), "123456");
        assert_eq!(compact("AB 12", &[]), "AB12");
    }
}
