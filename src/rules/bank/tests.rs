use super::*;
use proptest::prelude::*;

fn run(
    rule: fn(&Input<'_>) -> RuleResult<String>,
    input: Input<'_>,
) -> Result<(String, Vec<&'static str>), &'static str> {
    rule(&input)
        .map(|c| (c.value, c.warnings.iter().map(|w| w.code).collect()))
        .map_err(|f| f.code)
}

fn number(text: &str) -> Input<'_> {
    Input {
        text,
        number: text.parse().ok(),
        date1904: false,
        ..Input::default()
    }
}

#[test]
fn sort_codes() {
    let ok = |t| run(sort_code, Input::text(t)).map(|(v, _)| v);
    assert_eq!(ok("12-34-56"), Ok("123456".into()));
    assert_eq!(ok("12 34 56"), Ok("123456".into()));
    assert_eq!(ok("012345"), Ok("012345".into()));
    assert_eq!(ok("12-34-5"), Err("sort_code.length"));
    assert_eq!(ok("1234567"), Err("sort_code.length"));
    assert_eq!(ok("12/34/56"), Err("sort_code.format"));
    assert_eq!(ok("AB-CD-EF"), Err("sort_code.format"));
    assert_eq!(ok("1.23E+05"), Err("identifier.scientific"));
}

fn strict(input: Input<'_>) -> Input<'_> {
    Input {
        strict: true,
        ..input
    }
}

fn with_iban<'a>(input: Input<'a>, iban: &'a str) -> Input<'a> {
    Input {
        iban: Some(iban),
        ..input
    }
}

/// A GB IBAN (check digits computed) carrying this sort code and account number.
fn gb_iban(sort: &str, account: &str) -> String {
    let bban = format!("NWBK{sort}{account}");
    let check = 98 - mod97(&format!("GB00{bban}")).unwrap();
    let iban = format!("GB{check:02}{bban}");
    assert_eq!(
        run(iban_rule, Input::text(&iban)).map(|(v, _)| v),
        Ok(iban.clone())
    );
    iban
}

fn iban_rule(input: &Input<'_>) -> RuleResult<String> {
    iban(input)
}

#[test]
fn sort_code_stored_as_number_reports_lost_zero_when_strict() {
    let err = sort_code(&strict(number("12345"))).unwrap_err();
    assert_eq!(err.code, "sort_code.lost_zero");
    assert!(
        err.message.contains("format the column as Text"),
        "{}",
        err.message
    );
    assert_eq!(
        run(sort_code, number("123456")).map(|(v, _)| v),
        Ok("123456".into())
    );
}

#[test]
fn sort_code_stored_as_number_is_repaired_naming_read_and_used() {
    for (read, used) in [("794", "000794"), ("18667", "018667"), ("1", "000001")] {
        let checked = sort_code(&number(read)).expect(read);
        assert_eq!(checked.value, used);
        let codes: Vec<_> = checked.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["sort_code.repaired"], "{read}");
        let message = &checked.warnings[0].message;
        assert!(message.contains(&format!("'{read}'")), "{message}");
        assert!(message.contains(used), "{message}");
        assert!(message.contains("Text"), "{message}");
        assert_eq!(checked.warnings[0].sent.as_deref(), Some(used));
        assert!(checked.warnings[0].is_repair());
    }
    // Six digits stored as a number lost nothing: no warning.
    assert_eq!(
        run(sort_code, number("560888")),
        Ok(("560888".into(), vec![]))
    );
}

#[test]
fn sort_code_repair_must_agree_with_the_iban() {
    let agrees = gb_iban("000794", "86496244");
    assert_eq!(
        run(sort_code, with_iban(number("794"), &agrees)),
        Ok(("000794".into(), vec!["sort_code.repaired"]))
    );
    // The IBAN carries another sort code: an error, as without repairs, saying why.
    let other = gb_iban("600794", "86496244");
    let err = sort_code(&with_iban(number("794"), &other)).unwrap_err();
    assert_eq!(err.code, "sort_code.lost_zero");
    assert!(err.message.contains("600794"), "{}", err.message);
    // A non-GB IBAN says nothing about a UK sort code: the number cell alone proves the repair.
    assert_eq!(
        run(
            sort_code,
            with_iban(number("794"), "IE29AIBK93115212345678")
        ),
        Ok(("000794".into(), vec!["sort_code.repaired"]))
    );
}

#[test]
fn sort_code_in_text_is_repaired_only_when_the_iban_confirms_it() {
    // Text proves nothing about lost zeros: an error without an IBAN, as before.
    assert_eq!(run(sort_code, Input::text("794")), Err("sort_code.length"));
    let agrees = gb_iban("000794", "86496244");
    assert_eq!(
        run(sort_code, with_iban(Input::text("794"), &agrees)),
        Ok(("000794".into(), vec!["sort_code.repaired"]))
    );
    let other = gb_iban("100794", "86496244");
    assert_eq!(
        run(sort_code, with_iban(Input::text("794"), &other)),
        Err("sort_code.length")
    );
    // Only plain digits look like what Excel leaves; a typed short code is not repaired.
    assert_eq!(
        run(sort_code, with_iban(Input::text("07-94"), &agrees)),
        Err("sort_code.length")
    );
    assert_eq!(
        run(sort_code, strict(with_iban(Input::text("794"), &agrees))),
        Err("sort_code.length")
    );
}

#[test]
fn sort_code_with_lost_digits_stays_an_error() {
    assert_eq!(
        run(sort_code, number("1.23457E+05")),
        Err("identifier.scientific")
    );
    // `12-34-56` read as a date by a spreadsheet: the reader shows the date, digits are gone.
    let date = Input {
        text: "2056-12-03",
        number: Some(57_682.0),
        ..Input::default()
    };
    assert_eq!(run(sort_code, date), Err("sort_code.length"));
    // A negative number is not a sort code that lost zeros.
    assert_eq!(run(sort_code, number("-794")), Err("sort_code.lost_zero"));
}

#[test]
fn account_number_stored_as_number_is_repaired() {
    for (read, used) in [
        ("1234567", "01234567"),
        ("456789", "00456789"),
        ("4321", "00004321"),
    ] {
        let checked = account_number(&number(read)).expect(read);
        assert_eq!(checked.value, used);
        let codes: Vec<_> = checked.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["account_number.repaired"], "{read}");
        assert!(checked.warnings[0].message.contains(&format!("'{read}'")));
        assert!(checked.warnings[0].message.contains(used));
        assert_eq!(checked.warnings[0].sent.as_deref(), Some(used));
    }
    let agrees = gb_iban("000794", "00004321");
    assert_eq!(
        run(account_number, with_iban(number("4321"), &agrees)),
        Ok(("00004321".into(), vec!["account_number.repaired"]))
    );
    // The IBAN carries another account: the repair is refused, as without repairs.
    let other = gb_iban("000794", "10004321");
    assert_eq!(
        run(account_number, with_iban(number("4321"), &other)),
        Err("account_number.length")
    );
    let padded = account_number(&with_iban(number("1234567"), &other)).unwrap();
    assert_eq!(padded.warnings[0].code, "account_number.padded");
    assert!(padded.warnings[0].message.contains("10004321"));
}

#[test]
fn account_number_in_text_is_repaired_only_when_the_iban_confirms_it() {
    assert_eq!(
        run(account_number, Input::text("4321")),
        Err("account_number.length")
    );
    let agrees = gb_iban("000794", "00004321");
    assert_eq!(
        run(account_number, with_iban(Input::text("4321"), &agrees)),
        Ok(("00004321".into(), vec!["account_number.repaired"]))
    );
    // 6–7 digits in text keep the banks' padding convention when no IBAN confirms more.
    assert_eq!(
        run(account_number, Input::text("1234567")),
        Ok(("01234567".into(), vec!["account_number.padded"]))
    );
    assert_eq!(
        run(account_number, number("1.23457E+15")),
        Err("identifier.scientific")
    );
}

#[test]
fn strict_gives_the_errors_and_warnings_of_before() {
    let agrees = gb_iban("000794", "00004321");
    assert_eq!(
        run(sort_code, strict(number("794"))),
        Err("sort_code.lost_zero")
    );
    assert_eq!(
        run(sort_code, strict(with_iban(number("794"), &agrees))),
        Err("sort_code.lost_zero")
    );
    assert_eq!(
        run(account_number, strict(with_iban(number("4321"), &agrees))),
        Err("account_number.length")
    );
    assert_eq!(
        run(account_number, strict(number("123456"))),
        Ok(("00123456".into(), vec!["account_number.padded"]))
    );
}

#[test]
fn account_numbers() {
    assert_eq!(
        run(account_number, Input::text("12345678")),
        Ok(("12345678".into(), vec![]))
    );
    assert_eq!(
        run(account_number, Input::text("1234 5678")),
        Ok(("12345678".into(), vec![]))
    );
    assert_eq!(
        run(account_number, Input::text("1234567")),
        Ok(("01234567".into(), vec!["account_number.padded"]))
    );
    assert_eq!(
        run(account_number, number("123456")),
        Ok(("00123456".into(), vec!["account_number.repaired"]))
    );
    assert_eq!(
        run(account_number, Input::text("12345")),
        Err("account_number.length")
    );
    assert_eq!(
        run(account_number, Input::text("123456789")),
        Err("account_number.length")
    );
    assert_eq!(
        run(account_number, Input::text("1234567X")),
        Err("account_number.format")
    );
    assert_eq!(
        run(account_number, Input::text("1.23457E+15")),
        Err("identifier.scientific")
    );
}

#[test]
fn padded_warning_explains_excel() {
    let checked = account_number(&strict(number("1234567"))).unwrap();
    assert!(
        checked.warnings[0].message.contains("Excel"),
        "{:?}",
        checked.warnings
    );
    assert!(checked.warnings[0].message.contains("01234567"));
}

/// Examples from the ECBS/SWIFT IBAN registry and the UK banks' published examples.
#[test]
fn published_valid_ibans() {
    for (text, normal) in [
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("IE29 AIBK 9311 5212 3456 78", "IE29AIBK93115212345678"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        (
            "FR14 2004 1010 0505 0001 3M02 606",
            "FR1420041010050500013M02606",
        ),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("be68 5390 0754 7034", "BE68539007547034"),
    ] {
        assert_eq!(
            run(iban, Input::text(text)),
            Ok((normal.into(), vec![])),
            "{text}"
        );
    }
}

#[test]
fn invalid_ibans() {
    let code = |t| run(iban, Input::text(t)).unwrap_err();
    // One digit changed / two digits swapped in the registry example.
    assert_eq!(code("GB82 WEST 1234 5698 7654 33"), "iban.checksum");
    assert_eq!(code("GB82 WEST 1234 5698 7645 32"), "iban.checksum");
    assert_eq!(code("GB28 NWBK 6016 1331 9268 19"), "iban.checksum");
    assert_eq!(code("GB29 NWBK 6016 1331 9268 1"), "iban.length");
    assert_eq!(code("IE29 AIBK 9311 5212 3456 7"), "iban.length");
    assert_eq!(code("QX29 NWBK 6016 1331 9268 19"), "iban.country");
    assert_eq!(code("12345678"), "iban.format");
    assert_eq!(code("GB29 NWBK 6016 1331 9268 1!"), "iban.format");
}

#[test]
fn iban_of_unlisted_country_is_checked_and_flagged() {
    // Constructed for a real country missing from the table: check digits computed to pass.
    let body = "ABCD1234567890";
    let check = 98 - mod97(&format!("US00{body}")).unwrap();
    let text = format!("US{check:02}{body}");
    assert_eq!(
        run(iban, Input::text(&text)),
        Ok((text.clone(), vec!["iban.country_unlisted"]))
    );
}

#[test]
fn gb_iban_consistency_with_sort_code_and_account() {
    assert!(iban_matches_uk(
        "GB29 NWBK 6016 1331 9268 19",
        "60-16-13",
        "31926819"
    ));
    assert!(!iban_matches_uk(
        "GB29NWBK60161331926819",
        "601614",
        "31926819"
    ));
    assert!(!iban_matches_uk(
        "GB29NWBK60161331926819",
        "601613",
        "31926818"
    ));
    assert!(!iban_matches_uk(
        "IE29AIBK93115212345678",
        "931152",
        "12345678"
    ));
    assert_eq!(
        uk_bank_consistency("GB29NWBK60161331926819", "601613", "31926819"),
        None
    );
    assert_eq!(
        uk_bank_consistency("IE29AIBK93115212345678", "601613", "31926819"),
        None
    );
    let err = uk_bank_consistency("GB29NWBK60161331926819", "601613", "12345678").unwrap();
    assert_eq!(err.code, "iban.mismatch");
}

#[test]
fn bics() {
    let ok = |t| run(bic, Input::text(t)).map(|(v, _)| v);
    assert_eq!(ok("NWBKGB2L"), Ok("NWBKGB2L".into()));
    assert_eq!(ok("aibk ie 2d"), Ok("AIBKIE2D".into()));
    assert_eq!(ok("DEUTDEFF500"), Ok("DEUTDEFF500".into()));
    assert_eq!(ok("NWBKGB2"), Err("bic.format"));
    assert_eq!(ok("NWB1GB2L"), Err("bic.format"));
    assert_eq!(ok("NWBKXQ2L"), Err("bic.country"));
}

/// Build a valid IBAN for `country` around `body` by computing its check digits.
fn with_check_digits(country: &str, body: &str) -> String {
    let check = 98 - mod97(&format!("{country}00{body}")).unwrap_or(0);
    format!("{country}{check:02}{body}")
}

proptest! {
    #[test]
    fn gb_iban_round_trips_with_any_spacing(
        bank in "[A-Z]{4}", sort in "[0-9]{6}", account in "[0-9]{8}", gaps in "[ ]{0,3}",
    ) {
        let iban_text = with_check_digits("GB", &format!("{bank}{sort}{account}"));
        let spaced: String = iban_text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let gap = if i % 4 == 3 { gaps.as_str() } else { "" };
                std::iter::once(c).chain(gap.chars())
            })
            .collect();
        let normal = iban(&Input::text(&spaced.to_lowercase())).unwrap().value;
        prop_assert_eq!(&normal, &iban_text);
        prop_assert_eq!(iban(&Input::text(&normal)).unwrap().value, normal.clone());
        prop_assert!(iban_matches_uk(&spaced, &sort, &account));
    }

    #[test]
    fn one_changed_digit_always_fails(
        body in "[0-9]{18}", pos in 4usize..22, delta in 1u8..10,
    ) {
        let good = with_check_digits("GB", &format!("WEST{}", &body[4..]));
        let mut bytes = good.clone().into_bytes();
        if bytes[pos].is_ascii_digit() {
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(iban(&Input::text(&bad)).unwrap_err().code, "iban.checksum");
        }
    }

    #[test]
    fn formatted_sort_code_validates_the_same(digits in "[0-9]{6}", sep in "[- ]?") {
        let text = format!("{}{sep}{}{sep}{}", &digits[..2], &digits[2..4], &digits[4..]);
        prop_assert_eq!(sort_code(&Input::text(&text)).unwrap().value, digits);
    }
}
