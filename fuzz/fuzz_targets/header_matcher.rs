//! Header matching and entity detection on arbitrary header rows (cells split on `|`), with
//! an optional mapping file (the text before the first NUL byte, parsed as TOML).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nxsys_etl::model::Entity;
use nxsys_etl::schema::detect::{detect, from_headers};
use nxsys_etl::schema::headers::{Location, map_headers, match_header};
use nxsys_etl::schema::mapping::Mapping;
use nxsys_etl::source::RowBuf;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (mapping_text, headers) = match text.split_once('\0') {
        Some((m, h)) => (Some(m), h),
        None => (None, text.as_ref()),
    };
    let mapping = mapping_text.and_then(|m| Mapping::parse(m, Path::new("fuzz.toml")).ok());
    let mut row = RowBuf::default();
    row.row = 1;
    for cell in headers.split('|') {
        row.push_text(cell);
    }
    let at = Location {
        file: std::path::Path::new("fuzz.csv").into(),
        sheet: Some("Sheet1".into()),
    };
    for entity in Entity::ALL {
        let (map, findings) = map_headers(entity, &row, mapping.as_ref(), &at);
        // Every schema column maps to at most one source column that exists.
        for source in map.source_of.iter().flatten() {
            assert!(*source < row.len());
        }
        for finding in &findings {
            assert!(!finding.location().is_empty());
        }
        for cell in row.cells() {
            let _ = match_header(entity, cell.text, mapping.as_ref());
        }
    }
    let _ = from_headers(&row, mapping.as_ref());
    let _ = detect(None, Some(headers), headers, &row, mapping.as_ref());
});
