//! Spreadsheet keys to API ids: VAT letters → `VC-…`, and payment-rate bodies ready to send.

use std::collections::HashMap;

use serde_json::Value;

use crate::model::VatRef;

/// The employer's VAT codes (`GET /vat-code`), fetched once per run.
#[derive(Debug, Clone, Default)]
pub struct VatCodes {
    /// Upper-cased letter → id.
    by_letter: HashMap<String, String>,
    ids: Vec<String>,
    /// Offline dry run: nothing can be checked; letters pass through as placeholders.
    unchecked: bool,
}

impl VatCodes {
    /// From `(id, letter)` pairs as the server lists them. When two codes share a letter the
    /// first one listed wins.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut codes = VatCodes::default();
        for (id, letter) in pairs {
            codes
                .by_letter
                .entry(letter.trim().to_uppercase())
                .or_insert_with(|| id.clone());
            codes.ids.push(id);
        }
        codes
    }

    /// For a dry run without a server: every code resolves to a placeholder naming it.
    pub fn unchecked() -> Self {
        VatCodes {
            unchecked: true,
            ..VatCodes::default()
        }
    }

    /// The `VC-…` id for a letter or an id as the sheet wrote it.
    pub fn resolve(&self, vat: &VatRef) -> Result<String, String> {
        match vat {
            VatRef::Id(id) if self.unchecked => Ok(id.clone()),
            VatRef::Letter(letter) if self.unchecked => Ok(format!("VAT {letter} (not checked)")),
            VatRef::Id(id) if self.ids.iter().any(|known| known == id) => Ok(id.clone()),
            VatRef::Id(id) => Err(format!(
                "VAT code id {id} does not exist on the server (it has {}); use one of those or a VAT letter",
                self.known()
            )),
            VatRef::Letter(letter) => self
                .by_letter
                .get(&letter.trim().to_uppercase())
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "VAT code '{letter}' is not one of the employer's VAT codes ({}); use one of those letters",
                        self.known()
                    )
                }),
        }
    }

    /// Read a VAT cell value as the schema stage wrote it into a JSON body.
    pub fn resolve_text(&self, text: &str) -> Result<String, String> {
        let t = text.trim();
        if t.to_uppercase().starts_with("VC-") {
            self.resolve(&VatRef::Id(t.to_string()))
        } else {
            self.resolve(&VatRef::Letter(t.to_string()))
        }
    }

    fn known(&self) -> String {
        let mut pairs: Vec<String> = self
            .by_letter
            .iter()
            .map(|(letter, id)| format!("{letter} = {id}"))
            .collect();
        pairs.sort();
        if pairs.is_empty() {
            "none".into()
        } else {
            pairs.join(", ")
        }
    }
}

/// A payment-rate create body with `defaultVATCode` resolved to its `VC-…` id.
pub fn payment_rate_body(sheet: &Value, vat: &VatCodes) -> Result<Value, String> {
    let mut body = sheet.clone();
    if let Some(slot) = body.get_mut("defaultVATCode")
        && let Some(text) = slot.as_str().map(str::to_string)
    {
        *slot = Value::String(vat.resolve_text(&text)?);
    }
    Ok(body)
}

/// The update body for a payment rate: the create body without `code` (codes cannot change).
pub fn payment_rate_edit_body(create: &Value) -> Value {
    let mut body = create.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("code");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes() -> VatCodes {
        VatCodes::new([
            ("VC-2".to_string(), "S".to_string()),
            ("VC-3".to_string(), "Z".to_string()),
        ])
    }

    #[test]
    fn letters_and_ids_resolve_unknowns_say_what_exists() {
        let vat = codes();
        assert_eq!(vat.resolve(&VatRef::Letter("s".into())).unwrap(), "VC-2");
        assert_eq!(vat.resolve(&VatRef::Id("VC-3".into())).unwrap(), "VC-3");
        let err = vat.resolve(&VatRef::Letter("Q".into())).unwrap_err();
        assert!(err.contains("'Q'") && err.contains("S = VC-2"), "{err}");
        assert!(vat.resolve(&VatRef::Id("VC-9".into())).is_err());
    }

    #[test]
    fn payment_rate_bodies_get_vat_ids_and_lose_code_on_edit() {
        let sheet = json!({"code": "PR200", "description": "Day", "defaultVATCode": "Z"});
        let body = payment_rate_body(&sheet, &codes()).unwrap();
        assert_eq!(body["defaultVATCode"], "VC-3");
        let edit = payment_rate_edit_body(&body);
        assert!(edit.get("code").is_none());
        assert_eq!(edit["description"], "Day");
        let bad = json!({"code": "PR200", "defaultVATCode": "X"});
        assert!(payment_rate_body(&bad, &codes()).is_err());
    }
}
