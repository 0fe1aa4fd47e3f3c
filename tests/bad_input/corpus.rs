//! The bad-input corpus: every hostile file, how it is made (deterministically) and what
//! `validate` must answer. Small files are committed under `tests/data/bad/`; big ones (a 5 MB
//! cell, a million empty rows, a zip bomb) are made at test time in a temporary directory.

use super::xlsx::{self, Cell, Sheet, one_sheet, row, text_row};

/// One hostile file.
pub struct Case {
    pub name: &'static str,
    /// The exit code `validate` must end with: 1 (rows invalid) or 2 (file unreadable).
    pub exit: i32,
    /// What the output must say besides the file name: the place (row, column) or the problem.
    pub needles: &'static [&'static str],
    /// Made at test time, never committed.
    pub big: bool,
    pub make: fn() -> Vec<u8>,
}

/// Candidate headers, columns A to L.
pub const HEADER: [&str; 12] = [
    "Agency Ref",
    "Title",
    "Forename",
    "Surname",
    "Date of Birth",
    "NI Number",
    "Address Line 1",
    "City",
    "Postcode",
    "Email",
    "Pay Frequency",
    "Payment Model",
];

/// A valid candidate row.
pub const GOOD: [&str; 12] = [
    "AG-001",
    "Mr",
    "Michael",
    "Smith",
    "1990-05-15",
    "JG103759A",
    "1 High Street",
    "London",
    "SW1A 1AA",
    "m.smith@example.com",
    "Weekly",
    "PAYE",
];

fn csv_line(cells: &[&str]) -> String {
    let mut line = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A candidates CSV: the header, then `GOOD` (with its own reference and NI number) with each
/// `(column, value)` change per row.
fn candidates_csv(rows: &[&[(usize, &str)]]) -> Vec<u8> {
    let mut out = csv_line(&HEADER);
    for (i, changes) in rows.iter().enumerate() {
        let reference = format!("AG-{:03}", i + 1);
        let ni = format!("JG{:06}A", 103_759 + i);
        let mut cells: Vec<&str> = GOOD.to_vec();
        cells[0] = &reference;
        cells[5] = &ni;
        for &(col, value) in changes.iter() {
            cells[col] = value;
        }
        out.push_str(&csv_line(&cells));
    }
    out.into_bytes()
}

/// A candidates sheet of text cells (header in row 1).
fn candidates_sheet(rows: &[&[(usize, &str)]]) -> String {
    let mut data = text_row(1, &HEADER);
    for (i, changes) in rows.iter().enumerate() {
        let reference = format!("AG-{:03}", i + 1);
        let ni = format!("JG{:06}A", 103_759 + i);
        let mut cells: Vec<&str> = GOOD.to_vec();
        cells[0] = &reference;
        cells[5] = &ni;
        for &(col, value) in changes.iter() {
            cells[col] = value;
        }
        data.push_str(&text_row(i as u32 + 2, &cells));
    }
    data
}

/// Deterministic pseudo-random bytes (a linear congruential generator).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

const TIMESHEET_HEADER: &str = "Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units,VAT Code\n";

/// Every case, committed and big.
pub fn cases() -> Vec<Case> {
    let mut all = text_cases();
    all.extend(workbook_cases());
    all.extend(big_cases());
    all
}

fn text_cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: Vec::new,
        },
        Case {
            name: "blank-lines-only.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || b"\n\r\n   \n\t\n".to_vec(),
        },
        Case {
            name: "bom-only.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || vec![0xEF, 0xBB, 0xBF],
        },
        Case {
            name: "header-only-candidates.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || csv_line(&HEADER).into_bytes(),
        },
        Case {
            name: "only-delimiters.csv",
            exit: 1,
            needles: &["cannot tell", "row 2"],
            big: false,
            make: || b",,,,\n;;;;\n,,,,\n".to_vec(),
        },
        Case {
            name: "ragged-rows-candidates.csv",
            exit: 1,
            needles: &["row 3", "row 4"],
            big: false,
            make: || {
                let mut out = candidates_csv(&[&[]]);
                out.extend_from_slice(b"AG-002,Ms,Ann\n");
                out.extend_from_slice(
                    csv_line(&[&GOOD[..], &["extra", "more", "even more"]].concat()).as_bytes(),
                );
                out
            },
        },
        Case {
            name: "nul-bytes-candidates.csv",
            exit: 1,
            needles: &["row 2", "column F"],
            big: false,
            make: || candidates_csv(&[&[(2, "Mi\0chael"), (5, "JG10\x003759A")]]),
        },
        Case {
            name: "utf16le-bom-candidates.csv",
            exit: 2,
            needles: &["UTF-16", "CSV UTF-8"],
            big: false,
            make: || {
                utf16(
                    &String::from_utf8_lossy(&candidates_csv(&[&[]])),
                    true,
                    true,
                )
            },
        },
        Case {
            name: "utf16be-bom-candidates.csv",
            exit: 2,
            needles: &["UTF-16"],
            big: false,
            make: || {
                utf16(
                    &String::from_utf8_lossy(&candidates_csv(&[&[]])),
                    false,
                    true,
                )
            },
        },
        Case {
            name: "utf16le-no-bom-candidates.csv",
            exit: 2,
            needles: &["UTF-16"],
            big: false,
            make: || {
                utf16(
                    &String::from_utf8_lossy(&candidates_csv(&[&[]])),
                    true,
                    false,
                )
            },
        },
        Case {
            name: "mixed-encoding-candidates.csv",
            exit: 1,
            needles: &["row 3", "Windows-1252", "column F"],
            big: false,
            make: || {
                let mut out = candidates_csv(&[&[(2, "Zoë")]]);
                // A second row pasted from a Windows-1252 file, with a bad NI number.
                out.extend_from_slice(b"AG-002,Ms,Zo\xEB,Br\xFBl\xE9,1990-05-15,QQ12345,1 High St,London,SW1A 1AA,z@example.com,Weekly,PAYE\n");
                out
            },
        },
        Case {
            name: "windows-1252-candidates.csv",
            exit: 1,
            needles: &["Windows-1252", "row 2", "column E"],
            big: false,
            make: || {
                b"Agency Ref,Title,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model\n\
AG-001,Mr,Ren\xE9,M\xFCller,31/02/1990,JG103759A,1 Rue \xA3,London,SW1A 1AA,r@example.com,Weekly,PAYE\n"
                    .to_vec()
            },
        },
        Case {
            name: "duplicate-headers-candidates.csv",
            exit: 1,
            needles: &["row 1", "column M", "same as column C"],
            big: false,
            make: || {
                let mut out = String::from(
                    "Agency Ref,Title,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model,First Name\n",
                );
                out.push_str(&csv_line(&[&GOOD[..], &["Mike"]].concat()));
                out.into_bytes()
            },
        },
        Case {
            name: "unknown-headers-only.csv",
            exit: 1,
            needles: &["cannot tell", "--entity"],
            big: false,
            make: || b"Colour,Shape,Flavour\nred,round,sweet\n".to_vec(),
        },
        Case {
            name: "missing-required-headers-candidates.csv",
            exit: 1,
            needles: &["NI Number", "missing"],
            big: false,
            make: || b"Agency Ref,Forename,Surname\nAG-001,Ann,Smith\n".to_vec(),
        },
        Case {
            name: "dates-dozen-formats-candidates.csv",
            exit: 1,
            needles: &["row 6, column E", "row 10, column E", "row 13, column E"],
            big: false,
            make: || {
                candidates_csv(&[
                    &[(4, "1990-05-15")],
                    &[(4, "15/05/1990")],
                    &[(4, "15-05-1990")],
                    &[(4, "15.05.1990")],
                    &[(4, "05/15/1990")],
                    &[(4, "1990/05/15")],
                    &[(4, "15 May 1990")],
                    &[(4, "May 15, 1990")],
                    &[(4, "32/01/1990")],
                    &[(4, "33000")],
                    &[(4, "1990-05-15T00:00:00")],
                    &[(4, "yesterday")],
                    &[(4, "15/05/90")],
                    &[(4, "1990")],
                ])
            },
        },
        Case {
            name: "money-formats-timesheets.csv",
            exit: 1,
            needles: &["row 7, column E", "row 8, column E", "row 11, column E"],
            big: false,
            make: || {
                let mut out = String::from(TIMESHEET_HEADER);
                for (i, rate) in [
                    "£15.50",
                    "\"1,234.50\"",
                    "€15.50",
                    "GBP 15.50",
                    "(15.50)",
                    "15.5.0",
                    "$15.50",
                    "1.5e3",
                    "15.505",
                    "\"£1,5,0\"",
                ]
                .iter()
                .enumerate()
                {
                    out.push_str(&format!("AG-001,2025,{},PR200,{rate},1,S\n", i + 1));
                }
                out.into_bytes()
            },
        },
        Case {
            name: "lost-leading-zeros-candidates.csv",
            exit: 1,
            needles: &["row 2, column M", "row 3, column N"],
            big: false,
            make: || {
                let mut out = String::new();
                out.push_str(&csv_line(
                    &[&HEADER[..], &["Sort Code", "Account Number"]].concat(),
                ));
                out.push_str(&csv_line(&[&GOOD[..], &["60613", "31926819"]].concat()));
                out.push_str(
                    &csv_line(&[&GOOD[..], &["601613", "3.19268E+7"]].concat())
                        .replace("AG-001", "AG-002"),
                );
                out.into_bytes()
            },
        },
        Case {
            name: "two-hundred-columns-candidates.csv",
            exit: 1,
            needles: &["row 2, column F", "column GR"],
            big: false,
            make: || {
                let extra: Vec<String> = (0..188).map(|i| format!("Extra {i}")).collect();
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                let mut out = csv_line(&[&HEADER[..], &extra].concat());
                let mut row: Vec<&str> = GOOD.to_vec();
                row[5] = "not an NI number";
                out.push_str(&csv_line(&[&row[..], &extra].concat()));
                out.into_bytes()
            },
        },
        Case {
            name: "unterminated-quote-candidates.csv",
            exit: 1,
            needles: &["row 2"],
            big: false,
            make: || {
                let mut out = csv_line(&HEADER).into_bytes();
                out.extend_from_slice(b"AG-001,Mr,\"Michael,Smith,1990-05-15,QQ123456C\n");
                out
            },
        },
        Case {
            name: "bad-identifiers-candidates.csv",
            exit: 1,
            needles: &["row 2, column F", "row 3, column I", "row 4, column J"],
            big: false,
            make: || {
                candidates_csv(&[
                    &[(5, "QQ 12 34 56")],
                    &[(8, "NOT A POSTCODE")],
                    &[(9, "someone@")],
                ])
            },
        },
        Case {
            name: "formula-injection-candidates.csv",
            exit: 1,
            needles: &["row 6, column F"],
            big: false,
            make: || {
                candidates_csv(&[
                    &[(2, "=HYPERLINK(\"http://evil.example\",\"x\")")],
                    &[(3, "+SUM(1,2)")],
                    &[(6, "-1+2")],
                    &[(7, "@cmd")],
                    &[(5, "=1+1")],
                ])
            },
        },
        Case {
            name: "cr-only-line-endings-candidates.csv",
            exit: 1,
            needles: &["row 2, column F"],
            big: false,
            make: || {
                String::from_utf8_lossy(&candidates_csv(&[&[(5, "XX")]]))
                    .replace('\n', "\r")
                    .into_bytes()
            },
        },
        Case {
            name: "binary-noise.csv",
            exit: 1,
            needles: &["cannot tell"],
            big: false,
            make: || noise(4096, 7),
        },
        Case {
            name: "bad-hours-timesheets.csv",
            exit: 1,
            needles: &["row 2, column F", "row 3, column F"],
            big: false,
            make: || {
                format!("{TIMESHEET_HEADER}AG-001,2025,1,PR200,15.50,-4,S\nAG-001,2025,2,PR200,15.50,lots,S\nAG-001,2025,99,PR200,15.50,1,S\n")
                    .into_bytes()
            },
        },
        Case {
            name: "bad-enums-payment-rates.csv",
            exit: 1,
            needles: &["row 2, column C", "row 3, column D"],
            big: false,
            make: || {
                b"Code,Description,Type,Units,Hours Per Unit\nPR200,Standard,Banana,Hourly,1\nPR201,Overtime,Rate,Fortnights,1\n".to_vec()
            },
        },
        Case {
            name: "bad-pps-candidates-ie.csv",
            exit: 1,
            needles: &["row 2, column E", "row 2, column H"],
            big: false,
            make: || {
                b"Agency Ref;Forename;Surname;Date of Birth;PPS Number;Address Line 1;City;Eircode;Email;Pay Frequency;Payment Model;IBAN\nIE-001;Aoife;Byrne;1992-02-01;1234567XX;1 Main St;Dublin;ZZZ;aoife@example.ie;Weekly;PAYE;IE29AIBK93115212345678\n".to_vec()
            },
        },
        Case {
            name: "tab-separated-candidates.tsv",
            exit: 1,
            needles: &["row 2, column F"],
            big: false,
            make: || {
                String::from_utf8_lossy(&candidates_csv(&[&[(5, "bad")]]))
                    .replace(',', "\t")
                    .into_bytes()
            },
        },
        Case {
            name: "candidates.pdf",
            exit: 2,
            needles: &["not supported"],
            big: false,
            make: || b"%PDF-1.4\n".to_vec(),
        },
        Case {
            name: "candidates-no-extension",
            exit: 2,
            needles: &["not supported"],
            big: false,
            make: || candidates_csv(&[&[]]),
        },
    ]
}

/// A valid one-row candidates workbook, the base of the damaged ones.
fn good_workbook() -> Vec<u8> {
    one_sheet("Candidates", candidates_sheet(&[&[(5, "bad")]]))
}

fn workbook_cases() -> Vec<Case> {
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

fn big_cases() -> Vec<Case> {
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
