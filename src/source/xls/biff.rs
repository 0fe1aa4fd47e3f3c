//! The records of an `.xls` workbook stream (BIFF8), walked the way calamine walks them when it
//! opens the file: the globals list each sheet's offset (BoundSheet8), and each sheet is read
//! from there to its EOF, skipping nested substreams (embedded charts). calamine then holds every
//! sheet as a dense grid spanning its cells, so what matters is where the cells claim to be.

use super::{Damage, u16_at, u32_at};
use crate::source::workbook::MAX_SHEET_CELLS;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const MUL_RK: u16 = 0x00BD;
/// Records calamine turns into one cell at (row, column) = the first two words.
const SINGLE_CELLS: [u16; 6] = [
    0x0203, // NUMBER
    0x0204, // LABEL
    0x00D6, // RSTRING
    0x0205, // BOOLERR
    0x027E, // RK
    0x00FD, // LABELSST
];

/// Columns in a BIFF8 sheet.
const MAX_COLUMNS: u32 = 256;

/// Check every sheet of a workbook stream: no cell past column 256, no DIMENSIONS record
/// claiming more than [`MAX_SHEET_CELLS`], and the grids calamine will build — values and
/// formulas, every sheet at once — within [`MAX_SHEET_CELLS`] in all. Sheets are separate
/// stretches of the stream, so reading them all reads it about once; sheet offsets that overlap
/// (thousands of sheets pointing into one, which would keep calamine busy for hours) are
/// refused once twice the stream has been read.
pub fn check(stream: &[u8]) -> Result<(), Damage> {
    let (mut total, mut read) = (0u64, 0usize);
    for offset in sheet_offsets(stream) {
        let Some(sheet) = stream.get(offset..) else {
            continue;
        };
        let (cells, formulas, length) = scan_sheet(sheet)?;
        total += cells.span() + formulas.span();
        if total > MAX_SHEET_CELLS {
            return Err(Damage::TooManyCells(total));
        }
        read += length;
        if read > stream.len().saturating_mul(2) {
            return Err(Damage::Structure(
                "its sheets overlap one another in the workbook stream",
            ));
        }
    }
    Ok(())
}

/// Where each sheet's substream starts, from the globals' BoundSheet8 records.
fn sheet_offsets(stream: &[u8]) -> Vec<usize> {
    records(stream)
        .take_while(|(kind, _)| *kind != EOF)
        .filter(|(kind, body)| *kind == BOUND_SHEET && body.len() >= 4)
        .map(|(_, body)| u32_at(body, 0) as usize)
        .collect()
}

/// The areas a sheet's values and formulas span, and how many bytes of records it took.
fn scan_sheet(sheet: &[u8]) -> Result<(Area, Area, usize), Damage> {
    let (mut cells, mut formulas) = (Area::default(), Area::default());
    let (mut seen_bof, mut depth, mut length) = (false, 0usize, 0usize);
    for (kind, body) in records(sheet) {
        length += 4 + body.len();
        if depth > 0 {
            match kind {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let at = |offset| at16(body, offset);
        match kind {
            BOF if seen_bof => depth += 1,
            BOF => seen_bof = true,
            EOF => break,
            DIMENSIONS => check_dimensions(body)?,
            FORMULA if body.len() >= 20 => {
                cells.add(at(0), at(2))?;
                formulas.add(at(0), at(2))?;
            }
            MUL_RK if body.len() >= 6 => {
                cells.add(at(0), at(2))?;
                cells.add(at(0), at(body.len() - 2))?;
            }
            kind if SINGLE_CELLS.contains(&kind) && body.len() >= 4 => cells.add(at(0), at(2))?,
            _ => {}
        }
    }
    Ok((cells, formulas, length))
}

/// calamine reserves room for as many cells as a DIMENSIONS record claims, before reading
/// a cell, computing the count as it does here (a first row after the last wraps around); a
/// damaged record can ask for terabytes.
fn check_dimensions(body: &[u8]) -> Result<(), Damage> {
    let (first_row, last_row, first_col, last_col) = match body.len() {
        10 => (
            at16(body, 0),
            at16(body, 2),
            u16_at(body, 4),
            u16_at(body, 6),
        ),
        14 | 16 => (
            u32_at(body, 0),
            u32_at(body, 4),
            u16_at(body, 8),
            u16_at(body, 10),
        ),
        _ => return Ok(()),
    };
    let first_col = if first_col > 0xFF || last_col < first_col {
        0
    } else {
        first_col
    };
    if last_row == 0 || last_col == 0 {
        return Ok(());
    }
    let rows = (last_row - 1).wrapping_sub(first_row).wrapping_add(1);
    let cols = last_col - first_col;
    let claimed = u64::from(rows) * u64::from(cols);
    if claimed > MAX_SHEET_CELLS {
        return Err(Damage::TooManyCells(claimed));
    }
    Ok(())
}

/// The smallest rectangle holding some cells (0-based, inclusive).
#[derive(Default)]
struct Area {
    corners: Option<((u32, u32), (u32, u32))>,
}

impl Area {
    fn add(&mut self, row: u32, col: u32) -> Result<(), Damage> {
        if col >= MAX_COLUMNS {
            return Err(Damage::ImpossibleCell { row, col });
        }
        self.corners = Some(match self.corners {
            None => ((row, col), (row, col)),
            Some((first, last)) => (
                (first.0.min(row), first.1.min(col)),
                (last.0.max(row), last.1.max(col)),
            ),
        });
        Ok(())
    }

    fn span(&self) -> u64 {
        self.corners.map_or(0, |(first, last)| {
            u64::from(last.0 - first.0 + 1) * u64::from(last.1 - first.1 + 1)
        })
    }
}

/// (type, body) of each whole record; stops at a truncated one, as calamine does (with an error
/// it reports itself). CONTINUE records come out as records of their own, which no check here
/// looks at — calamine folds them into the record before, which moves no record boundary.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let kind = u16_at(rest, 0);
        let end = 4 + usize::from(u16_at(rest, 2));
        let body = rest.get(4..end)?;
        rest = &rest[end..];
        Some((kind, body))
    })
}

fn at16(bytes: &[u8], at: usize) -> u32 {
    u32::from(u16_at(bytes, at))
}
