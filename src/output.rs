//! Helpers shared by everything that writes files for people: reports, fix files, exports.

use std::borrow::Cow;

/// A CSV cell that a spreadsheet would run as a formula (`= + - @`, tab or CR first) gets a
/// leading `'`, unless it is a plain number such as `-12.50`. See OWASP "CSV injection".
pub fn neutralise_csv(cell: &str) -> Cow<'_, str> {
    let risky = matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    );
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::neutralise_csv;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(
            neutralise_csv("=HYPERLINK(\"x\",\"y\")"),
            "'=HYPERLINK(\"x\",\"y\")"
        );
        assert_eq!(neutralise_csv("+44 7700 900123"), "'+44 7700 900123");
        assert_eq!(neutralise_csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_csv("\tx"), "'\tx");
        assert_eq!(neutralise_csv("-"), "'-");
        assert_eq!(neutralise_csv("-12.50"), "-12.50");
        assert_eq!(neutralise_csv("+3"), "+3");
        assert_eq!(neutralise_csv("Smith"), "Smith");
        assert_eq!(neutralise_csv(""), "");
    }
}
