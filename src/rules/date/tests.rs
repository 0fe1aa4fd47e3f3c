use super::*;
use proptest::prelude::*;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn text(t: &str) -> Result<(NaiveDate, Vec<&'static str>), &'static str> {
    date(&Input::text(t))
        .map(|c| (c.value, c.warnings.iter().map(|w| w.code).collect()))
        .map_err(|f| f.code)
}

fn serial(n: f64, date1904: bool) -> Result<NaiveDate, &'static str> {
    let t = n.to_string();
    let input = Input {
        text: &t,
        number: Some(n),
        date1904,
        ..Input::default()
    };
    date(&input).map(|c| c.value).map_err(|f| f.code)
}

#[test]
fn accepted_text_forms() {
    let d = ymd(2025, 3, 1);
    for t in [
        "2025-03-01",
        "2025/03/01",
        "2025-03-01T00:00:00",
        "2025-03-01T14:15:22Z",
        "2025-03-01 00:00:00",
        "1/3/2025",
        "01/03/2025",
        "01/03/2025 00:00",
        "01-03-2025",
        "01.03.2025",
        "01-Mar-2025",
        "1 Mar 2025",
        "1 March 2025",
        "1st March 2025",
        "1st march, 2025",
        "March 1, 2025",
        "MAR 1 2025",
    ] {
        assert_eq!(text(t), Ok((d, vec![])), "{t}");
    }
    assert_eq!(text("30 Sept 2025").map(|r| r.0), Ok(ymd(2025, 9, 30)));
    assert_eq!(
        text("Sept 30 2025 10:00").map(|r| r.0),
        Ok(ymd(2025, 9, 30))
    );
    assert_eq!(
        text("1 OCT 2025 00:00:00").map(|r| r.0),
        Ok(ymd(2025, 10, 1))
    );
    assert_eq!(text("29/02/2024").map(|r| r.0), Ok(ymd(2024, 2, 29)));
}

#[test]
fn day_first_when_both_could_be_months() {
    assert_eq!(text("03/04/2025").map(|r| r.0), Ok(ymd(2025, 4, 3)));
}

#[test]
fn two_digit_years_warn() {
    assert_eq!(
        text("01/03/25"),
        Ok((ymd(2025, 3, 1), vec!["date.two_digit_year"]))
    );
    assert_eq!(
        text("15-Jun-85"),
        Ok((ymd(1985, 6, 15), vec!["date.two_digit_year"]))
    );
    assert_eq!(text("1/1/68").map(|r| r.0), Ok(ymd(2068, 1, 1)));
    assert_eq!(text("1/1/69").map(|r| r.0), Ok(ymd(1969, 1, 1)));
}

#[test]
fn us_month_first_is_rejected_when_impossible_as_day_first() {
    assert_eq!(text("03/15/2025"), Err("date.us_format"));
    assert_eq!(text("12/31/2024"), Err("date.us_format"));
    let err = date(&Input::text("03/15/2025")).unwrap_err();
    assert!(err.message.contains("15/3/2025"), "{}", err.message);
}

#[test]
fn invalid_dates() {
    assert_eq!(text("31/04/2025"), Err("date.invalid"));
    assert_eq!(text("29/02/2025"), Err("date.invalid"));
    assert_eq!(text("2025-13-01"), Err("date.invalid"));
    assert_eq!(text("32/13/2025"), Err("date.invalid"));
    assert_eq!(text("next Tuesday"), Err("date.format"));
    assert_eq!(text("1/3"), Err("date.format"));
    assert_eq!(text("1/3/202"), Err("date.format"));
    assert_eq!(text("45000"), Err("date.format"));
    assert_eq!(text("1 Ma 2025"), Err("date.format"));
    assert_eq!(text("1 Foo 2025"), Err("date.format"));
    assert_eq!(text("01/03/1850"), Err("date.range"));
    assert_eq!(text("01/03/2150"), Err("date.range"));
}

/// Excel serials: 45000 is 15 March 2023 in the 1900 system; the 1904 system is 1462 days
/// later in numbering (serial 0 = 1 January 1904).
#[test]
fn excel_serials() {
    assert_eq!(serial(45000.0, false), Ok(ymd(2023, 3, 15)));
    assert_eq!(serial(45000.75, false), Ok(ymd(2023, 3, 15)));
    assert_eq!(serial(45000.0 - 1462.0, true), Ok(ymd(2023, 3, 15)));
    assert_eq!(serial(45000.0, true), Ok(ymd(2027, 3, 16)));
    // 3654 is 1 January 1910, the earliest serial read as a date.
    assert_eq!(serial(3654.0, false), Ok(ymd(1910, 1, 1)));
    assert_eq!(serial(3653.0, false), Err("date.serial"));
    assert_eq!(serial(25569.0, false), Ok(ymd(1970, 1, 1)));
    assert_eq!(serial(60.0, false), Err("date.serial"));
    let year = Input {
        text: "1985",
        number: Some(1985.0),
        date1904: false,
        ..Input::default()
    };
    assert!(date(&year).unwrap_err().message.contains("year on its own"));
    assert_eq!(serial(12.0, false), Err("date.serial"));
    assert_eq!(serial(-1.0, false), Err("date.serial"));
    assert_eq!(serial(f64::NAN, false), Err("date.serial"));
    assert_eq!(serial(3e6, false), Err("date.serial"));
    assert_eq!(serial(73050.0, false), Ok(ymd(2099, 12, 31)));
    assert_eq!(serial(73051.0, false), Ok(ymd(2100, 1, 1)));
    assert_eq!(serial(80000.0, false), Err("date.range"));
}

proptest! {
    #[test]
    fn the_iso_fast_path_agrees_with_the_general_parser(y in 0i32..10000, m in 0u32..14, d in 0u32..33) {
        let raw = format!("{y:04}-{m:02}-{d:02}");
        if let Some(fast) = iso_date(&raw) {
            let general = parse_general(&raw).map(|c| (c.value, c.warnings.len()));
            prop_assert_eq!(general.ok(), Some((fast, 0)), "{}", raw);
        } else {
            prop_assert!(parse_general(&raw).is_err(), "{}", raw);
        }
    }

    #[test]
    fn iso_and_day_first_forms_agree(days in 0i64..73000) {
        let d = ymd(1900, 1, 1) + chrono::Duration::days(days);
        let iso = d.format("%Y-%m-%d").to_string();
        let uk = d.format("%-d/%-m/%Y").to_string();
        let named = d.format("%d-%b-%Y").to_string();
        prop_assert_eq!(text(&iso), Ok((d, vec![])));
        prop_assert_eq!(text(&uk), Ok((d, vec![])));
        prop_assert_eq!(text(&named), Ok((d, vec![])));
    }

    #[test]
    fn serial_systems_differ_by_1462_days(s in 5200.0f64..70000.0) {
        prop_assert_eq!(serial(s, false), serial(s - 1462.0, true));
    }
}

#[test]
fn only_ten_character_iso_dates_take_the_fast_path() {
    assert_eq!(iso_date("2025-04-06"), Some(ymd(2025, 4, 6)));
    for other in [
        "2025-02-30",
        "2025-4-6",
        "06/04/2025",
        "2025/04/06",
        "2025-04-06T10:00",
        "+025-04-06",
    ] {
        assert_eq!(iso_date(other), None, "{other}");
    }
}
