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

/// The packed text of `lines`: what `serde_json` writes for their [`Packed`] tuples, written
/// straight into one buffer. Packing with `serde_json` built four `String`s a line and printed
/// each amount with `Decimal`'s `Display`: 17 % of the instructions of validating a CSV batch.
fn pack_lines(lines: &[LineDraft]) -> String {
    let mut out = String::with_capacity(2 + lines.len() * 40);
    out.push('[');
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        match &line.pay {
            PayRef::Code(code) => push_tagged(&mut out, 'c', code),
            PayRef::Id(id) => push_tagged(&mut out, 'i', id),
        }
        out.push(',');
        push_amount(&mut out, line.rate);
        out.push(',');
        push_amount(&mut out, line.units);
        out.push(',');
        match &line.vat {
            None => out.push_str("null"),
            Some(VatRef::Letter(letter)) => push_tagged(&mut out, 'c', letter),
            Some(VatRef::Id(id)) => push_tagged(&mut out, 'i', id),
        }
        out.push(']');
    }
    out.push(']');
    out
}

/// `"{tag}{text}"` as a JSON string.
fn push_tagged(out: &mut String, tag: char, text: &str) {
    let plain = text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.push('"');
        out.push(tag);
        out.push_str(text);
        out.push('"');
    } else {
        // serde_json escapes it (a `char` and a `&str` always serialise).
        let escaped = serde_json::to_string(&format!("{tag}{text}")).unwrap_or_default();
        out.push_str(&escaped);
    }
}

/// An amount as a JSON string, exactly as `Decimal`'s `Display` writes it (scale kept).
fn push_amount(out: &mut String, amount: Decimal) {
    out.push('"');
    let mantissa = amount.mantissa();
    match u64::try_from(mantissa.unsigned_abs()) {
        Ok(abs) if mantissa != 0 || !amount.is_sign_negative() => {
            let mut buf = [0u8; 20];
            let digits = super::digits::digits(abs, &mut buf);
            let scale = amount.scale() as usize;
            if mantissa < 0 {
                out.push('-');
            }
            // At least one digit before the point: 5 at scale 2 is 0.05.
            let whole = digits.len().saturating_sub(scale);
            if whole == 0 {
                out.push('0');
            }
            for &d in digits.get(..whole).unwrap_or_default() {
                out.push(char::from(d));
            }
            if scale > 0 {
                out.push('.');
                for _ in digits.len()..scale {
                    out.push('0');
                }
                for &d in digits.get(whole..).unwrap_or_default() {
                    out.push(char::from(d));
                }
            }
        }
        // Beyond 20 digits, and a negative zero: the formatting machinery.
        _ => out.push_str(&amount.to_string()),
    }
    out.push('"');
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
        let lines = pack_lines(&draft.lines).into_boxed_str();
        PackedTimesheet {
            head: TimesheetDraft {
                lines: Vec::new(),
                ..draft
            },
            lines,
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

    /// The packing before the hand-written one: the reference it must match byte for byte.
    fn packed_by_serde(lines: &[LineDraft]) -> String {
        let tag = |is_id: bool, text: &str| format!("{}{text}", if is_id { 'i' } else { 'c' });
        let packed: Vec<Packed> = lines
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
        serde_json::to_string(&packed).expect("strings serialise")
    }

    fn line(pay: PayRef, rate: Decimal, units: Decimal, vat: Option<VatRef>) -> LineDraft {
        LineDraft {
            provenance: at(2),
            pay,
            rate,
            units,
            vat,
        }
    }

    proptest::proptest! {
        #[test]
        fn packing_writes_what_serde_json_wrote(
            parts in proptest::prelude::any::<(u32, u32, u32, bool)>(),
            scale in 0u32..=28,
            small in proptest::prelude::any::<i64>(),
            small_scale in 0u32..=6,
            text in "(?s).{0,8}",
            is_id in proptest::prelude::any::<bool>(),
        ) {
            let (lo, mid, hi, negative) = parts;
            let big = Decimal::from_parts(lo, mid, hi, negative, scale);
            let small = Decimal::new(small, small_scale);
            let pay = if is_id { PayRef::Id(text.clone()) } else { PayRef::Code(text.clone()) };
            let lines = [
                line(pay.clone(), big, small, Some(VatRef::Letter(text.clone()))),
                line(pay, small, big, None),
                line(PayRef::Code("PR1".into()), Decimal::new(lo.into(), scale), small, Some(VatRef::Id(text))),
            ];
            proptest::prop_assert_eq!(pack_lines(&lines), packed_by_serde(&lines));
        }
    }

    #[test]
    fn zeros_and_negative_zeros_are_written_as_display_writes_them() {
        let zeros = [
            Decimal::from_parts(0, 0, 0, true, 2),
            Decimal::from_parts(0, 0, 0, false, 3),
            Decimal::from_parts(0, 0, 0, true, 0),
            Decimal::new(-5, 4),
        ];
        let lines: Vec<LineDraft> = zeros
            .iter()
            .map(|z| line(PayRef::Code("P".into()), *z, *z, None))
            .collect();
        assert_eq!(pack_lines(&lines), packed_by_serde(&lines));
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
