//! A tiny, deterministic xlsx writer for hostile fixtures: hand-written parts so a test can
//! put anything in them (error cells, merged headers, far-away cells, huge strings) — things a
//! well-behaved writer such as rust_xlsxwriter refuses to produce.

use std::io::{Cursor, Write as _};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// One cell of a hand-written sheet.
pub enum Cell<'a> {
    /// An inline string.
    Text(&'a str),
    /// A stored number (`<v>`).
    Number(&'a str),
    /// A spreadsheet error such as `#REF!`.
    Error(&'a str),
}

/// The `<row>` element for 1-based row `r` with cells from column A.
pub fn row(r: u32, cells: &[Cell<'_>]) -> String {
    let mut xml = format!(r#"<row r="{r}">"#);
    for (i, cell) in cells.iter().enumerate() {
        let at = format!("{}{r}", letter(i));
        xml.push_str(&match cell {
            Cell::Text(t) => {
                format!(
                    r#"<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                    escape(t)
                )
            }
            Cell::Number(n) => format!(r#"<c r="{at}"><v>{n}</v></c>"#),
            Cell::Error(e) => format!(r#"<c r="{at}" t="e"><v>{}</v></c>"#, escape(e)),
        });
    }
    xml.push_str("</row>");
    xml
}

/// A row of text cells.
pub fn text_row(r: u32, cells: &[&str]) -> String {
    let cells: Vec<Cell<'_>> = cells.iter().map(|t| Cell::Text(t)).collect();
    row(r, &cells)
}

/// Column letters of a 0-based index (A, Z, AA…).
pub fn letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One worksheet: its name, `<sheetData>` content and anything after it (e.g. `<mergeCells>`).
pub struct Sheet<'a> {
    pub name: &'a str,
    pub data: String,
    pub after: String,
    pub hidden: bool,
}

impl<'a> Sheet<'a> {
    pub fn new(name: &'a str, data: String) -> Self {
        Sheet {
            name,
            data,
            after: String::new(),
            hidden: false,
        }
    }
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .large_file(true)
}

/// A zip archive of `(name, content)` parts, byte-for-byte the same on every run.
pub fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts {
        zip.start_file(*name, options()).expect("zip entry");
        zip.write_all(content).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

/// A zip archive with one part streamed from `chunks` (for parts too big to hold in memory).
pub fn zip_streamed(
    head: &[(&str, &[u8])],
    name: &str,
    chunks: impl Iterator<Item = Vec<u8>>,
) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (part, content) in head {
        zip.start_file(*part, options()).expect("zip entry");
        zip.write_all(content).expect("zip write");
    }
    zip.start_file(name, options()).expect("zip entry");
    for chunk in chunks {
        zip.write_all(&chunk).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

const CONTENT_TYPES_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// The parts of a workbook other than the worksheets themselves.
pub fn package_parts(sheets: &[Sheet<'_>], date1904: bool) -> Vec<(String, String)> {
    let mut types = CONTENT_TYPES_HEAD.to_string();
    let mut book = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr{}/><sheets>"#,
        if date1904 { r#" date1904="1""# } else { "" }
    );
    let mut rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        .to_string();
    for (i, sheet) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        ));
        book.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}"{} r:id="rId{n}"/>"#,
            escape(sheet.name).replace('"', "&quot;"),
            if sheet.hidden {
                r#" state="hidden""#
            } else {
                ""
            }
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    vec![
        ("[Content_Types].xml".into(), types),
        ("_rels/.rels".into(), ROOT_RELS.into()),
        ("xl/workbook.xml".into(), book),
        ("xl/_rels/workbook.xml.rels".into(), rels),
    ]
}

pub const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

/// The XML of one worksheet.
pub fn sheet_xml(sheet: &Sheet<'_>) -> String {
    format!(
        "{SHEET_HEAD}{}</sheetData>{}</worksheet>",
        sheet.data, sheet.after
    )
}

/// A whole workbook.
pub fn workbook(sheets: &[Sheet<'_>], date1904: bool) -> Vec<u8> {
    let mut parts = package_parts(sheets, date1904);
    for (i, sheet) in sheets.iter().enumerate() {
        parts.push((
            format!("xl/worksheets/sheet{}.xml", i + 1),
            sheet_xml(sheet),
        ));
    }
    let borrowed: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_bytes()))
        .collect();
    zip(&borrowed)
}

/// A workbook of one sheet.
pub fn one_sheet(name: &str, data: String) -> Vec<u8> {
    workbook(&[Sheet::new(name, data)], false)
}

/// A compound-file (OLE) container holding an `EncryptedPackage` stream: how Excel saves a
/// workbook protected with a password to open.
pub fn encrypted_package() -> Vec<u8> {
    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    const FAT: u32 = 0xFFFF_FFFD;
    let mut out = Vec::new();
    // Header (512 bytes, version 3, 512-byte sectors).
    out.extend_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&0x3Eu16.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes());
    out.extend_from_slice(&0xFFFEu16.to_le_bytes());
    out.extend_from_slice(&9u16.to_le_bytes());
    out.extend_from_slice(&6u16.to_le_bytes());
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&0u32.to_le_bytes()); // directory sectors (v3: 0)
    out.extend_from_slice(&1u32.to_le_bytes()); // FAT sectors
    out.extend_from_slice(&1u32.to_le_bytes()); // first directory sector
    out.extend_from_slice(&0u32.to_le_bytes()); // transaction
    out.extend_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
    out.extend_from_slice(&END.to_le_bytes()); // first mini FAT sector
    out.extend_from_slice(&0u32.to_le_bytes()); // mini FAT sectors
    out.extend_from_slice(&END.to_le_bytes()); // first DIFAT sector
    out.extend_from_slice(&0u32.to_le_bytes()); // DIFAT sectors
    out.extend_from_slice(&0u32.to_le_bytes()); // DIFAT[0]: the FAT is sector 0
    for _ in 1..109 {
        out.extend_from_slice(&FREE.to_le_bytes());
    }
    // Sector 0: the FAT.
    let mut fat = vec![FAT, END, END];
    fat.resize(128, FREE);
    for entry in fat {
        out.extend_from_slice(&entry.to_le_bytes());
    }
    // Sector 1: the directory.
    let entry = |name: &str, kind: u8, start: u32, size: u32, child: u32, right: u32| {
        let mut e = vec![0u8; 128];
        let utf16: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        e[..utf16.len()].copy_from_slice(&utf16);
        e[64..66].copy_from_slice(&(utf16.len() as u16).to_le_bytes());
        e[66] = kind;
        e[67] = 1; // black
        e[68..72].copy_from_slice(&FREE.to_le_bytes()); // left sibling
        e[72..76].copy_from_slice(&right.to_le_bytes());
        e[76..80].copy_from_slice(&child.to_le_bytes());
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&size.to_le_bytes());
        e
    };
    out.extend(entry("Root Entry", 5, END, 0, 1, FREE));
    out.extend(entry("EncryptedPackage", 2, 2, 512, FREE, 2));
    out.extend(entry("EncryptionInfo", 2, END, 0, FREE, FREE));
    out.extend(vec![0u8; 128]);
    // Sector 2: the (meaningless) encrypted bytes.
    out.extend((0..512u32).map(|i| (i * 7 % 251) as u8));
    out
}
