//! Which entity a sheet holds: `--entity` (or the mapping file) decides; otherwise the sheet
//! name, then the file name, then the headers. Candidates split into UK and Ireland by their
//! headers (NI Number/Postcode against PPS Number/Eircode) when the name does not say.

use super::headers::{fold, score};
use super::mapping::Mapping;
use crate::model::Entity;
use crate::source::RowBuf;

/// The entity a sheet or file name suggests ("Workers IE", "pay_codes.csv", "Timesheets").
pub fn from_name(name: &str) -> Option<Entity> {
    let n = fold(name);
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&["timesheet", "hours", "timecard"]) {
        Some(Entity::Timesheets)
    } else if has(&["paymentrate", "payrate", "paycode", "ratecode", "rates"]) {
        Some(Entity::PaymentRates)
    } else if has(&[
        "candidate",
        "worker",
        "employee",
        "contractor",
        "starter",
        "staff",
    ]) {
        let irish = has(&["ireland", "irish"])
            || name
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w.eq_ignore_ascii_case("ie") || w.eq_ignore_ascii_case("roi"));
        Some(if irish {
            Entity::CandidatesIe
        } else {
            Entity::Candidates
        })
    } else {
        None
    }
}

/// The entity whose headers best match the row, with how many matched.
pub fn from_headers(row: &RowBuf, mapping: Option<&Mapping>) -> Option<(Entity, usize)> {
    let mut best: Option<(Entity, usize)> = None;
    for entity in Entity::ALL {
        let s = score(entity, row, mapping);
        if s > best.map_or(0, |b| b.1) {
            best = Some((entity, s));
        }
    }
    best
}

/// Decide the entity of a sheet whose header row is `header`.
pub fn detect(
    forced: Option<Entity>,
    sheet: Option<&str>,
    file_stem: &str,
    header: &RowBuf,
    mapping: Option<&Mapping>,
) -> Option<Entity> {
    if let Some(entity) = forced.or(mapping.and_then(|m| m.entity)) {
        return Some(entity);
    }
    let by_name = sheet.and_then(from_name).or_else(|| from_name(file_stem));
    match by_name {
        // A name says "candidates"; the headers say which country.
        Some(Entity::Candidates) => {
            let uk = score(Entity::Candidates, header, mapping);
            let ie = score(Entity::CandidatesIe, header, mapping);
            Some(if ie > uk {
                Entity::CandidatesIe
            } else {
                Entity::Candidates
            })
        }
        Some(entity) => Some(entity),
        None => from_headers(header, mapping)
            .filter(|&(_, s)| s >= 2)
            .map(|(e, _)| e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> RowBuf {
        let mut r = RowBuf::default();
        for c in cells {
            r.push_text(c);
        }
        r
    }

    #[test]
    fn names() {
        assert_eq!(from_name("Timesheets"), Some(Entity::Timesheets));
        assert_eq!(from_name("pay_codes"), Some(Entity::PaymentRates));
        assert_eq!(from_name("Payment Rates"), Some(Entity::PaymentRates));
        assert_eq!(from_name("New workers"), Some(Entity::Candidates));
        assert_eq!(from_name("candidates-ie"), Some(Entity::CandidatesIe));
        assert_eq!(from_name("Workers Ireland"), Some(Entity::CandidatesIe));
        assert_eq!(from_name("Sheet1"), None);
    }

    #[test]
    fn headers_decide_when_names_do_not() {
        let ie = row(&["Agency Ref", "Forename", "PPS Number", "Eircode"]);
        assert_eq!(
            detect(None, Some("Sheet1"), "export", &ie, None),
            Some(Entity::CandidatesIe)
        );
        assert_eq!(
            detect(None, Some("Workers"), "x", &ie, None),
            Some(Entity::CandidatesIe)
        );
        let ts = row(&["Agency Ref", "Tax Year", "Tax Period", "Pay Code", "Units"]);
        assert_eq!(
            detect(None, None, "export", &ts, None),
            Some(Entity::Timesheets)
        );
        let forced = Some(Entity::PaymentRates);
        assert_eq!(detect(forced, None, "x", &ts, None), forced);
        assert_eq!(detect(None, None, "x", &row(&["Colour"]), None), None);
    }
}
