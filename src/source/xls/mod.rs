//! A guard in front of calamine's `.xls` reader, which trusts the file's structure in two ways
//! that let a damaged or crafted file take the whole process down (both found by fuzzing):
//!
//! - it follows the compound document's sector chains until they end, so a chain that loops back
//!   on itself grows a buffer until memory runs out (reproducer
//!   `tests/data/bad/xls-looping-directory.xls`);
//! - it builds each sheet's whole grid from the positions its cell records claim while opening the
//!   file, so a cell record at column 65,520 makes it allocate tens of gigabytes and abort
//!   (reproducer `tests/data/bad/xls-cell-past-column-256.xls`). BIFF8 sheets have 256 columns.
//!
//! So before calamine sees an `.xls`, [`check`] reads the file the way calamine does: the
//! compound document as `calamine/src/cfb.rs` reads it ([`compound`]: header, DIFAT, FAT,
//! directory, mini stream, then the `Workbook` or `Book` stream), refusing what a sound file
//! never has — a chain that loops, points past the end of the file or outside the allocation
//! table; then each sheet's records as `calamine/src/xls.rs` walks them ([`biff`]), refusing a
//! cell past column 256, a DIMENSIONS record claiming more cells than a sheet can hold,
//! sheets whose grids would together exceed the reader's cell budget, and sheets that overlap. Anything else odd is left
//! to calamine, which reports it. The tests build a file calamine reads and check the guard sees
//! the same area.

mod biff;
mod compound;

use std::fmt;
use std::path::Path;

use compound::Compound;

/// Why an `.xls` file is refused before calamine opens it.
#[derive(Debug, PartialEq, Eq)]
pub enum Damage {
    /// The compound document around the workbook cannot be followed safely.
    Structure(&'static str),
    /// A cell record beyond the 256 columns of a BIFF8 sheet (0-based).
    ImpossibleCell { row: u32, col: u32 },
    /// The sheets claim more cells than the reader would hold.
    TooManyCells(u64),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Structure(what) => write!(f, "the file is damaged: {what}"),
            Damage::ImpossibleCell { row, col } => write!(
                f,
                "the file is damaged: it claims a cell at row {} column {} of a sheet, but .xls \
                 sheets have 256 columns",
                row + 1,
                col + 1
            ),
            Damage::TooManyCells(cells) => write!(
                f,
                "its sheets claim {cells} cells, more than can be checked at once ({}); delete \
                 the rows and columns past your data, or save the sheets you need as xlsx or CSV",
                crate::source::workbook::MAX_SHEET_CELLS
            ),
        }
    }
}

/// Check an `.xls` file before calamine opens it. Files that cannot be read, or are not
/// compound documents, pass: calamine reports those itself.
pub fn check(path: &Path) -> Result<(), Damage> {
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(&bytes),
        Err(_) => Ok(()),
    }
}

/// Little-endian integers at `at`; callers check the length first.
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn check_bytes(file: &[u8]) -> Result<(), Damage> {
    let Some(compound) = Compound::parse(file)? else {
        return Ok(());
    };
    // calamine reads "Workbook", or "Book" when that fails; check both.
    for name in ["Workbook", "Book"] {
        if let Some(stream) = compound.stream(name)? {
            biff::check(&stream)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: u32 = 0xFFFF_FFFE;

    fn record(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend((body.len() as u16).to_le_bytes());
        out.extend(body);
        out
    }

    fn cell(kind: u16, row: u16, col: u16) -> Vec<u8> {
        let mut body = [row.to_le_bytes(), col.to_le_bytes()].concat();
        let len = match kind {
            0x0006 => 22, // FORMULA: cell, value, flags, chn, an empty formula
            0x0203 => 14, // NUMBER: cell, format, an f64
            _ => 10,
        };
        body.resize(len, 0);
        record(kind, &body)
    }

    /// A workbook stream: globals listing `sheets` BoundSheet8 records that all point at one
    /// sheet substream made of `sheet` records.
    fn workbook(sheets: usize, sheet: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(0x0809, &[0; 16]);
        let bound = |offset: u32| {
            record(
                0x0085,
                &[&offset.to_le_bytes()[..], &[0, 0, 1, 0, b'S']].concat(),
            )
        };
        let globals_len = bof.len() + sheets * bound(0).len() + 4;
        let mut stream = bof.clone();
        for _ in 0..sheets {
            stream.extend(bound(globals_len as u32));
        }
        stream.extend(record(0x000A, &[]));
        stream.extend(bof);
        stream.extend(sheet.concat());
        stream.extend(record(0x000A, &[]));
        stream
    }

    /// A version-3 compound file: header, one FAT sector (0), one directory sector (1) with the
    /// root and a "Workbook" entry, then the stream from sector 2 (padded to 4,096 bytes so it
    /// lives in ordinary sectors). `fat` edits the allocation table before it is written.
    fn compound(stream: &[u8], fat: impl FnOnce(&mut Vec<u32>)) -> Vec<u8> {
        let mut stream = stream.to_vec();
        stream.resize(stream.len().max(4096).next_multiple_of(512), 0);
        let sectors = stream.len() / 512;
        let mut table = vec![0xFFFF_FFFD, END];
        table.extend((3..).take(sectors - 1).map(|next| next as u32));
        table.push(END);
        fat(&mut table);
        table.resize(128, 0xFFFF_FFFF);

        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        let mut put = |at: usize, bytes: &[u8]| header[at..at + bytes.len()].copy_from_slice(bytes);
        put(24, &0x3Eu16.to_le_bytes());
        put(26, &3u16.to_le_bytes());
        put(28, &0xFFFEu16.to_le_bytes());
        put(30, &9u16.to_le_bytes());
        put(32, &6u16.to_le_bytes());
        put(44, &1u32.to_le_bytes());
        put(48, &1u32.to_le_bytes());
        put(56, &4096u32.to_le_bytes());
        put(60, &END.to_le_bytes());
        put(68, &END.to_le_bytes());
        for slot in 0..109 {
            let id: u32 = if slot == 0 { 0 } else { 0xFFFF_FFFF };
            put(76 + slot * 4, &id.to_le_bytes());
        }
        let entry = |name: &str, kind: u8, start: u32, len: u32| {
            let mut e = vec![0u8; 128];
            let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            e[..units.len()].copy_from_slice(&units);
            e[64..66].copy_from_slice(&((units.len() + 2) as u16).to_le_bytes());
            e[66] = kind;
            e[68..80].copy_from_slice(&[0xFF; 12]);
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&len.to_le_bytes());
            e
        };
        let mut directory = [
            entry("Root Entry", 5, END, 0),
            entry("Workbook", 2, 2, stream.len() as u32),
        ]
        .concat();
        directory.resize(512, 0);
        [
            header,
            table.iter().flat_map(|id| id.to_le_bytes()).collect(),
            directory,
            stream,
        ]
        .concat()
    }

    fn sound_sheet() -> Vec<Vec<u8>> {
        vec![
            record(0x0200, &[0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 5, 0, 0, 0]),
            cell(0x0203, 0, 0),
            cell(0x027E, 39, 4),
            cell(0x0006, 2, 3),
            record(
                0x00BD,
                &[5, 0, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 2, 0],
            ),
        ]
    }

    #[test]
    fn a_sound_workbook_passes() {
        assert_eq!(
            check_bytes(&compound(&workbook(2, &sound_sheet()), |_| ())),
            Ok(())
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(check(&root.join("tests/data/monthly-batch.xls")), Ok(()));
        // The same file with one bad cell is caught through the compound document.
        let mut sheet = sound_sheet();
        sheet.push(cell(0x0203, 1, 4000));
        assert_eq!(
            check_bytes(&compound(&workbook(1, &sheet), |_| ())),
            Err(Damage::ImpossibleCell { row: 1, col: 4000 })
        );
    }

    #[test]
    fn the_built_file_is_one_calamine_reads_with_the_area_the_guard_saw() {
        use calamine::Reader;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("built.xls");
        std::fs::write(&path, compound(&workbook(1, &sound_sheet()), |_| ())).unwrap();
        let mut book = calamine::open_workbook_auto(&path).expect("calamine opens it");
        let range = book.worksheet_range("S").expect("sheet S");
        assert_eq!((range.start(), range.end()), (Some((0, 0)), Some((39, 4))));
    }

    #[test]
    fn a_cell_past_column_256_is_caught_in_any_cell_record() {
        for (kind, row, col) in [(0x00FD, 65509, 65520), (0x0203, 3, 256), (0x0006, 7, 300)] {
            let mut sheet = sound_sheet();
            sheet.push(cell(kind, row, col));
            assert_eq!(
                biff::check(&workbook(1, &sheet)),
                Err(Damage::ImpossibleCell {
                    row: row.into(),
                    col: col.into()
                })
            );
        }
        let mut sheet = sound_sheet();
        sheet.push(record(
            0x00BD,
            &[3, 0, 255, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0, 1],
        ));
        assert_eq!(
            biff::check(&workbook(1, &sheet)),
            Err(Damage::ImpossibleCell { row: 3, col: 256 })
        );
    }

    #[test]
    fn cells_of_an_embedded_chart_are_skipped_as_calamine_skips_them() {
        let mut sheet = sound_sheet();
        sheet.extend([
            record(0x0809, &[0; 16]),
            cell(0x0203, 1, 9000),
            record(0x000A, &[]),
        ]);
        assert_eq!(biff::check(&workbook(1, &sheet)), Ok(()));
    }

    #[test]
    fn dimensions_claiming_too_much_are_caught_and_the_sheet_limit_passes() {
        let dims = |rf: u32, rl: u32, cl: u16| {
            record(
                0x0200,
                &[
                    &rf.to_le_bytes()[..],
                    &rl.to_le_bytes(),
                    &0u16.to_le_bytes(),
                    &cl.to_le_bytes(),
                    &[0, 0],
                ]
                .concat(),
            )
        };
        assert_eq!(biff::check(&workbook(1, &[dims(0, 65_536, 256)])), Ok(()));
        assert_eq!(
            biff::check(&workbook(1, &[dims(0, 0x00FF_FFFF, 256)])),
            Err(Damage::TooManyCells(0x00FF_FFFF * 256))
        );
        // First row after the last: calamine's count wraps around.
        assert!(matches!(
            biff::check(&workbook(1, &[dims(9, 2, 4)])),
            Err(Damage::TooManyCells(_))
        ));
    }

    #[test]
    fn every_sheet_counts_towards_one_budget() {
        let sheet = [cell(0x0203, 0, 0), cell(0x0203, 65_535, 200)];
        assert_eq!(biff::check(&workbook(1, &sheet)), Ok(()));
        assert_eq!(
            biff::check(&workbook(2, &sheet)),
            Err(Damage::TooManyCells(2 * 65_536 * 201))
        );
    }

    #[test]
    fn sheets_pointing_into_one_another_are_refused() {
        let sheet: Vec<Vec<u8>> = (0..200).map(|row| cell(0x027E, row, 1)).collect();
        assert_eq!(biff::check(&workbook(2, &sheet)), Ok(()));
        assert!(matches!(
            biff::check(&workbook(50, &sheet)),
            Err(Damage::Structure(w)) if w.contains("overlap")
        ));
    }

    #[test]
    fn damaged_sector_chains_are_refused() {
        let stream = workbook(1, &sound_sheet());
        let looping_directory = compound(&stream, |fat| fat[1] = 1);
        assert!(
            matches!(check_bytes(&looping_directory), Err(Damage::Structure(w)) if w.contains("loops"))
        );
        let looping_stream = compound(&stream, |fat| fat[5] = 3);
        assert!(
            matches!(check_bytes(&looping_stream), Err(Damage::Structure(w)) if w.contains("loops"))
        );
        let past_end = compound(&stream, |fat| fat[4] = 900);
        assert!(
            matches!(check_bytes(&past_end), Err(Damage::Structure(w)) if w.contains("past the end"))
        );
    }

    #[test]
    fn truncated_input_does_not_panic() {
        let file = compound(&workbook(1, &sound_sheet()), |_| ());
        for len in [0, 7, 511, 512, 700, 1024, 1500, file.len() - 1] {
            let _ = check_bytes(&file[..len]);
        }
        assert_eq!(biff::check(&[0xFD, 0x00, 0x50, 0x00, 1]), Ok(()));
        assert_eq!(
            biff::check(&[0x85, 0x00, 0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]),
            Ok(())
        );
    }
}
