//! CSV export: the same columns as the workbook, every value exactly as the API sent it
//! (decimal strings are not reformatted, only money short of two decimals is padded: `15.0` is
//! written `15.00`), formula-injection safe, optionally with a UTF-8 byte-order mark so Excel
//! reads the accents right.

use std::io::Write;

use serde_json::{Map, Value};

use super::WriteError;
use super::cell::{money_text, raw_text};
use super::columns::{Column, Kind};
use crate::writing::neutralise_csv;

/// UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Write a header row of labels and one row per payslip. Returns the number of payslips.
pub fn write_csv<W, I>(
    out: W,
    columns: &[Column],
    payslips: I,
    excel_bom: bool,
    mut on_row: impl FnMut(),
) -> Result<usize, WriteError>
where
    W: Write,
    I: IntoIterator<Item = std::io::Result<Map<String, Value>>>,
{
    let mut out = out;
    if excel_bom {
        out.write_all(BOM)?;
    }
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    for column in columns {
        writer.write_field(neutralise_csv(&column.label).as_bytes())?;
    }
    writer.write_record(None::<&[u8]>)?;
    let mut count = 0;
    for payslip in payslips {
        let payslip = payslip?;
        for column in columns {
            let text = match column.kind {
                Kind::Money => money_text(payslip.get(&column.key)),
                _ => raw_text(payslip.get(&column.key)),
            };
            writer.write_field(neutralise_csv(&text).as_bytes())?;
        }
        // An empty record ends the row begun by the fields above.
        writer.write_record(None::<&[u8]>)?;
        count += 1;
        on_row();
    }
    writer.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::columns::ColumnSet;
    use serde_json::json;

    fn write(payslips: Vec<Value>, bom: bool) -> String {
        let maps: Vec<Map<String, Value>> = payslips
            .into_iter()
            .filter_map(|v| v.as_object().cloned())
            .collect();
        let mut set = ColumnSet::new();
        maps.iter().for_each(|m| set.observe(m));
        let mut out = Vec::new();
        let n = write_csv(
            &mut out,
            &set.columns(),
            maps.into_iter().map(Ok),
            bom,
            || {},
        )
        .expect("csv written");
        assert!(n > 0);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn values_are_written_as_they_came_and_formulas_neutralised() {
        let text = write(
            vec![json!({
                "id": "PL-1", "subcontractorName": "=HYPERLINK(\"x\",\"y\")",
                "net": "-12.50", "gross": "6666.670", "margin": 0, "bonusCode": "@SUM(A1)"
            })],
            false,
        );
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("Payslip ID,Worker name,Margin,Gross,Net pay,bonusCode")
        );
        assert_eq!(
            lines.next(),
            Some("PL-1,\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",0.00,6666.670,-12.50,'@SUM(A1)")
        );
    }

    #[test]
    fn money_has_at_least_two_decimals_exactly() {
        let text = write(
            vec![json!({"id": "PL-1", "margin": 15.0, "net": "1234.5", "gross": "0.125"})],
            false,
        );
        assert_eq!(
            text.lines().nth(1),
            Some("PL-1,15.00,0.125,1234.50"),
            "{text}"
        );
    }

    #[test]
    fn excel_csv_starts_with_a_byte_order_mark() {
        assert!(write(vec![json!({"id": "PL-1"})], true).starts_with('\u{feff}'));
        assert!(!write(vec![json!({"id": "PL-1"})], false).starts_with('\u{feff}'));
    }
}
