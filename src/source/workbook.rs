//! Workbooks through calamine: xlsx, xlsm, xls, ods (xlsb too). Every visible worksheet is read;
//! hidden sheets are skipped with a note. Formula cells are read by their cached value, error
//! cells (`#REF!`…) are passed on as errors, merged cells give their value to every cell they
//! cover, and the 1904 date system is honoured.

use std::path::{Path, PathBuf};

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Sheets, open_workbook_auto};

use super::{Opened, RowBuf, SheetReader, SourceError, column_letter, excel_serial_to_date, note};
use crate::model::CellFinding;

/// One worksheet, loaded by calamine and handed on row by row.
pub struct WorkbookSheet {
    file: PathBuf,
    name: String,
    range: Range<Data>,
    date1904: bool,
    next: usize,
    notes: Vec<CellFinding>,
}

/// Open every visible worksheet of a workbook. A damaged file that makes the workbook reader
/// itself panic (calamine asserts on some malformed compound files) is reported as a workbook
/// that cannot be opened, like any other damage.
pub fn open(path: &Path) -> Result<Opened, SourceError> {
    contain_panics(path, || open_unguarded(path, false))
}

/// [`open`], but the sheets of an xlsx workbook without merged cells are read on a thread of
/// their own while the caller validates (see [`super::stream`]), when more than one thread is
/// allowed ([`super::threads`]). Their rows may then end in [`SourceError::Unordered`].
pub fn open_streaming(path: &Path) -> Result<Opened, SourceError> {
    let stream = super::threads() > 1;
    contain_panics(path, || open_unguarded(path, stream))
}

thread_local! {
    /// Set while a guarded read runs on this thread: its panics are reported as errors, so the
    /// panic hook stays quiet about them.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `read`, turning a panic inside it into [`SourceError::Workbook`].
pub(super) fn contain_panics<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, SourceError>,
) -> Result<T, SourceError> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(false));
    result.unwrap_or_else(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::debug!(file = %path.display(), "workbook reader panicked: {why}");
        Err(SourceError::Workbook {
            file: path.to_path_buf(),
            message: "the file is damaged: its structure makes no sense to the workbook reader"
                .into(),
        })
    })
}

fn open_unguarded(path: &Path, stream: bool) -> Result<Opened, SourceError> {
    let workbook_error = |message: String| SourceError::Workbook {
        file: path.to_path_buf(),
        message,
    };
    check_unzipped_size(path)?;
    let is_xls = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xls") || e.eq_ignore_ascii_case("xla"));
    if is_xls && let Err(damage) = super::xls::check(path) {
        return Err(workbook_error(damage.to_string()));
    }
    let mut workbook = open_workbook_auto(path).map_err(|e| match e {
        calamine::Error::Io(error) => SourceError::Io {
            file: path.to_path_buf(),
            error,
        },
        calamine::Error::Xlsx(calamine::XlsxError::Password)
        | calamine::Error::Xls(calamine::XlsError::Password) => workbook_error(
            "it is protected with a password to open; remove the password (Excel: File › Info › \
             Protect Workbook › Encrypt with Password, clear it)"
                .into(),
        ),
        other => workbook_error(other.to_string()),
    })?;
    let date1904 = match &workbook {
        Sheets::Xlsx(x) => x.has_1904_epoch(),
        Sheets::Xls(x) => x.has_1904_epoch(),
        _ => false,
    };
    let mut opened = Opened {
        sheets: Vec::new(),
        notes: Vec::new(),
    };
    let metadata = workbook.sheets_metadata().to_vec();
    let xlsx_merges =
        matches!(workbook, Sheets::Xlsx(_)) && super::merges::xlsx_may_have_merged_cells(path);
    let mut visible = Vec::new();
    for sheet in metadata {
        if sheet.typ != SheetType::WorkSheet {
            continue;
        }
        if sheet.visible != SheetVisible::Visible {
            opened.notes.push(note(
                path,
                Some(&sheet.name),
                None,
                "sheet.hidden",
                format!(
                    "sheet '{}' is hidden and was not read; unhide it if its rows should be imported",
                    sheet.name
                ),
            ));
            continue;
        }
        visible.push(sheet.name);
    }
    if stream
        && !xlsx_merges
        && let Sheets::Xlsx(book) = workbook
    {
        match super::stream::spawn(path, book, visible.clone(), date1904) {
            Ok(sheets) => {
                for sheet in sheets {
                    opened.sheets.push(Box::new(sheet));
                }
                return Ok(opened);
            }
            // No thread could be started: the range path below.
            Err(book) => workbook = Sheets::Xlsx(*book),
        }
    }
    for name in visible {
        let mut range = load_range(&mut workbook, path, &name)?;
        let merged = match &mut workbook {
            Sheets::Xlsx(x) if xlsx_merges => {
                x.merge_cells_by_sheet_name(&name).unwrap_or_default()
            }
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut notes = Vec::new();
        if let Some(region) = spread_merged(&mut range, &merged) {
            notes.push(note(
                path,
                Some(&name),
                None,
                "sheet.merged_cells",
                format!(
                    "sheet '{}' has merged cells (e.g. {region}); their value was used for every \
                     cell they cover. Unmerge them to be sure each row says what you mean",
                    name
                ),
            ));
        }
        opened.sheets.push(Box::new(WorkbookSheet {
            file: path.to_path_buf(),
            name,
            range,
            date1904,
            next: 0,
            notes,
        }));
    }
    Ok(opened)
}

/// A part of a zipped workbook may unzip to this much whatever its compression…
const UNZIPPED_PART_OK: u64 = 256 * 1024 * 1024;
/// …and past that, to at most this many times its compressed size (real sheets compress
/// 5–30×; a zip bomb 1000×).
const MAX_RATIO: u64 = 100;
/// No workbook unzips to more than this in total.
const MAX_UNZIPPED: u64 = 4 * 1024 * 1024 * 1024;
/// The most XML (all worksheets and the shared strings together, as the archive declares them
/// unzipped) read from one workbook. calamine parses each sheet's XML into memory, which took
/// about 1.7 bytes of memory per byte of XML: a 17 MB file of 15 sheets of 250 MB each peaked
/// at 6.3 GB. 512 MiB holds ~10 million ordinary cells and needs under 1 GB.
pub const XML_BUDGET: u64 = 512 * 1024 * 1024;

/// Whether a zip part is a worksheet or the shared strings (xlsx/xlsm XML, xlsb binary parts,
/// an ods file's `content.xml`): what calamine parses whole.
fn counts_towards_budget(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("xl/worksheets/") && (name.ends_with(".xml") || name.ends_with(".bin"))
        || name.starts_with("xl/sharedstrings.")
        || name == "content.xml"
}

/// Refuse a zipped workbook (xlsx, xlsm, xlsb, ods) whose parts would unzip to an absurd size
/// (a "zip bomb"), from the sizes its directory declares, before anything is decompressed.
/// Files that are not zip archives are left to calamine to diagnose.
fn check_unzipped_size(path: &Path) -> Result<(), SourceError> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    let mut xml: u64 = 0;
    for i in 0..archive.len() {
        let Ok(part) = archive.by_index_raw(i) else {
            continue;
        };
        let (size, packed) = (part.size(), part.compressed_size().max(1));
        total = total.saturating_add(size);
        if counts_towards_budget(&part.name().unwrap_or_default()) {
            xml = xml.saturating_add(size);
        }
        if (size > UNZIPPED_PART_OK && size / packed > MAX_RATIO) || total > MAX_UNZIPPED {
            return Err(SourceError::Workbook {
                file: path.to_path_buf(),
                message: format!(
                    "its part {} would be {} MB once unzipped, from {} KB: this is not an \
                     ordinary workbook and was not opened",
                    part.name().unwrap_or_default(),
                    size / 1_000_000,
                    packed / 1_000
                ),
            });
        }
    }
    if xml > XML_BUDGET {
        return Err(SourceError::TooLarge {
            file: path.to_path_buf(),
            message: format!(
                "its sheets and shared strings unzip to {} MiB of XML, more than the {} MiB \
                 this tool reads from one workbook (reading it would take several GB of memory); \
                 split it into smaller workbooks (fewer sheets or rows each) or save each sheet \
                 as CSV, which is read in constant memory",
                xml.div_ceil(1024 * 1024),
                XML_BUDGET / (1024 * 1024)
            ),
        });
    }
    Ok(())
}

/// The most cells a sheet's used area may span. calamine holds a sheet as one dense grid, so a
/// single stray cell at `XFD1048576` would ask for 17 billion cells; past this (about 512 MB)
/// the sheet is refused with advice instead.
pub const MAX_SHEET_CELLS: u64 = 16 * 1024 * 1024;

/// Load a worksheet. For xlsx the used cells are read first and the grid is built only when
/// its span is sane; other formats cap their own size (xls: 65,536 × 256).
fn load_range(
    workbook: &mut Sheets<std::io::BufReader<std::fs::File>>,
    path: &Path,
    name: &str,
) -> Result<Range<Data>, SourceError> {
    let sheet_error = |message: String| SourceError::Sheet {
        file: path.to_path_buf(),
        sheet: name.to_string(),
        message,
    };
    let Sheets::Xlsx(xlsx) = workbook else {
        return workbook
            .worksheet_range(name)
            .map_err(|e| sheet_error(e.to_string()));
    };
    let mut reader = xlsx
        .worksheet_cells_reader(name)
        .map_err(|e| sheet_error(e.to_string()))?;
    let mut cells = Vec::new();
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0u32, 0u32));
    while let Some(cell) = reader.next_cell().map_err(|e| sheet_error(e.to_string()))? {
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        first = (first.0.min(r), first.1.min(c));
        last = (last.0.max(r), last.1.max(c));
        cells.push(calamine::Cell::new(
            (r, c),
            Data::from(cell.get_value().clone()),
        ));
    }
    drop(reader);
    if let Some(span) = oversized(first, last, cells.len()) {
        return Err(sheet_error(span));
    }
    Ok(Range::from_sparse(cells))
}

/// When the used area from `first` to `last` (0-based, inclusive) is too big to hold, why.
pub(super) fn oversized(first: (u32, u32), last: (u32, u32), used: usize) -> Option<String> {
    if used == 0 {
        return None;
    }
    let rows = u64::from(last.0.saturating_sub(first.0)) + 1;
    let cols = u64::from(last.1.saturating_sub(first.1)) + 1;
    (rows * cols > MAX_SHEET_CELLS).then(|| {
        format!(
            "its cells span {}{}:{}{} ({} rows × {} columns), too many to check; delete the rows \
             and columns past your data (Ctrl+End shows the last cell Excel thinks is used) or \
             save the sheet as CSV",
            column_letter(first.1 as usize),
            first.0 + 1,
            column_letter(last.1 as usize),
            last.0 + 1,
            rows,
            cols
        )
    })
}

/// Copy the value of each merged region's top-left cell into the cells it covers (only those
/// inside the used area, so a region as big as the sheet costs nothing). Returns the first
/// region (as `A2:A5`) when there was any.
fn spread_merged(range: &mut Range<Data>, merged: &[calamine::Dimensions]) -> Option<String> {
    let mut first = None;
    for region in merged {
        let (r0, c0) = region.start;
        let (r1, c1) = region.end;
        let value = range.get_value((r0, c0)).cloned().unwrap_or_default();
        first.get_or_insert_with(|| {
            format!(
                "{}{}:{}{}",
                column_letter(c0 as usize),
                r0 + 1,
                column_letter(c1 as usize),
                r1 + 1
            )
        });
        let (Some((top, left)), Some((bottom, right))) = (range.start(), range.end()) else {
            continue;
        };
        if value == Data::Empty {
            continue;
        }
        for r in r0.max(top)..=r1.min(bottom) {
            for c in c0.max(left)..=c1.min(right) {
                if (r, c) != (r0, c0) && range.get_value((r, c)).is_some() {
                    range.set_value((r, c), value.clone());
                }
            }
        }
    }
    first
}

impl SheetReader for WorkbookSheet {
    fn file(&self) -> &Path {
        &self.file
    }

    fn sheet(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn date1904(&self) -> bool {
        self.date1904
    }

    fn next_row(&mut self, buf: &mut RowBuf) -> Result<bool, SourceError> {
        buf.clear();
        let (height, width) = self.range.get_size();
        if self.next >= height {
            return Ok(false);
        }
        let (start_row, start_col) = self.range.start().unwrap_or((0, 0));
        let index = self.next;
        self.next += 1;
        buf.row = start_row + index as u32 + 1;
        // Columns left of the used range still count, so letters match what the user sees.
        for _ in 0..start_col {
            buf.push_text("");
        }
        for col in 0..width {
            let cell = self.range.get((index, col)).unwrap_or(&Data::Empty);
            push_cell(buf, cell, self.date1904);
        }
        Ok(true)
    }

    fn take_notes(&mut self) -> Vec<CellFinding> {
        std::mem::take(&mut self.notes)
    }
}

/// One calamine cell into the row: numbers without exponent or trailing `.0`, dates as
/// `YYYY-MM-DD` (with the serial kept as the number), errors as errors.
pub(super) fn push_cell(buf: &mut RowBuf, cell: &Data, date1904: bool) {
    match cell {
        Data::Empty => buf.push_text(""),
        Data::String(s) => buf.push_text(s),
        Data::Int(i) => buf.push_integer(*i, Some(*i as f64)),
        Data::Float(f) => match whole(*f) {
            Some(i) => buf.push_integer(i, Some(*f)),
            None => buf.push_fmt(format_args!("{f}"), Some(*f)),
        },
        Data::Bool(b) => buf.push_text(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            match excel_serial_to_date(serial, date1904).filter(|_| dt.is_datetime()) {
                Some(date) if serial.fract() == 0.0 => buf.push_date(date, None, Some(serial)),
                Some(date) => {
                    let secs = (serial.fract() * 86_400.0).round() as u32;
                    buf.push_date(date, Some((secs / 3600, secs / 60 % 60)), Some(serial))
                }
                None => buf.push_fmt(format_args!("{serial}"), Some(serial)),
            }
        }
        Data::DateTimeIso(s) => buf.push_text(s.strip_suffix("T00:00:00").unwrap_or(s)),
        Data::DurationIso(s) => buf.push_text(s),
        Data::Error(e) => buf.push_error(&e.to_string()),
    }
}

/// The integer a float holds when `{f}` would write it as that integer's digits: whole, not
/// `-0`, and small enough (below 2^53) to be exact.
fn whole(f: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (f.fract() == 0.0 && f.abs() < EXACT && !(f == 0.0 && f.is_sign_negative())).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUZZ_CRASH_XLS: &[u8] = include_bytes!("../../tests/data/bad/fuzz-crash-cfb-sector.xls");

    #[test]
    fn a_panic_in_the_workbook_reader_is_an_error() {
        let path = Path::new("damaged.xls");
        let result: Result<(), SourceError> = contain_panics(path, || panic!("cfb sector"));
        let err = result.expect_err("contained");
        assert!(err.to_string().contains("damaged.xls"), "{err}");
        assert!(err.to_string().contains("damaged"), "{err}");
        // The guard is off again: later reads are not affected.
        assert!(!GUARDED.with(std::cell::Cell::get));
    }

    /// Found by `cargo fuzz run workbook_reader`: a compound file whose sector chain ends in a
    /// one-byte sector made calamine's xls reader assert.
    #[test]
    fn fuzz_crash_damaged_xls_sector_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("crash.xls");
        std::fs::write(&path, FUZZ_CRASH_XLS).expect("write");
        let err = open(&path).err().expect("refused");
        assert!(err.to_string().contains("crash.xls"), "{err}");
    }

    /// A workbook of `sheets` tiny sheets and shared strings whose directory declares each
    /// part `declared` bytes unzipped (the sizes are patched into the central directory, so the
    /// test writes and reads a few KB whatever it declares).
    fn workbook_declaring(dir: &Path, sheets: usize, declared: u32) -> PathBuf {
        use std::io::Write;
        let path = dir.join("big.xlsx");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut names = vec!["[Content_Types].xml".to_string(), "xl/workbook.xml".into()];
        names.extend((1..=sheets).map(|i| format!("xl/worksheets/sheet{i}.xml")));
        names.push("xl/sharedStrings.xml".into());
        for name in &names {
            zip.start_file(name.as_str(), stored).expect("part");
            zip.write_all(b"<x/>").expect("write");
        }
        zip.finish().expect("finish");
        // Central directory headers (PK\x01\x02) carry the unzipped size at offset 24.
        let mut bytes = std::fs::read(&path).expect("read");
        let mut at = 0;
        while let Some(found) = bytes
            .get(at..)
            .and_then(|rest| rest.windows(4).position(|w| w == b"PK\x01\x02"))
        {
            let header = at + found;
            let name_len =
                usize::from(u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]));
            let name = String::from_utf8_lossy(&bytes[header + 46..header + 46 + name_len]);
            if name.starts_with("xl/worksheets/") || name.starts_with("xl/sharedStrings") {
                bytes[header + 24..header + 28].copy_from_slice(&declared.to_le_bytes());
            }
            at = header + 4;
        }
        std::fs::write(&path, bytes).expect("patch");
        path
    }

    /// Issue 17: 15 sheets of 250 MB of XML each passed the zip-bomb checks (no part over 4 GB
    /// in total, each under the per-part limit) and needed 6.3 GB of memory.
    #[test]
    fn a_workbook_past_the_xml_budget_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().expect("dir");
        // 15 sheets + shared strings of 40 MiB each: 640 MiB, under every per-part limit.
        let path = workbook_declaring(dir.path(), 15, 40 * 1024 * 1024);
        let err = open(&path).err().expect("refused");
        let text = err.to_string();
        assert!(matches!(err, SourceError::TooLarge { .. }), "{text}");
        assert!(text.contains("big.xlsx"), "{text}");
        assert!(
            text.contains("640 MiB") && text.contains("512 MiB"),
            "{text}"
        );
        assert!(text.contains("save each sheet as CSV"), "{text}");
        // Within the budget the same parts go on to the reader (which finds them damaged).
        let small = workbook_declaring(dir.path(), 15, 30 * 1024 * 1024);
        let err = open(&small).err().expect("not a real workbook");
        assert!(!matches!(err, SourceError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn a_stray_far_cell_is_refused_with_its_address() {
        let why = oversized((0, 0), (1_048_575, 16_383), 13).expect("too big");
        assert!(why.contains("A1:XFD1048576"), "{why}");
        assert!(why.contains("Ctrl+End"), "{why}");
        assert_eq!(oversized((0, 0), (99_999, 59), 6_000_000), None);
        assert_eq!(oversized((0, 0), (0, 0), 0), None);
    }

    #[test]
    fn whole_floats_are_written_as_format_writes_them() {
        for f in [
            0.0,
            -0.0,
            1.0,
            -3.0,
            12.5,
            1e15,
            9_007_199_254_740_991.0,
            1e16,
            1e300,
        ] {
            let mut fast = RowBuf::default();
            push_cell(&mut fast, &Data::Float(f), false);
            assert_eq!(
                fast.get(0).map(|c| c.text),
                Some(format!("{f}").as_str()),
                "{f}"
            );
        }
    }

    #[test]
    fn a_merged_region_bigger_than_the_sheet_fills_only_the_used_area() {
        let mut range = Range::new((0, 0), (2, 2));
        range.set_value((0, 0), Data::String("x".into()));
        let whole = calamine::Dimensions::new((0, 0), (1_048_575, 16_383));
        assert_eq!(
            spread_merged(&mut range, &[whole]).as_deref(),
            Some("A1:XFD1048576")
        );
        assert_eq!(range.get_value((2, 2)), Some(&Data::String("x".into())));
        assert_eq!(range.get_size(), (3, 3));
    }
}
