//! Server records against the sheet's shape. The reference shows neither the answer of a
//! candidate `GET` (nested like the create body, or flat) nor whether a `PUT` merges or
//! replaces the resource, so:
//!
//! - a flat answer is read in the sheet's shape before it is compared ([`like_sheet`]): each
//!   field the sheet sets is looked for at its path, else by its own name at the top level;
//! - an update sends the whole resource as the server holds it with the sheet's changes on top
//!   ([`whole`]), which a merging server and a replacing one both apply the same way.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::model::Entity;
use crate::schema::columns::columns;

/// `server` in the shape of `sheet`: as it is when it carries the sheet's sections
/// (`generalSetting`, …) as objects; else with each field the sheet sets found at the top level
/// of the (flat) answer and put at the sheet's path.
pub fn like_sheet<'a>(sheet: &Value, server: &'a Value) -> Cow<'a, Value> {
    let Some(sections) = sheet.as_object() else {
        return Cow::Borrowed(server);
    };
    let flat = sections
        .iter()
        .any(|(k, v)| v.is_object() && !server.get(k).is_some_and(Value::is_object));
    if !flat {
        return Cow::Borrowed(server);
    }
    let mut shaped = server.clone();
    for (section, fields) in sections {
        let Some(fields) = fields.as_object() else {
            continue;
        };
        if server.get(section).is_some_and(Value::is_object) {
            continue;
        }
        let mut found = Map::new();
        for key in fields.keys() {
            if let Some(v) = server.get(key) {
                found.insert(key.clone(), v.clone());
            }
        }
        if let Some(map) = shaped.as_object_mut() {
            map.insert(section.clone(), Value::Object(found));
        }
    }
    Cow::Owned(shaped)
}

/// The body of an update: `sheet` completed with what `server` (already in the sheet's shape)
/// holds and the sheet leaves out — a worker's sections (`generalSetting`, `bankSetting`, …)
/// field by field, a payment rate's fields the templates know (never its code).
pub fn whole(entity: Entity, sheet: &Value, server: &Value) -> Value {
    let mut body = sheet.clone();
    let (Some(out), Some(held)) = (body.as_object_mut(), server.as_object()) else {
        return body;
    };
    match entity {
        Entity::Candidates | Entity::CandidatesIe => {
            for (section, fields) in held {
                if fields.is_object() {
                    fill(
                        out.entry(section.clone())
                            .or_insert_with(|| Value::Object(Map::new())),
                        fields,
                    );
                }
            }
        }
        Entity::PaymentRates => {
            for column in columns(entity) {
                let key = column.path;
                if key == "code" || out.contains_key(key) {
                    continue;
                }
                if let Some(v) = held.get(key).filter(|v| !v.is_null()) {
                    // The rate's default VAT code comes back embedded: send its id.
                    let v = match v.get("id") {
                        Some(id) if key == "defaultVATCode" => id.clone(),
                        _ => v.clone(),
                    };
                    out.insert(key.to_string(), v);
                }
            }
        }
        Entity::Timesheets => {}
    }
    body
}

/// Add to `body` what `held` has and `body` lacks, object by object.
fn fill(body: &mut Value, held: &Value) {
    let (Some(out), Some(held)) = (body.as_object_mut(), held.as_object()) else {
        return;
    };
    for (key, value) in held {
        match out.get_mut(key) {
            None if !value.is_null() => {
                out.insert(key.clone(), value.clone());
            }
            Some(mine) if mine.is_object() => fill(mine, value),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flat_answer_is_read_in_the_sheets_shape() {
        let sheet = json!({"generalSetting": {"agencyRef": "A1", "email": "a@x"},
                           "bankSetting": {"sortCode": "601613"}});
        let flat = json!({"id": "SR-1", "agencyRef": "A1", "email": "b@x", "sortCode": "601613",
                          "mobile": "07700"});
        let shaped = like_sheet(&sheet, &flat);
        assert_eq!(
            shaped["generalSetting"],
            json!({"agencyRef": "A1", "email": "b@x"})
        );
        assert_eq!(shaped["bankSetting"], json!({"sortCode": "601613"}));
        let nested = json!({"generalSetting": {"agencyRef": "A1"}, "bankSetting": {}});
        assert!(matches!(like_sheet(&sheet, &nested), Cow::Borrowed(_)));
    }

    #[test]
    fn an_update_carries_what_the_sheet_leaves_out() {
        let sheet = json!({"generalSetting": {"agencyRef": "A1", "email": "new@x"}});
        let server = json!({"id": "SR-1", "status": "ACTIVE",
            "generalSetting": {"agencyRef": "A1", "email": "old@x", "mobile": "07700", "title": null},
            "bankSetting": {"sortCode": "601613"}});
        let body = whole(Entity::Candidates, &sheet, &server);
        assert_eq!(
            body,
            json!({"generalSetting": {"agencyRef": "A1", "email": "new@x", "mobile": "07700"},
                   "bankSetting": {"sortCode": "601613"}})
        );
        let rate = json!({"description": "New", "type": "RATE"});
        let held = json!({"id": "PR-3", "code": "PR200", "description": "Old", "type": "RATE",
            "hoursPerUnit": "1", "author": "USR-1", "defaultVATCode": {"id": "VC-1", "VATCode": "S"}});
        assert_eq!(
            whole(Entity::PaymentRates, &rate, &held),
            json!({"description": "New", "type": "RATE", "hoursPerUnit": "1",
                   "defaultVATCode": "VC-1"})
        );
    }
}
