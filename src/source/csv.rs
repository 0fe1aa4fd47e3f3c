//! Delimited text: delimiter sniffed among `, ; \t |`, quoted fields, UTF-8 with or without a
//! byte-order mark, and a Windows-1252 fallback (what Excel's "CSV" writes on Windows) detected
//! and converted. Records are streamed through one reused [`csv::ByteRecord`].

use std::fs::File;
use std::io::{Chain, Cursor, Read};
use std::path::{Path, PathBuf};

use super::{RowBuf, SheetReader, SourceError, note};
use crate::model::CellFinding;

/// How much of the file is looked at to choose the delimiter and encoding.
const SAMPLE: usize = 64 * 1024;
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

/// A CSV file read record by record.
pub struct CsvSheet {
    file: PathBuf,
    reader: csv::Reader<LineEnds<Chain<Cursor<Vec<u8>>, File>>>,
    record: csv::ByteRecord,
    encoding: Encoding,
    delimiter: u8,
    notes: Vec<CellFinding>,
    warned_mixed: bool,
    /// Lines end in CR LF: the reader leaves each record's LF for the next read.
    crlf: bool,
    first: bool,
    /// Bytes after the byte-order mark, and whether the last one is a line feed.
    len: u64,
    ends_with_lf: bool,
    /// The first line is Excel's `sep=X` hint, not data.
    skip_sep_line: bool,
}

impl CsvSheet {
    /// Open `path`, sniffing its encoding and delimiter from the first 64 KiB.
    pub fn open(path: &Path) -> Result<CsvSheet, SourceError> {
        let io = |error| SourceError::Io {
            file: path.to_path_buf(),
            error,
        };
        let mut file = File::open(path).map_err(io)?;
        let mut sample = Vec::with_capacity(SAMPLE);
        (&mut file)
            .take(SAMPLE as u64)
            .read_to_end(&mut sample)
            .map_err(io)?;
        if sample.starts_with(&[0xFF, 0xFE])
            || sample.starts_with(&[0xFE, 0xFF])
            || looks_utf16(&sample)
        {
            return Err(SourceError::Encoding {
                file: path.to_path_buf(),
                encoding: "UTF-16 (Excel's \"Unicode Text\")",
            });
        }
        let bom = if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        let body = sample.get(bom..).unwrap_or_default();
        let encoding = sniff_encoding(body);
        // Excel writes (and honours) a first line `sep=;` naming the delimiter.
        let sep_line = excel_sep_line(body);
        let delimiter = sep_line.unwrap_or_else(|| sniff_delimiter(body));
        let crlf = body
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|i| i > 0 && body.get(i - 1) == Some(&b'\r'));
        // Old Mac line ends (CR alone, Excel's "CSV (Macintosh)") are read as LF, so that lines
        // are counted right.
        let cr_only = body.contains(&b'\r') && !body.contains(&b'\n');
        let mut notes = Vec::new();
        if encoding == Encoding::Windows1252 {
            notes.push(note(
                path,
                None,
                None,
                "csv.windows_1252",
                "the file is not UTF-8; it was read as Windows-1252 (Excel's \"CSV\" on Windows). \
                 Check that accented names and £/€ signs look right, or save as \"CSV UTF-8\""
                    .into(),
            ));
        }
        let len = file
            .metadata()
            .map_err(io)?
            .len()
            .saturating_sub(bom as u64);
        let last = last_byte(&mut file, sample.len()).map_err(io)?;
        let ends_with_lf = last == Some(b'\n') || (cr_only && last == Some(b'\r'));
        let sample = sample.split_off(bom);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(SAMPLE)
            .from_reader(LineEnds {
                inner: Cursor::new(sample).chain(file),
                cr_only,
            });
        Ok(CsvSheet {
            file: path.to_path_buf(),
            reader,
            record: csv::ByteRecord::new(),
            encoding,
            delimiter,
            notes,
            warned_mixed: false,
            crlf,
            first: true,
            len,
            ends_with_lf,
            skip_sep_line: sep_line.is_some(),
        })
    }

    /// The delimiter chosen for this file.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The encoding chosen for this file.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
}

impl CsvSheet {
    /// The line the record just read starts on, as a text editor numbers it. The csv crate's
    /// own position does not count blank lines skipped before a record nor, with CR LF endings,
    /// the previous record's LF, so the start is worked back from the line the record ends on.
    fn record_line(&self) -> u64 {
        let after = self.reader.position().line();
        let inner = memchr::memchr_iter(b'\n', self.record.as_slice()).count() as u64;
        let at_end = self.reader.position().byte() >= self.len;
        let terminator = u64::from(!self.crlf && (!at_end || self.ends_with_lf));
        let from_end = after.saturating_sub(inner + terminator);
        let from_start =
            self.record.position().map_or(1, |p| p.line()) + u64::from(self.crlf && !self.first);
        from_end.max(from_start)
    }
}

impl SheetReader for CsvSheet {
    fn file(&self) -> &Path {
        &self.file
    }

    fn sheet(&self) -> Option<&str> {
        None
    }

    fn next_row(&mut self, buf: &mut RowBuf) -> Result<bool, SourceError> {
        buf.clear();
        if std::mem::take(&mut self.skip_sep_line) {
            let _ = self.reader.read_byte_record(&mut self.record);
            self.first = false;
        }
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| SourceError::Csv {
                file: self.file.clone(),
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })?;
        if !more {
            return Ok(false);
        }
        if self.record.len() > super::MAX_COLUMNS {
            return Err(SourceError::TooWide {
                file: self.file.clone(),
                line: self.record_line(),
                columns: self.record.len(),
            });
        }
        buf.row = u32::try_from(self.record_line()).unwrap_or(u32::MAX);
        self.first = false;
        // One UTF-8 check for the whole record: fields split at ASCII delimiters and quotes, so
        // each is valid when the record is, and is then a slice of it.
        if self.encoding == Encoding::Utf8
            && let Ok(text) = std::str::from_utf8(self.record.as_slice())
        {
            for i in 0..self.record.len() {
                let field = self.record.range(i).and_then(|r| text.get(r)).unwrap_or("");
                buf.push_text(field);
            }
            return Ok(true);
        }
        for field in self.record.iter() {
            match self.encoding {
                Encoding::Utf8 => match std::str::from_utf8(field) {
                    Ok(text) => buf.push_text(text),
                    Err(_) => {
                        if !self.warned_mixed {
                            self.warned_mixed = true;
                            self.notes.push(note(
                                &self.file,
                                None,
                                Some(buf.row),
                                "csv.mixed_encoding",
                                "this row is not valid UTF-8 although the start of the file is; \
                                 it was read as Windows-1252. Save the file as \"CSV UTF-8\""
                                    .into(),
                            ));
                        }
                        buf.push_text(&decode_1252(field));
                    }
                },
                Encoding::Windows1252 => buf.push_text(&decode_1252(field)),
            }
        }
        Ok(true)
    }

    fn take_notes(&mut self) -> Vec<CellFinding> {
        std::mem::take(&mut self.notes)
    }
}

/// The bytes of a file, with every CR turned into LF when the file ends its lines with CR alone.
pub struct LineEnds<R> {
    inner: R,
    cr_only: bool,
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.cr_only {
            for b in buf.iter_mut().take(n) {
                if *b == b'\r' {
                    *b = b'\n';
                }
            }
        }
        Ok(n)
    }
}

/// Text saved as UTF-16 without a byte-order mark: in the first 64 bytes, most even bytes (big
/// endian) or most odd bytes (little endian) are NUL, as for ASCII text in UTF-16.
fn looks_utf16(sample: &[u8]) -> bool {
    let head = sample.get(..64.min(sample.len())).unwrap_or_default();
    let pairs = head.len() / 2;
    if pairs < 4 {
        return false;
    }
    let nul_at = |parity: usize| {
        head.iter()
            .enumerate()
            .filter(|&(i, &b)| i % 2 == parity && b == 0)
            .count()
    };
    let (even, odd) = (nul_at(0), nul_at(1));
    (odd * 10 >= pairs * 9 && even == 0) || (even * 10 >= pairs * 9 && odd == 0)
}

/// The file's last byte, leaving the read position at `resume`.
fn last_byte(file: &mut File, resume: usize) -> std::io::Result<Option<u8>> {
    use std::io::{Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut byte = [0u8; 1];
    let n = file.read(&mut byte)?;
    file.seek(SeekFrom::Start(resume as u64))?;
    Ok((n == 1).then_some(byte[0]))
}

fn decode_1252(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
}

/// The delimiter named by a first line `sep=X` (Excel's hint), if there is one.
fn excel_sep_line(sample: &[u8]) -> Option<u8> {
    let rest = sample.strip_prefix(b"sep=")?;
    let (&delimiter, after) = rest.split_first()?;
    let line_end = after.first().is_none_or(|&b| b == b'\r' || b == b'\n');
    (line_end && delimiter != b'"').then_some(delimiter)
}

/// UTF-8 unless the sample holds a byte sequence UTF-8 cannot (a sample cut inside the last
/// character still counts as UTF-8).
pub fn sniff_encoding(sample: &[u8]) -> Encoding {
    match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// The delimiter that splits the first lines into the same, largest number of fields.
/// Delimiters inside double quotes do not count. Defaults to a comma.
pub fn sniff_delimiter(sample: &[u8]) -> u8 {
    let lines = logical_lines(sample, 20);
    let mut best = (0usize, 0usize, b',');
    for &delimiter in &DELIMITERS {
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| count_unquoted(line, delimiter))
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first == 0 {
            continue;
        }
        let agreeing = counts.iter().filter(|&&c| c == first).count();
        if (agreeing, first) > (best.0, best.1) {
            best = (agreeing, first, delimiter);
        }
    }
    best.2
}

/// Up to `max` complete, non-blank lines, splitting only on newlines outside quotes.
fn logical_lines(sample: &[u8], max: usize) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, &b) in sample.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                let line = sample.get(start..i).unwrap_or_default();
                if line.iter().any(|b| !b.is_ascii_whitespace()) {
                    lines.push(line);
                }
                start = i + 1;
                if lines.len() == max {
                    return lines;
                }
            }
            _ => {}
        }
    }
    // The last line counts only if the whole file fitted in the sample.
    if sample.len() < SAMPLE {
        let line = sample.get(start..).unwrap_or_default();
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            lines.push(line);
        }
    }
    lines
}

fn count_unquoted(line: &[u8], delimiter: u8) -> usize {
    let mut in_quotes = false;
    line.iter()
        .filter(|&&b| {
            if b == b'"' {
                in_quotes = !in_quotes;
            }
            b == delimiter && !in_quotes
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (CsvSheet, Vec<(u32, Vec<String>)>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).expect("write");
        let mut sheet = CsvSheet::open(&path).expect("open");
        let mut buf = RowBuf::default();
        let mut rows = Vec::new();
        while sheet.next_row(&mut buf).expect("row") {
            rows.push((buf.row, buf.cells().map(|c| c.text.to_string()).collect()));
        }
        (sheet, rows)
    }

    #[test]
    fn sniffs_each_delimiter() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n1|2|3\n"), b'|');
        assert_eq!(sniff_delimiter(b"\"x;y\",b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"single\nvalue\n"), b',');
    }

    #[test]
    fn strips_bom_and_keeps_line_numbers_of_multiline_fields() {
        let (sheet, rows) = read_all(b"\xEF\xBB\xBFName;Note\r\nAnn;\"two\nlines\"\r\nBob;x\r\n");
        assert_eq!(sheet.delimiter(), b';');
        assert_eq!(rows[0], (1, vec!["Name".to_string(), "Note".to_string()]));
        assert_eq!(rows[1].1[1], "two\nlines");
        assert_eq!(rows[2].0, 4);
    }

    #[test]
    fn line_numbers_count_blank_lines_and_both_line_endings() {
        for text in [
            &b"h;n\nAnn;\"two\nlines\"\nBob;x\n\nCy;y\n"[..],
            &b"h;n\r\nAnn;\"two\nlines\"\r\nBob;x\r\n\r\nCy;y\r\n"[..],
            &b"h;n\nAnn;\"two\nlines\"\nBob;x\n\nCy;y"[..],
            &b"h;n\r\nAnn;\"two\nlines\"\r\nBob;x\r\n\r\nCy;y"[..],
        ] {
            let (_, rows) = read_all(text);
            let lines: Vec<u32> = rows.iter().map(|r| r.0).collect();
            assert_eq!(lines, [1, 2, 4, 6], "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn excel_sep_line_names_the_delimiter_and_is_not_data() {
        let (sheet, rows) = read_all(b"sep=;\r\nCode;Rate\r\nPR1;1,5\r\n");
        assert_eq!(sheet.delimiter(), b';');
        assert_eq!(rows[0], (2, vec!["Code".to_string(), "Rate".to_string()]));
        assert_eq!(rows[1], (3, vec!["PR1".to_string(), "1,5".to_string()]));
    }

    #[test]
    fn windows_1252_is_detected_and_converted() {
        let (mut sheet, rows) = read_all(b"Name,Rate\nZo\xEB,\xA312.50\n");
        assert_eq!(sheet.encoding(), Encoding::Windows1252);
        assert_eq!(rows[1].1, vec!["Zoë".to_string(), "£12.50".to_string()]);
        assert_eq!(sheet.take_notes()[0].finding.code, "csv.windows_1252");
    }

    #[test]
    fn utf16_without_a_bom_is_refused_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("u.csv");
        let text: Vec<u8> = "Name,Rate\nAnn,1\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        std::fs::write(&path, text).expect("write");
        let err = CsvSheet::open(&path).err().expect("error");
        assert!(err.to_string().contains("UTF-16"), "{err}");
        // A file with a few NUL bytes is not taken for UTF-16.
        assert!(!looks_utf16(b"Name,Rate\nA\0n,1\nBob,2\n"));
    }

    #[test]
    fn old_mac_line_ends_are_lines() {
        for text in [&b"h;n\rAnn;x\rBob;y\r"[..], &b"h;n\rAnn;x\r\rBob;y"[..]] {
            let (_, rows) = read_all(text);
            let lines: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let expected: &[u32] = if text.ends_with(b"\r") {
                &[1, 2, 3]
            } else {
                &[1, 2, 4]
            };
            assert_eq!(lines, expected, "{}", String::from_utf8_lossy(text));
            assert_eq!(rows[1].1, vec!["Ann".to_string(), "x".to_string()]);
        }
    }

    #[test]
    fn utf16_is_refused_with_advice() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("u.csv");
        std::fs::write(&path, b"\xFF\xFEa\0").expect("write");
        let err = CsvSheet::open(&path).err().expect("error");
        assert!(err.to_string().contains("CSV UTF-8"), "{err}");
    }
}
