//! Helpers shared by everything that writes files for people (reports, fix files, exports):
//! neutralising CSV injection, fitting text into an Excel cell, checking that the folder of
//! an output path exists before any work is done, and writing a file atomically (a temporary
//! file beside it, renamed into place only when complete).

use std::borrow::Cow;
use std::io;
use std::path::Path;

use tempfile::NamedTempFile;

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

/// The height of one line of text in a row, in points (Calibri 11, as Excel and LibreOffice
/// draw it).
pub const LINE_HEIGHT: f64 = 15.0;

/// How many lines `text` takes in a wrapped cell `width` characters wide: an estimate that errs
/// high, because neither Excel nor LibreOffice re-measures rows when it opens a file, and a row
/// too short for its wrapped text makes it overlap the next row.
pub fn wrapped_lines(text: &str, width: f64) -> usize {
    let per_line = ((width * 0.95) as usize).saturating_sub(1).max(1);
    text.lines()
        .map(|line| line.chars().count().div_ceil(per_line).max(1))
        .sum::<usize>()
        .max(1)
}

/// The row height that shows every cell's wrapped text whole: `(text, column width)` pairs.
/// `None` when one line is enough (the default height).
pub fn wrapped_row_height<'a>(cells: impl IntoIterator<Item = (&'a str, f64)>) -> Option<f64> {
    let lines = cells
        .into_iter()
        .map(|(text, width)| wrapped_lines(text, width))
        .max()
        .unwrap_or(1);
    (lines > 1).then_some(LINE_HEIGHT * lines as f64)
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

/// A temporary file in `folder`, named `<prefix>XXXXXX.partial` so a crash leaves something
/// recognisable, with the permissions of an ordinary new file (0666 less the umask, not
/// tempfile's private 0600). Dropped without [`put_in_place`], it is deleted.
pub fn temp_file_in(folder: &Path, prefix: &str) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(".partial");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(folder)
}

/// The folder a file is in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Flush a completed temporary file to disk and rename it to `path` (replacing what was
/// there), so readers see the old file or the whole new one, never part of it.
pub fn put_in_place(temp: NamedTempFile, path: &Path) -> io::Result<()> {
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Write `path` atomically: `fill` writes the whole file at the temporary path it is given
/// (in the same folder, see [`temp_file_in`]), which is then [put in place](put_in_place).
/// When `fill` or the rename fails, `path` is untouched and the temporary file removed.
pub fn write_atomically<E: From<io::Error>>(
    path: &Path,
    prefix: &str,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let temp = temp_file_in(folder_of(path), prefix)?;
    fill(temp.path())?;
    put_in_place(temp, path)?;
    Ok(())
}

/// A writer that stops at its first error: that error is returned, and whatever is written or
/// flushed afterwards is discarded and reported as done. A writer dropped after a failure (the
/// zip crate's, which finishes the archive on drop and prints a debug dump to stderr when that
/// fails) then ends quietly, and the caller says the one error once. [`into_inner`] gives the
/// first error back if it was swallowed on the way.
///
/// [`into_inner`]: Fuse::into_inner
pub struct Fuse<W> {
    inner: W,
    blown: Option<io::Error>,
}

impl<W: io::Write> Fuse<W> {
    pub fn new(inner: W) -> Self {
        Fuse { inner, blown: None }
    }

    /// The inner writer, or the first error when one happened.
    pub fn into_inner(self) -> io::Result<W> {
        match self.blown {
            Some(e) => Err(e),
            None => Ok(self.inner),
        }
    }

    fn watch<T>(&mut self, done: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &done
            && e.kind() != io::ErrorKind::Interrupted
        {
            self.blown = Some(io::Error::new(e.kind(), e.to_string()));
        }
        done
    }
}

impl<W: io::Write> io::Write for Fuse<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.blown.is_some() {
            return Ok(buf.len());
        }
        let done = self.inner.write(buf);
        self.watch(done)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.blown.is_some() {
            return Ok(());
        }
        let done = self.inner.flush();
        self.watch(done)
    }
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
    fn wrapped_text_gets_a_row_tall_enough() {
        use super::{wrapped_lines, wrapped_row_height};
        assert_eq!(wrapped_lines("short", 60.0), 1);
        assert_eq!(wrapped_lines("a\nb\nc", 60.0), 3);
        assert_eq!(wrapped_lines(&"x".repeat(120), 60.0), 3);
        assert_eq!(wrapped_row_height([("one line", 60.0)]), None);
        assert_eq!(wrapped_row_height([("a", 9.0), ("a\nb", 9.0)]), Some(30.0));
    }

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
    fn a_failed_atomic_write_leaves_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("report.csv");
        std::fs::write(&path, "the last good report\n").expect("write");
        let failed: Result<(), std::io::Error> =
            super::write_atomically(&path, ".nxsys-test-", |temp| {
                std::fs::write(temp, "half a rep")?;
                Err(std::io::Error::other("disk full"))
            });
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "the last good report\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["report.csv"]);
        super::write_atomically::<std::io::Error>(&path, ".nxsys-test-", |temp| {
            std::fs::write(temp, "new")
        })
        .expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
    }

    #[test]
    fn a_fuse_returns_the_first_error_then_swallows_the_rest() {
        use std::io::Write;
        /// Takes `room` bytes, then says the disk is full.
        struct Disk {
            room: usize,
            got: Vec<u8>,
        }
        impl Write for Disk {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.got.len() + buf.len() > self.room {
                    return Err(std::io::Error::other("No space left on device"));
                }
                self.got.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut out = super::Fuse::new(Disk {
            room: 4,
            got: Vec::new(),
        });
        out.write_all(b"abc").expect("room for it");
        let first = out.write_all(b"defg").expect_err("full");
        assert!(first.to_string().contains("No space"));
        // What a dropped ZIP writer would write to finish: taken quietly, and not kept.
        out.write_all(b"central directory").expect("swallowed");
        out.flush().expect("swallowed");
        let again = out.into_inner().err().expect("the first error comes back");
        assert!(again.to_string().contains("No space"));
        let mut fine = super::Fuse::new(Vec::new());
        fine.write_all(b"ok").expect("write");
        assert_eq!(fine.into_inner().expect("no error"), b"ok");
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
