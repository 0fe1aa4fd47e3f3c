//! Whether an xlsx workbook has merged cells at all, found without parsing its XML.
//!
//! calamine learns a sheet's merged regions only by parsing the whole sheet a second time
//! (`<mergeCells>` sits after the sheet's data), which cost about a third of the time of
//! validating an xlsx file. Merged cells are rare in the sheets people fill in, so the
//! worksheet parts are first searched as bytes, streamed from the zip: when no part mentions a
//! `mergeCell` element, the second parse is skipped. Any doubt (a part that cannot be read, the
//! word in a cell's text) answers "maybe", and calamine's own pass runs as before.

use std::io::Read;
use std::path::Path;

use memchr::memmem;

const NEEDLE: &[u8] = b"mergeCell";

/// `false` only when no worksheet part of the xlsx/xlsm file at `path` mentions `mergeCell`.
pub fn xlsx_may_have_merged_cells(path: &Path) -> bool {
    let scan = || -> Option<bool> {
        let file = std::fs::File::open(path).ok()?;
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
        let finder = memmem::Finder::new(NEEDLE);
        for i in 0..archive.len() {
            let part = archive.by_index(i).ok()?;
            let name = part.name().ok()?.to_ascii_lowercase();
            if name.starts_with("xl/worksheets/")
                && name.ends_with(".xml")
                && mentions(part, &finder)?
            {
                return Some(true);
            }
        }
        Some(false)
    };
    scan().unwrap_or(true)
}

/// Whether the stream contains the needle, reading it in chunks that overlap by the needle's
/// length so a match across two reads is not missed. `None` when it cannot be read.
fn mentions(mut part: impl Read, finder: &memmem::Finder<'_>) -> Option<bool> {
    let keep = NEEDLE.len() - 1;
    let mut buf = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        let read = part.read(&mut buf[filled..]).ok()?;
        if read == 0 {
            return Some(false);
        }
        filled += read;
        if finder.find(&buf[..filled]).is_some() {
            return Some(true);
        }
        if filled > keep {
            buf.copy_within(filled - keep..filled, 0);
            filled = keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out `step` bytes at a time, so matches straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_match_across_reads_is_found_and_absence_is_reported() {
        let finder = memmem::Finder::new(NEEDLE);
        let mut xml = vec![b' '; 200_000];
        xml.extend(b"<x:mergeCells count=\"1\"><x:mergeCell ref=\"A1:B1\"/></x:mergeCells>");
        for step in [1, 7, 4096, 65_536, 1 << 20] {
            assert_eq!(
                mentions(Trickle(&xml, step), &finder),
                Some(true),
                "step {step}"
            );
            assert_eq!(
                mentions(Trickle(&xml[..200_000], step), &finder),
                Some(false),
                "step {step}"
            );
        }
    }

    #[test]
    fn workbooks_with_and_without_merged_cells_are_told_apart() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.xlsx");
        let merged = dir.path().join("merged.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write(0, 0, "Agency Ref").unwrap();
        book.save(&plain).unwrap();
        let mut book = rust_xlsxwriter::Workbook::new();
        let format = rust_xlsxwriter::Format::new();
        book.add_worksheet()
            .merge_range(0, 0, 0, 2, "Agency Ref", &format)
            .unwrap();
        book.save(&merged).unwrap();
        assert!(!xlsx_may_have_merged_cells(&plain));
        assert!(xlsx_may_have_merged_cells(&merged));
        // Not a zip: unsure, so calamine decides.
        assert!(xlsx_may_have_merged_cells(&root.join("Cargo.toml")));
    }
}
