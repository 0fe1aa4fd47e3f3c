//! xlsx worksheets read on a thread of their own while the rows already read are validated.
//!
//! Reading a sheet with calamine is most of the time of validating an xlsx file (≈ 60 %), and
//! the range path ([`super::workbook`]) reads the whole sheet before its first row is checked.
//! Here one thread per workbook turns calamine's cells straight into rows (no `Range`, no
//! `String` per shared-string cell) and hands them on in chunks, in row order, through one
//! channel per sheet; the validating thread sends the emptied chunks back, so row buffers are
//! allocated and freed on the reading thread only.
//!
//! Used only where it gives exactly the rows the range path gives: xlsx workbooks without
//! merged cells (see [`super::merges`]), with more than one thread allowed. The range path
//! sorts cells into place; a stream cannot, so a sheet whose cells come out of row and column
//! order ends in [`SourceError::Unordered`], and the caller reads the batch again through the
//! range path (see `schema::load`). The oversized-sheet refusal, calamine's errors and panics
//! are reported with the same messages as the range path, when the consumer reaches them.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use calamine::{Data, DataRef, Xlsx};

use super::workbook::{contain_panics, oversized, push_cell};
use super::{RowBuf, SheetReader, SourceError};

/// Rows per chunk handed over: large enough that a channel operation per chunk costs nothing,
/// small enough that validation starts at once.
const CHUNK: usize = 512;

type Book = Xlsx<BufReader<std::fs::File>>;

/// What the reading thread says about one sheet.
enum Msg {
    Rows(Vec<RowBuf>),
    Done,
    Failed(SourceError),
    Unordered,
}

/// One sheet whose rows arrive from the reading thread.
pub struct StreamedSheet {
    file: PathBuf,
    name: String,
    date1904: bool,
    rows: Receiver<Msg>,
    recycle: Sender<Vec<RowBuf>>,
    chunk: Vec<RowBuf>,
    next: usize,
    done: bool,
}

/// Start reading `names` (visible worksheets, in workbook order) of `book` on a new thread.
/// `Err` gives the workbook back when no thread could be started.
pub(super) fn spawn(
    path: &Path,
    book: Book,
    names: Vec<String>,
    date1904: bool,
) -> Result<Vec<StreamedSheet>, Box<Book>> {
    let (recycle, recycled) = channel();
    let mut senders = Vec::new();
    let mut sheets = Vec::new();
    for name in &names {
        let (tx, rx) = channel();
        senders.push(tx);
        sheets.push(StreamedSheet {
            file: path.to_path_buf(),
            name: name.clone(),
            date1904,
            rows: rx,
            recycle: recycle.clone(),
            chunk: Vec::new(),
            next: 0,
            done: false,
        });
    }
    // The workbook comes back through this slot if the thread cannot be started.
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(book)));
    let theirs = std::sync::Arc::clone(&slot);
    let file = path.to_path_buf();
    let started = std::thread::Builder::new()
        .name("xlsx-reader".into())
        .spawn(move || {
            let book = theirs.lock().ok().and_then(|mut b| b.take());
            if let Some(mut book) = book {
                produce(&mut book, &file, &names, &senders, &recycled, date1904);
            }
        });
    match started {
        Ok(_) => Ok(sheets),
        Err(_) => match slot.lock().ok().and_then(|mut b| b.take()) {
            Some(book) => Err(Box::new(book)),
            None => Ok(sheets),
        },
    }
}

/// Read every sheet in turn. After a sheet fails (or is out of order) the later sheets are not
/// read and report the same outcome, as the range path refused the whole workbook at the first.
fn produce(
    book: &mut Book,
    file: &Path,
    names: &[String],
    senders: &[Sender<Msg>],
    recycled: &Receiver<Vec<RowBuf>>,
    date1904: bool,
) {
    for (i, (name, tx)) in names.iter().zip(senders).enumerate() {
        let outcome = contain_panics(file, || {
            read_sheet(book, file, name, tx, recycled, date1904)
        });
        let stop = match outcome {
            Ok(true) => {
                let _ = tx.send(Msg::Done);
                continue;
            }
            Ok(false) => None,
            Err(error) => Some(error),
        };
        for tx in senders.get(i..).unwrap_or_default() {
            let _ = tx.send(match &stop {
                None => Msg::Unordered,
                Some(error) => Msg::Failed(again(error)),
            });
        }
        return;
    }
}

/// The same error once more (the errors made here are all of these two kinds).
fn again(error: &SourceError) -> SourceError {
    match error {
        SourceError::Sheet {
            file,
            sheet,
            message,
        } => SourceError::Sheet {
            file: file.clone(),
            sheet: sheet.clone(),
            message: message.clone(),
        },
        SourceError::Workbook { file, message } => SourceError::Workbook {
            file: file.clone(),
            message: message.clone(),
        },
        other => SourceError::Workbook {
            file: PathBuf::new(),
            message: other.to_string(),
        },
    }
}

/// Stream one sheet's rows to `tx`. `Ok(false)` when its cells are out of order.
fn read_sheet(
    book: &mut Book,
    file: &Path,
    name: &str,
    tx: &Sender<Msg>,
    recycled: &Receiver<Vec<RowBuf>>,
    date1904: bool,
) -> Result<bool, SourceError> {
    let sheet_error = |message: String| SourceError::Sheet {
        file: file.to_path_buf(),
        sheet: name.to_string(),
        message,
    };
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|e| sheet_error(e.to_string()))?;
    let mut out = Chunk::new(tx, recycled);
    // The row being filled (0-based) and the next column it may take.
    let mut at: Option<(u32, u32)> = None;
    let (mut first, mut last, mut used) = ((u32::MAX, u32::MAX), (0u32, 0u32), 0usize);
    while let Some(cell) = reader.next_cell().map_err(|e| sheet_error(e.to_string()))? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        used += 1;
        first = (first.0.min(r), first.1.min(c));
        last = (last.0.max(r), last.1.max(c));
        if oversized(first, last, used).is_some() {
            // The message names the whole used area, as the range path's does.
            while let Some(cell) = reader.next_cell().map_err(|e| sheet_error(e.to_string()))? {
                if !matches!(cell.get_value(), DataRef::Empty) {
                    let (r, c) = cell.get_position();
                    used += 1;
                    first = (first.0.min(r), first.1.min(c));
                    last = (last.0.max(r), last.1.max(c));
                }
            }
            return Err(sheet_error(
                oversized(first, last, used).unwrap_or_default(),
            ));
        }
        match at {
            Some((row, next)) if row == r && c >= next => {}
            Some((row, _)) if r > row => {
                // Rows without a used cell in between are blank rows, as in the range.
                for blank in row + 1..r {
                    out.open(blank + 1);
                }
                out.open(r + 1);
            }
            Some(_) => return Ok(false),
            None => out.open(r + 1),
        }
        if out.gone {
            return Ok(true);
        }
        at = Some((r, c + 1));
        if let Some(row) = out.current() {
            // Columns left of the cell are empty cells, so letters match what the user sees.
            while row.len() < c as usize {
                row.push_text("");
            }
            push_value(row, value, date1904);
        }
    }
    out.send();
    Ok(true)
}

/// One cell's value into the row, as the range path shows it (shared strings without a copy).
fn push_value(row: &mut RowBuf, value: &DataRef<'_>, date1904: bool) {
    match value {
        DataRef::SharedString(s) => row.push_text(s),
        DataRef::String(s) => row.push_text(s),
        other => push_cell(row, &Data::from(other.clone()), date1904),
    }
}

/// The chunk being filled, its row buffers reused from chunks the validating thread returned.
struct Chunk<'a> {
    rows: Vec<RowBuf>,
    filled: usize,
    tx: &'a Sender<Msg>,
    recycled: &'a Receiver<Vec<RowBuf>>,
    /// Nobody reads this sheet any more (the validating side stopped).
    gone: bool,
}

impl<'a> Chunk<'a> {
    fn new(tx: &'a Sender<Msg>, recycled: &'a Receiver<Vec<RowBuf>>) -> Self {
        let mut chunk = Chunk {
            rows: Vec::new(),
            filled: 0,
            tx,
            recycled,
            gone: false,
        };
        chunk.refill();
        chunk
    }

    fn refill(&mut self) {
        self.rows = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        self.filled = 0;
    }

    /// Start row `row` (1-based): a cleared buffer at the end of the chunk.
    fn open(&mut self, row: u32) {
        if self.filled == CHUNK {
            self.send();
        }
        if self.filled == self.rows.len() {
            self.rows.push(RowBuf::default());
        }
        if let Some(buf) = self.rows.get_mut(self.filled) {
            buf.clear();
            buf.row = row;
        }
        self.filled += 1;
    }

    /// The row being filled (opened before).
    fn current(&mut self) -> Option<&mut RowBuf> {
        self.rows.get_mut(self.filled.checked_sub(1)?)
    }

    /// Hand the filled rows on and start a new chunk.
    fn send(&mut self) {
        if self.filled == 0 {
            return;
        }
        self.rows.truncate(self.filled);
        let rows = std::mem::take(&mut self.rows);
        self.gone |= self.tx.send(Msg::Rows(rows)).is_err();
        self.refill();
    }
}

impl StreamedSheet {
    fn stopped(&self) -> SourceError {
        SourceError::Workbook {
            file: self.file.clone(),
            message: "the file is damaged: its structure makes no sense to the workbook reader"
                .into(),
        }
    }
}

impl SheetReader for StreamedSheet {
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
        loop {
            if let Some(row) = self.chunk.get_mut(self.next) {
                std::mem::swap(buf, row);
                self.next += 1;
                return Ok(true);
            }
            if self.done {
                buf.clear();
                return Ok(false);
            }
            if !self.chunk.is_empty() {
                let _ = self.recycle.send(std::mem::take(&mut self.chunk));
            }
            self.next = 0;
            match self.rows.recv() {
                Ok(Msg::Rows(rows)) => self.chunk = rows,
                Ok(Msg::Done) => self.done = true,
                Ok(Msg::Failed(error)) => {
                    self.done = true;
                    return Err(error);
                }
                Ok(Msg::Unordered) => {
                    self.done = true;
                    return Err(SourceError::Unordered {
                        file: self.file.clone(),
                        sheet: self.name.clone(),
                    });
                }
                Err(_) => {
                    self.done = true;
                    return Err(self.stopped());
                }
            }
        }
    }

    fn finish(&mut self) -> Result<(), SourceError> {
        let mut buf = RowBuf::default();
        while self.next_row(&mut buf)? {}
        Ok(())
    }

    fn streamed(&self) -> bool {
        true
    }
}
