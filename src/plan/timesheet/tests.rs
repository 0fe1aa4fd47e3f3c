use super::*;
use crate::model::{LineDraft, Provenance, VatRef};

fn d(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

fn line(rate_id: &str, rate: &str, units: &str, vat: Option<&str>) -> Line {
    Line {
        rate_id: rate_id.into(),
        rate: d(rate),
        units: d(units),
        vat_id: vat.map(str::to_string),
    }
}

fn plan(lines: Vec<Line>) -> TimesheetPlan {
    TimesheetPlan {
        worker_id: "SR-1".into(),
        assignment_ref: None,
        start_date: NaiveDate::from_ymd_opt(2025, 4, 7),
        end_date: NaiveDate::from_ymd_opt(2025, 4, 13),
        tax_year: 2025,
        tax_period: 1,
        month: None,
        lines,
    }
}

fn server(id: &str, lines: Option<Vec<Line>>) -> ServerTimesheet {
    ServerTimesheet {
        id: id.into(),
        worker_id: Some("SR-1".into()),
        start_date: NaiveDate::from_ymd_opt(2025, 4, 7),
        end_date: NaiveDate::from_ymd_opt(2025, 4, 13),
        tax_year: Some(2025),
        tax_period: Some(1),
        lines,
        net: None,
    }
}

#[test]
fn totals_are_exact() {
    let p = plan(vec![
        line("PR-1", "12.345", "7.5", None),
        line("PR-2", "100", "1", None),
    ]);
    let t = p.totals();
    assert_eq!(t.lines, 2);
    assert_eq!(t.units, d("8.5"));
    assert_eq!(t.net, d("192.5875"));
}

#[test]
fn same_lines_ignores_order_and_decimal_spelling() {
    let a = vec![
        line("PR-1", "12.50", "8", Some("VC-2")),
        line("PR-2", "100", "1", None),
    ];
    let b = vec![
        line("PR-2", "100.0", "1", Some("VC-2")),
        line("PR-1", "12.5", "8.00", Some("VC-2")),
    ];
    assert!(same_lines(&a, &b));
    let c = vec![
        line("PR-2", "100.0", "1", None),
        line("PR-1", "12.5", "9", None),
    ];
    assert!(!same_lines(&a, &c));
    assert!(!same_lines(&a, &a[..1]));
}

#[test]
fn decide_unchanged_update_create() {
    let p = plan(vec![line("PR-1", "12.5", "8", Some("VC-2"))]);
    let same = server("TS-1", Some(vec![line("PR-1", "12.50", "8", Some("VC-2"))]));
    let d1 = decide(&p, std::slice::from_ref(&same));
    assert_eq!(
        (d1.action, d1.existing_id.as_deref()),
        (Action::Unchanged, Some("TS-1"))
    );

    let other = server("TS-2", Some(vec![line("PR-1", "12.5", "7", Some("VC-2"))]));
    let d2 = decide(&p, std::slice::from_ref(&other));
    assert_eq!(
        (d2.action, d2.existing_id.as_deref()),
        (Action::Update, Some("TS-2"))
    );
    assert_eq!(d2.changes[0].field, "rates");

    let mut elsewhere = same.clone();
    elsewhere.tax_period = Some(2);
    assert_eq!(decide(&p, &[elsewhere]).action, Action::Create);
    assert_eq!(decide(&p, &[]).action, Action::Create);
}

#[test]
fn without_echoed_lines_the_net_value_decides() {
    let p = plan(vec![line("PR-1", "12.5", "8", None)]);
    let mut s = server("TS-1", None);
    s.net = Some(d("100"));
    assert!(is_same_timesheet(&p, &s));
    s.net = Some(d("101"));
    assert!(!is_same_timesheet(&p, &s));
    s.net = None;
    assert!(!is_same_timesheet(&p, &s));
}

#[test]
fn resolve_maps_keys_and_explains_what_is_missing() {
    let prov = |row| Provenance {
        file: std::path::Path::new("t.csv").into(),
        sheet: None,
        row,
    };
    let draft = TimesheetDraft {
        worker: WorkerRef::AgencyRef("A1".into()),
        assignment_ref: None,
        start_date: None,
        end_date: None,
        tax_year: 2025,
        tax_period: 2,
        month: None,
        lines: vec![
            LineDraft {
                provenance: prov(5),
                pay: PayRef::Code("pr100".into()),
                rate: d("12"),
                units: d("8"),
                vat: Some(VatRef::Letter("S".into())),
            },
            LineDraft {
                provenance: prov(6),
                pay: PayRef::Code("PR101".into()),
                rate: d("100"),
                units: d("1"),
                vat: None,
            },
        ],
    };
    let workers = HashMap::from([("A1".to_string(), "SR-7".to_string())]);
    let pay = HashMap::from([
        (
            "PR100".to_string(),
            PayInfo {
                id: "PR-1".into(),
                default_vat: None,
            },
        ),
        (
            "PR101".to_string(),
            PayInfo {
                id: "PR-2".into(),
                default_vat: Some("VC-9".into()),
            },
        ),
    ]);
    let vat = VatCodes::new([("VC-2".to_string(), "S".to_string())]);
    let p = resolve(&draft, &workers, &pay, &vat).unwrap();
    assert_eq!(p.worker_id, "SR-7");
    assert_eq!(p.lines[0], line("PR-1", "12", "8", Some("VC-2")));
    assert_eq!(p.lines[1].vat_id.as_deref(), Some("VC-9"));
    let body = p.create_body();
    assert_eq!(body["subcontractorRef"], "SR-7");
    assert_eq!(body["taxPeriodConfig"], 2);
    assert_eq!(body["rates"][0]["rate"], "12");

    let err = resolve(&draft, &HashMap::new(), &pay, &vat).unwrap_err();
    assert!(err.contains("'A1'"), "{err}");
    let err = resolve(&draft, &workers, &HashMap::new(), &vat).unwrap_err();
    assert!(err.contains("row 5") && err.contains("pr100"), "{err}");
}

#[test]
fn other_dates_in_the_same_period_are_a_new_timesheet_never_an_update() {
    // Batch A: 6–8 April. Batch B: same worker and period, 9–12 April, other lines.
    let mut a = server("TS-A", Some(vec![line("PR-1", "20", "24", None)]));
    a.start_date = NaiveDate::from_ymd_opt(2025, 4, 6);
    a.end_date = NaiveDate::from_ymd_opt(2025, 4, 8);
    let mut b = plan(vec![line("PR-1", "25", "16", None)]);
    b.start_date = NaiveDate::from_ymd_opt(2025, 4, 9);
    b.end_date = NaiveDate::from_ymd_opt(2025, 4, 12);
    let d = decide(&b, std::slice::from_ref(&a));
    assert_eq!(d.action, Action::Create);
    let warning = d.warning.expect("a warning naming the other timesheet");
    assert!(
        warning.contains("another timesheet exists for this worker and period")
            && warning.contains("TS-A (2025-04-06 to 2025-04-08)"),
        "{warning}"
    );

    // Same dates, other lines: an update of that timesheet, a pay change.
    b.start_date = a.start_date;
    b.end_date = a.end_date;
    let d = decide(&b, std::slice::from_ref(&a));
    assert_eq!(
        (d.action, d.existing_id.as_deref()),
        (Action::Update, Some("TS-A"))
    );
    assert_eq!(
        crate::plan::approval::classify(crate::model::Entity::Timesheets, &d.changes[0].field),
        crate::model::ChangeClass::Pay
    );
    assert!(d.conflict.is_none() && d.warning.is_none());
}

#[test]
fn two_server_timesheets_with_the_same_dates_are_a_conflict() {
    let p = plan(vec![line("PR-1", "12.5", "8", None)]);
    let one = server("TS-1", Some(vec![line("PR-1", "12.5", "7", None)]));
    let two = server("TS-2", Some(vec![line("PR-1", "12.5", "6", None)]));
    let d = decide(&p, &[one.clone(), two]);
    let why = d.conflict.expect("held as a conflict");
    assert!(why.contains("TS-1") && why.contains("TS-2"), "{why}");
    assert_eq!(d.existing_id, None, "never the first one");
    // One of them being this very timesheet settles it.
    let same = server("TS-3", Some(vec![line("PR-1", "12.5", "8", None)]));
    assert_eq!(decide(&p, &[one, same]).action, Action::Unchanged);
}

#[test]
fn a_packed_listing_finds_each_slot_as_the_linear_filter_does() {
    let listed = |id: &str, worker: Option<&str>, year: i32, period: u32| ServerTimesheet {
        worker_id: worker.map(str::to_string),
        tax_year: Some(year),
        tax_period: Some(period),
        ..server(id, None)
    };
    let list = vec![
        listed("TS-1", Some("SR-2"), 2025, 1),
        ServerTimesheet {
            lines: Some(vec![
                line("PR-1", "15.50", "37.500", Some("VC-2")),
                line("PR-2", "0.1", "-2", None),
            ]),
            net: Some(d("100.00")),
            ..listed("TS-2", Some("SR-1"), 2025, 1)
        },
        listed("TS-3", None, 2025, 1),
        listed("TS-4", Some("SR-1"), 2025, 2),
        listed("TS-5", Some("SR-1"), 2025, 1),
        listed("TS-6", Some("SR-10"), 2025, 1),
        listed("TS-7", Some("SR-1"), 2024, 1),
    ];
    let plans: Vec<TimesheetPlan> = [("SR-1", 2025, 1), ("SR-1", 2025, 2), ("SR-1", 2024, 1)]
        .into_iter()
        .chain([("SR-2", 2025, 1), ("SR-10", 2025, 1), ("SR-3", 2025, 1)])
        .map(|(worker, year, period)| TimesheetPlan {
            worker_id: worker.into(),
            tax_year: year,
            tax_period: period,
            ..plan(Vec::new())
        })
        .collect();
    let expected: Vec<Vec<ServerTimesheet>> = plans
        .iter()
        .map(|p| list.iter().filter(|t| same_slot(p, t)).cloned().collect())
        .collect();
    let packed = TimesheetList::new(list.iter().cloned().map(PackedListed::from).collect());
    let found: Vec<Vec<ServerTimesheet>> = plans
        .iter()
        .map(|p| packed.in_slot(p).expect("unpacks"))
        .collect();
    // Every field comes back exactly (amounts with their scale), in listing order.
    assert_eq!(found, expected);
    let ids: Vec<&str> = found[0].iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["TS-2", "TS-5"]);
    assert_eq!(
        found[0][0].lines.as_ref().map(|l| l[0].units.to_string()),
        Some("37.500".to_string())
    );
    assert!(found[5].is_empty());
    let mut all: Vec<ServerTimesheet> = packed.into_timesheets().collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(all, list);
}
