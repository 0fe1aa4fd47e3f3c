//! A timesheet as an import holds it between validation and its stage: the lines as one compact
//! JSON text, and no line's provenance (the record's provenance lists it, line for line). A line
//! as a [`LineDraft`] takes about 230 bytes with its own provenance and pay code; packed, about
//! 30. A batch of 100,000 timesheets holds 400,000 lines for the length of the run.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{LineDraft, PayRef, Provenance, TimesheetDraft, VatRef};

/// A [`TimesheetDraft`] without its lines' provenance, its lines packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedTimesheet {
    /// Worker, assignment, dates and period; its `lines` are empty.
    head: TimesheetDraft,
    /// `[[pay, rate, units, vat], …]`: a reference is its text after `c` (a code or letter) or
    /// `i` (an API id); an absent VAT reference is `null`; amounts keep their scale.
    lines: Box<str>,
}

/// One line as packed.
type Packed = (String, String, String, Option<String>);

fn tag(is_id: bool, text: &str) -> String {
    format!("{}{text}", if is_id { 'i' } else { 'c' })
}

fn untag(text: &str) -> Option<(bool, String)> {
    match text.split_at_checked(1)? {
        ("i", rest) => Some((true, rest.to_string())),
        ("c", rest) => Some((false, rest.to_string())),
        _ => None,
    }
}

impl PackedTimesheet {
    /// Pack `draft`; its lines' provenance is left out.
    pub fn pack(draft: TimesheetDraft) -> PackedTimesheet {
        let lines: Vec<Packed> = draft
            .lines
            .iter()
            .map(|l| {
                let pay = match &l.pay {
                    PayRef::Code(c) => tag(false, c),
                    PayRef::Id(id) => tag(true, id),
                };
                let vat = l.vat.as_ref().map(|v| match v {
                    VatRef::Letter(c) => tag(false, c),
                    VatRef::Id(id) => tag(true, id),
                });
                (pay, l.rate.to_string(), l.units.to_string(), vat)
            })
            .collect();
        PackedTimesheet {
            head: TimesheetDraft {
                lines: Vec::new(),
                ..draft
            },
            // Strings and optional strings always serialise.
            lines: serde_json::to_string(&lines)
                .unwrap_or_default()
                .into_boxed_str(),
        }
    }

    /// Worker, assignment, dates and period (its `lines` are empty).
    pub fn head(&self) -> &TimesheetDraft {
        &self.head
    }

    /// The tax year the timesheet is for.
    pub fn tax_year(&self) -> i32 {
        self.head.tax_year
    }

    /// The draft again, line `i` placed at `provenance[i]`. `None` only if the packed text was
    /// not written by [`PackedTimesheet::pack`] or the provenance is not one place per line.
    pub fn unpack(&self, provenance: &[Provenance]) -> Option<TimesheetDraft> {
        let packed: Vec<Packed> = serde_json::from_str(&self.lines).ok()?;
        if packed.len() != provenance.len() {
            return None;
        }
        let lines = packed
            .into_iter()
            .zip(provenance)
            .map(|((pay, rate, units, vat), at)| {
                let pay = match untag(&pay)? {
                    (true, id) => PayRef::Id(id),
                    (false, code) => PayRef::Code(code),
                };
                let vat = match vat.as_deref().map(untag) {
                    None => None,
                    Some(None) => return None,
                    Some(Some((true, id))) => Some(VatRef::Id(id)),
                    Some(Some((false, letter))) => Some(VatRef::Letter(letter)),
                };
                Some(LineDraft {
                    provenance: at.clone(),
                    pay,
                    rate: rate.parse::<Decimal>().ok()?,
                    units: units.parse::<Decimal>().ok()?,
                    vat,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(TimesheetDraft {
            lines,
            ..self.head.clone()
        })
    }
}

impl Serialize for PackedTimesheet {
    /// As the lines' JSON, for debugging output: a record's draft is read with
    /// [`super::Record::timesheet`].
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let lines: serde_json::Value =
            serde_json::from_str(&self.lines).unwrap_or(serde_json::Value::Null);
        let mut head = serde_json::to_value(&self.head).unwrap_or(serde_json::Value::Null);
        if let Some(map) = head.as_object_mut() {
            map.insert("lines".into(), lines);
        }
        head.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkerRef;
    use chrono::NaiveDate;
    use std::path::PathBuf;

    fn at(row: u32) -> Provenance {
        Provenance {
            file: PathBuf::from("t.csv").into(),
            sheet: None,
            row,
        }
    }

    #[test]
    fn a_draft_comes_back_exactly_scales_and_odd_text_included() {
        let draft = TimesheetDraft {
            worker: WorkerRef::AgencyRef("AG-1 \"x\"\u{1e}".into()),
            assignment_ref: Some("A/1".into()),
            start_date: NaiveDate::from_ymd_opt(2025, 4, 6),
            end_date: None,
            tax_year: 2025,
            tax_period: 1,
            month: Some(4),
            lines: vec![
                LineDraft {
                    provenance: at(2),
                    pay: PayRef::Code("pr100\u{1f}".into()),
                    rate: "15.50".parse().unwrap(),
                    units: "7.500".parse().unwrap(),
                    vat: None,
                },
                LineDraft {
                    provenance: at(9),
                    pay: PayRef::Id("PR-3".into()),
                    rate: "-0.0001".parse().unwrap(),
                    units: "1E+3".parse().unwrap_or(Decimal::from(1000)),
                    vat: Some(VatRef::Id("VC-2".into())),
                },
                LineDraft {
                    provenance: at(4),
                    pay: PayRef::Code(String::new()),
                    rate: Decimal::ZERO,
                    units: Decimal::new(12345, 2),
                    vat: Some(VatRef::Letter("i".into())),
                },
            ],
        };
        let places: Vec<Provenance> = draft.lines.iter().map(|l| l.provenance.clone()).collect();
        let packed = PackedTimesheet::pack(draft.clone());
        let back = packed.unpack(&places).expect("unpacks");
        assert_eq!(back, draft);
        assert_eq!(back.lines[0].rate.scale(), 2, "15.50 keeps its scale");
        assert!(
            packed.unpack(&places[..2]).is_none(),
            "one place per line, or nothing"
        );
    }
}
