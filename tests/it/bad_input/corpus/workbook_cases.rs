//! Workbooks (damaged, disguised, hostile) and the big files made at test time.

use super::super::xlsx::{self, Cell, Sheet, one_sheet, row};
use super::*;

/// A valid one-row candidates workbook, the base of the damaged ones.
fn good_workbook() -> Vec<u8> {
    one_sheet("Candidates", candidates_sheet(&[&[(5, "bad")]]))
}

pub fn workbook_cases() -> Vec<Case> {
    vec![
        Case {
            name: "truncated.xlsx",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || {
                let whole = good_workbook();
                whole[..whole.len() / 2].to_vec()
            },
        },
        Case {
            name: "random-bytes.xlsx",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || noise(8192, 42),
        },
        Case {
            name: "empty.xlsx",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: Vec::new,
        },
        Case {
            name: "csv-named-xlsx.xlsx",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || candidates_csv(&[&[]]),
        },
        Case {
            name: "password-protected.xlsx",
            exit: 2,
            needles: &["password"],
            big: false,
            make: xlsx::encrypted_package,
        },
        Case {
            name: "zip-without-workbook.xlsx",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || xlsx::zip(&[("hello.txt", b"not a workbook")]),
        },
        Case {
            name: "random-bytes.xls",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || noise(4096, 3),
        },
        Case {
            name: "zip-without-content.ods",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || {
                xlsx::zip(&[(
                    "mimetype",
                    b"application/vnd.oasis.opendocument.spreadsheet",
                )])
            },
        },
        Case {
            // Found by `cargo fuzz run workbook_reader`: calamine's compound-file reader
            // asserted on it (kept as found, not generated).
            name: "fuzz-crash-cfb-sector.xls",
            exit: 2,
            needles: &["damaged"],
            big: false,
            make: || include_bytes!("../../../data/bad/fuzz-crash-cfb-sector.xls").to_vec(),
        },
        Case {
            // Found by fuzzing: a cell record at column 65,520 made calamine allocate tens of
            // gigabytes and abort (kept as found).
            name: "xls-cell-past-column-256.xls",
            exit: 2,
            needles: &["damaged", "256 columns"],
            big: false,
            make: || include_bytes!("../../../data/bad/xls-cell-past-column-256.xls").to_vec(),
        },
        Case {
            // Found by fuzzing: the compound directory's sector chain loops, and calamine
            // followed it until memory ran out (kept as found).
            name: "xls-looping-directory.xls",
            exit: 2,
            needles: &["damaged", "loops back on itself"],
            big: false,
            make: || include_bytes!("../../../data/bad/xls-looping-directory.xls").to_vec(),
        },
        Case {
            name: "random-bytes.xlsb",
            exit: 2,
            needles: &["cannot open the workbook"],
            big: false,
            make: || noise(4096, 5),
        },
        Case {
            name: "formula-errors-candidates.xlsx",
            exit: 1,
            needles: &["row 2, column E", "row 2, column F", "#REF!"],
            big: false,
            make: || {
                let mut data = text_row(1, &HEADER);
                let mut cells: Vec<Cell<'_>> = GOOD.iter().map(|t| Cell::Text(t)).collect();
                cells[4] = Cell::Error("#DIV/0!");
                cells[5] = Cell::Error("#REF!");
                cells[9] = Cell::Error("#N/A");
                data.push_str(&row(2, &cells));
                one_sheet("Candidates", data)
            },
        },
        Case {
            name: "merged-header-candidates.xlsx",
            exit: 1,
            needles: &["merged", "row 2, column F"],
            big: false,
            make: || {
                let mut sheet = Sheet::new("Candidates", candidates_sheet(&[&[(5, "bad")]]));
                sheet.after =
                    r#"<mergeCells count="1"><mergeCell ref="C1:D1"/></mergeCells>"#.into();
                xlsx::workbook(&[sheet], false)
            },
        },
        Case {
            name: "merged-whole-sheet-candidates.xlsx",
            exit: 1,
            needles: &["merged", "row 2, column F"],
            big: false,
            make: || {
                let mut sheet = Sheet::new("Candidates", candidates_sheet(&[&[(5, "bad")]]));
                sheet.after =
                    r#"<mergeCells count="1"><mergeCell ref="M1:XFD1048576"/></mergeCells>"#.into();
                xlsx::workbook(&[sheet], false)
            },
        },
        Case {
            name: "far-corner-cell-candidates.xlsx",
            exit: 2,
            needles: &["XFD1048576"],
            big: false,
            make: || {
                let mut data = candidates_sheet(&[&[(5, "bad")]]);
                data.push_str(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#);
                one_sheet("Candidates", data)
            },
        },
        Case {
            name: "numbers-lost-zeros-candidates.xlsx",
            exit: 1,
            needles: &["row 2, column M", "row 2, column F"],
            big: false,
            make: || {
                let mut data =
                    text_row(1, &[&HEADER[..], &["Sort Code", "Account Number"]].concat());
                let mut cells: Vec<Cell<'_>> = GOOD.iter().map(|t| Cell::Text(t)).collect();
                cells[5] = Cell::Number("123456");
                cells.push(Cell::Number("60613"));
                cells.push(Cell::Number("1.2345678901234E+15"));
                data.push_str(&row(2, &cells));
                one_sheet("Candidates", data)
            },
        },
        Case {
            name: "date-serials-1904-candidates.xlsx",
            exit: 1,
            needles: &["row 3, column E"],
            big: false,
            make: || {
                let mut data = text_row(1, &HEADER);
                for (r, serial) in [(2, "31500"), (3, "-5"), (4, "99999999")] {
                    let mut cells: Vec<Cell<'_>> = GOOD.iter().map(|t| Cell::Text(t)).collect();
                    cells[4] = Cell::Number(serial);
                    data.push_str(&row(r, &cells).replace("AG-001", &format!("AG-00{r}")));
                }
                xlsx::workbook(&[Sheet::new("Candidates", data)], true)
            },
        },
        Case {
            name: "hidden-data-sheet.xlsx",
            exit: 1,
            needles: &["no rows", "hidden"],
            big: false,
            make: || {
                let mut sheet = Sheet::new("Candidates", candidates_sheet(&[&[]]));
                sheet.hidden = true;
                let visible = Sheet::new("Notes", String::new());
                xlsx::workbook(&[visible, sheet], false)
            },
        },
        Case {
            name: "no-sheets.xlsx",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || xlsx::workbook(&[], false),
        },
        Case {
            name: "bad-shared-string-index.xlsx",
            exit: 2,
            needles: &["bad-shared-string-index.xlsx"],
            big: false,
            make: || {
                let mut data = text_row(1, &HEADER);
                data.push_str(r#"<row r="2"><c r="A2" t="s"><v>99999</v></c></row>"#);
                one_sheet("Candidates", data)
            },
        },
        Case {
            name: "malformed-sheet-xml.xlsx",
            exit: 2,
            needles: &["malformed-sheet-xml.xlsx"],
            big: false,
            make: || {
                let mut data = text_row(1, &HEADER);
                data.push_str(r#"<row r="2"><c r="A2" t="inlineStr"><is><t>AG-1</is></row>"#);
                one_sheet("Candidates", data)
            },
        },
        Case {
            name: "duplicate-headers-two-sheets.xlsx",
            exit: 1,
            needles: &[
                "sheet Workers",
                "column M",
                "sheet Timesheets",
                "row 2, column F",
            ],
            big: false,
            make: || {
                let workers = Sheet::new(
                    "Workers",
                    text_row(1, &[&HEADER[..], &["Surname"]].concat()) + &text_row(2, &GOOD),
                );
                let timesheets = Sheet::new(
                    "Timesheets",
                    text_row(
                        1,
                        &[
                            "Agency Ref",
                            "Tax Year",
                            "Tax Period",
                            "Pay Code",
                            "Rate",
                            "Units",
                        ],
                    ) + &text_row(2, &["AG-001", "2025", "1", "PR200", "15.50", "25:00"]),
                );
                xlsx::workbook(&[workers, timesheets], false)
            },
        },
        Case {
            name: "weird-sheet-name-candidates.xlsx",
            exit: 1,
            needles: &["row 2, column F"],
            big: false,
            make: || {
                one_sheet(
                    "Candidates \u{202e}'\"<x>",
                    candidates_sheet(&[&[(5, "bad")]]),
                )
            },
        },
    ]
}

/// A million rows: the most a sheet can hold.
const MAX_ROWS: u32 = 1_048_576;

pub fn big_cases() -> Vec<Case> {
    vec![
        Case {
            name: "five-mb-cell-candidates.csv",
            exit: 1,
            needles: &["row 2, column C"],
            big: true,
            make: || {
                let huge = "x".repeat(5 * 1024 * 1024);
                candidates_csv(&[&[(2, &huge)]])
            },
        },
        Case {
            name: "five-mb-cell-candidates.xlsx",
            exit: 1,
            needles: &["row 2, column C"],
            big: true,
            make: || {
                let huge = "x".repeat(5 * 1024 * 1024);
                one_sheet("Candidates", candidates_sheet(&[&[(2, &huge)]]))
            },
        },
        Case {
            name: "million-empty-rows-candidates.xlsx",
            exit: 1,
            needles: &["row 2, column F"],
            big: true,
            make: || {
                let mut data = candidates_sheet(&[&[(5, "bad")]]);
                for r in 3..=MAX_ROWS {
                    data.push_str(&format!(r#"<row r="{r}" s="1" customFormat="1"/>"#));
                }
                one_sheet("Candidates", data)
            },
        },
        Case {
            name: "million-empty-rows-candidates.csv",
            exit: 1,
            needles: &["row 2, column F"],
            big: true,
            make: || {
                let mut out = candidates_csv(&[&[(5, "bad")]]);
                let blank = ",,,,,,,,,,,\n".as_bytes();
                for _ in 2..MAX_ROWS {
                    out.extend_from_slice(blank);
                }
                out
            },
        },
        Case {
            name: "zip-bomb.xlsx",
            exit: 2,
            needles: &["unzipped"],
            big: true,
            make: || {
                let mut data = text_row(1, &HEADER);
                data.push_str(r#"<row r="2"><c r="A2" t="s"><v>0</v></c></row>"#);
                let sheets = [Sheet::new("Candidates", data)];
                let mut parts = xlsx::package_parts(&sheets, false);
                parts.push((
                    "xl/worksheets/sheet1.xml".into(),
                    xlsx::sheet_xml(&sheets[0]),
                ));
                let head: Vec<(&str, &[u8])> = parts
                    .iter()
                    .map(|(n, c)| (n.as_str(), c.as_bytes()))
                    .collect();
                // 1 GiB of one shared string, in 4 MiB chunks: about 1 MB once compressed.
                let chunk = vec![b'A'; 4 << 20];
                let strings = std::iter::once(
                    br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#
                        .to_vec(),
                )
                .chain(std::iter::repeat_n(chunk, 256))
                .chain(std::iter::once(b"</t></si></sst>".to_vec()));
                xlsx::zip_streamed(&head, "xl/sharedStrings.xml", strings)
            },
        },
    ]
}
