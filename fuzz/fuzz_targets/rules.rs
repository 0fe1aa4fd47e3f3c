//! Every cell rule through `rules::apply`, on arbitrary text and (optionally) a stored number.
//! The first byte picks the rule, the next bit whether the cell came with a number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nxsys_etl::rules::{self, Enums, Input, Rule};
use std::sync::OnceLock;

/// Every rule variant, with an `Enum` rule for every kind in the embedded enum file.
fn all_rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = Rule::every();
        rules.push(Rule::Enum("no_such_kind"));
        for kind in enums().kinds() {
            let kind: &'static str = Box::leak(kind.to_string().into_boxed_str());
            rules.push(Rule::Enum(kind));
        }
        rules
    })
}

fn enums() -> &'static Enums {
    static ENUMS: OnceLock<Enums> = OnceLock::new();
    ENUMS.get_or_init(Enums::embedded)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let rules = all_rules();
    let rule = &rules[usize::from(pick >> 1) % rules.len()];
    // With the low bit set, the next 8 bytes are the number a workbook stored.
    let (number, rest) = match (pick & 1, rest.split_first_chunk::<8>()) {
        (1, Some((n, rest))) => (Some(f64::from_le_bytes(*n)), rest),
        _ => (None, rest),
    };
    let text = String::from_utf8_lossy(rest);
    for date1904 in [false, true] {
        let input = Input {
            text: &text,
            number,
            date1904,
            ..Input::default()
        };
        if let Ok(checked) = rules::apply(rule, &input, enums()) {
            // What passes a rule can be written to JSON for the API.
            let _ = nxsys_etl::schema::build::to_json(&checked.value);
        }
    }
});
