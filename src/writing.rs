//! Helpers shared by everything that writes files for people (reports, fix files, exports):
//! neutralising CSV injection, fitting text into an Excel cell, and checking that the folder of
//! an output path exists before any work is done.

use std::borrow::Cow;
use std::path::Path;

/// A CSV cell that a spreadsheet would run as a formula (`= + - @`, tab or CR first) gets a
/// leading `'`, unless it is a plain number such as `-12.50`. See OWASP "CSV injection".
/// A cell that already starts with `'` before such text (`'-Smith`) gets one too, so that
/// [`restore_csv`] gives back exactly what was written.
pub fn neutralise_csv(cell: &str) -> Cow<'_, str> {
    if needs_mark(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The text [`neutralise_csv`] was given, from what it wrote: a leading `'` is removed only
/// where it added one, so `'+44 7700 900123` is `+44 7700 900123` again and an apostrophe the
/// user typed (`'Brien`) stays.
pub fn restore_csv(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_mark(rest) => rest,
        _ => cell,
    }
}

/// Whether [`neutralise_csv`] marks `cell`: formula characters first, in their ASCII,
/// full-width (`＝＋－＠`) or small (`﹦﹢﹣﹫`) forms, which spreadsheets may read as their ASCII
/// forms, after any invisible format characters.
fn needs_mark(cell: &str) -> bool {
    let mut rest = cell;
    // `'`s before risky text are marked too (checked without recursion).
    while let Some(after) = rest.strip_prefix('\'') {
        rest = after;
    }
    let risky = matches!(
        rest.trim_start_matches(is_invisible_format).chars().next(),
        Some(
            '=' | '+'
                | '-'
                | '@'
                | '\t'
                | '\r'
                | '\u{FF1D}'
                | '\u{FF0B}'
                | '\u{FF0D}'
                | '\u{FF20}'
                | '\u{FE66}'
                | '\u{FE62}'
                | '\u{FE63}'
                | '\u{FE6B}'
        )
    );
    risky && !is_plain_number(rest)
}

/// An invisible format character (Unicode category Cf): bidi controls such as U+202E
/// RIGHT-TO-LEFT OVERRIDE, which make text display in another order than it is stored,
/// zero-width spaces and joiners, the byte-order mark, soft hyphens, tags.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The most characters an Excel cell holds.
pub const EXCEL_CELL_CHARS: usize = 32_767;

/// Text cut to fit one Excel cell (32,767 characters), ending in `…[cut]` when cut, so a
/// report or fix file can always be written whatever the input held.
pub fn fit_excel_cell(text: &str) -> Cow<'_, str> {
    const MARK: &str = "…[cut]";
    if text.chars().count() <= EXCEL_CELL_CHARS {
        return Cow::Borrowed(text);
    }
    let keep = EXCEL_CELL_CHARS - MARK.chars().count();
    let mut cut: String = text.chars().take(keep).collect();
    cut.push_str(MARK);
    Cow::Owned(cut)
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

/// The folder a file at `path` would be written into, when that folder does not exist (a bare
/// file name goes into the current folder, which does). Commands check their output paths with
/// it before doing any work, so a typo in `--report` does not cost a whole run.
pub fn missing_folder(path: &Path) -> Option<&Path> {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty() && !dir.is_dir())
}

/// The input among `inputs` that `out` names, however spelt (`./a.csv`, a symlink): writing
/// there would replace the user's own file with output, so commands refuse it outright.
pub fn input_named<'a>(out: &Path, inputs: &'a [std::path::PathBuf]) -> Option<&'a Path> {
    let out = std::fs::canonicalize(out).ok()?;
    inputs
        .iter()
        .find(|input| std::fs::canonicalize(input).is_ok_and(|i| i == out))
        .map(|p| p.as_path())
}

#[cfg(test)]
mod tests {
    use super::{EXCEL_CELL_CHARS, fit_excel_cell, neutralise_csv, restore_csv};

    #[test]
    fn an_input_is_recognised_however_it_is_spelt() {
        let dir = tempfile::tempdir().expect("dir");
        let input = dir.path().join("timesheets.csv");
        std::fs::write(&input, "a\n").expect("write");
        let inputs = vec![input.clone()];
        let spelt = dir.path().join(".").join("timesheets.csv");
        assert_eq!(super::input_named(&spelt, &inputs), Some(input.as_path()));
        assert_eq!(
            super::input_named(&dir.path().join("report.csv"), &inputs),
            None
        );
        std::fs::write(dir.path().join("other.csv"), "b\n").expect("write");
        assert_eq!(
            super::input_named(&dir.path().join("other.csv"), &inputs),
            None
        );
    }

    #[test]
    fn long_text_is_cut_to_fit_an_excel_cell() {
        assert_eq!(fit_excel_cell("short"), "short");
        let exact = "é".repeat(EXCEL_CELL_CHARS);
        assert_eq!(fit_excel_cell(&exact), exact.as_str());
        let cut = fit_excel_cell(&"x".repeat(5_000_000)).into_owned();
        assert_eq!(cut.chars().count(), EXCEL_CELL_CHARS);
        assert!(cut.ends_with("…[cut]"));
    }

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

    /// Issue 17: full-width `＝` and small `﹦` were not neutralised.
    #[test]
    fn full_width_and_small_formula_characters_are_neutralised() {
        for cell in [
            "\u{FF1D}HYPERLINK(\"x\")",
            "\u{FE66}1+1",
            "\u{FF0B}44 7700 900123",
            "\u{FF0D}Smith",
            "\u{FF20}SUM(A1)",
            "\u{FE62}1",
            "\u{FE63}1",
            "\u{FE6B}x",
            "\u{200B}=1+1",
            "\u{202E}=1+1",
        ] {
            assert_eq!(neutralise_csv(cell), format!("'{cell}"), "{cell:?}");
            assert_eq!(restore_csv(&neutralise_csv(cell)), cell);
        }
        assert_eq!(neutralise_csv("Ｓmith"), "Ｓmith");
    }

    /// Issue 17: the fix file's safety `'` came back with the value when the file was read.
    #[test]
    fn what_neutralise_adds_restore_removes_and_nothing_else() {
        for cell in [
            "+44 7700 900123",
            "-Smith",
            "=HYPERLINK(\"x\",\"y\")",
            "@SUM(A1)",
            "'Brien",
            "'-Smith",
            "''=x",
            "'",
            "-12.50",
            "'-12.50",
            "Smith",
            "",
        ] {
            assert_eq!(restore_csv(&neutralise_csv(cell)), cell, "{cell}");
        }
        assert_eq!(neutralise_csv("'-Smith"), "''-Smith");
        assert_eq!(neutralise_csv("'Brien"), "'Brien");
        assert_eq!(restore_csv("'Brien"), "'Brien");
        assert_eq!(restore_csv("'-12.50"), "'-12.50");
    }

    #[test]
    fn missing_folder_names_only_a_folder_that_is_not_there() {
        use std::path::Path;
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(super::missing_folder(Path::new("report.xlsx")), None);
        assert_eq!(super::missing_folder(&dir.path().join("r.xlsx")), None);
        let missing = dir.path().join("nope");
        assert_eq!(
            super::missing_folder(&missing.join("r.xlsx")),
            Some(missing.as_path())
        );
    }
}
