//! The stored timesheet, its totals and its JSON (§10.3).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use crate::payroll::pennies;
use crate::state::Data;

/// One timesheet line.
#[derive(Debug, Clone)]
pub struct Line {
    pub rate_id: u64,
    pub rate: Decimal,
    pub units: Decimal,
    /// The line's VAT code; when absent, the payment rate's default applies.
    pub vat_id: Option<u64>,
}

/// A stored timesheet.
#[derive(Debug, Clone)]
pub struct Timesheet {
    pub n: u64,
    pub subcontractor: u64,
    pub assignment_ref: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub lines: Vec<Line>,
    pub month_config: Option<i64>,
    pub tax_year: i64,
    pub tax_period: i64,
    pub payslip: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The VAT percentage of a line (its own code, else its rate's default, else none).
pub(super) fn vat_percent(data: &Data, line: &Line) -> (Option<u64>, Decimal) {
    let id = line
        .vat_id
        .or_else(|| data.payment_rate(line.rate_id).and_then(|r| r.default_vat));
    let pct = id
        .and_then(|n| data.vat_code(n))
        .map_or(Decimal::ZERO, |v| v.rate);
    (id, pct)
}

impl Timesheet {
    pub fn id(&self) -> String {
        format!("TS-{}", self.n)
    }

    /// (net, VAT) in pennies.
    pub fn totals(&self, data: &Data) -> (Decimal, Decimal) {
        self.lines.iter().fold(
            (pennies(Decimal::ZERO), pennies(Decimal::ZERO)),
            |(net, vat), line| {
                let line_net = pennies(line.rate * line.units);
                let (_, pct) = vat_percent(data, line);
                (
                    net + line_net,
                    vat + pennies(line_net * pct / Decimal::ONE_HUNDRED),
                )
            },
        )
    }

    /// What makes two timesheets the same submission.
    pub(super) fn fingerprint(&self) -> String {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}:{}:{}:{:?}",
                    l.rate_id,
                    l.rate.normalize(),
                    l.units.normalize(),
                    l.vat_id
                )
            })
            .collect();
        lines.sort();
        format!(
            "{}|{:?}|{:?}|{}|{}|{}",
            self.subcontractor,
            self.start_date,
            self.end_date,
            self.tax_year,
            self.tax_period,
            lines.join(",")
        )
    }

    /// The object as served (§10.3): each element of `rates` is the line's full payment-rate
    /// object, plus (with `echo_lines`, the default sandbox) the line's `rate`, `units`, `vatID`.
    pub fn to_json(&self, data: &Data, echo_lines: bool) -> Value {
        let (net, vat) = self.totals(data);
        let money = |d: Decimal| json!(d.to_f64().unwrap_or(0.0));
        let gross = net + vat;
        let rates: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let mut rate = data
                    .payment_rate(line.rate_id)
                    .map(|r| r.to_json(data))
                    .unwrap_or_else(|| json!({ "id": format!("PR-{}", line.rate_id) }));
                if echo_lines && let Some(map) = rate.as_object_mut() {
                    map.insert("rate".into(), json!(line.rate.to_string()));
                    map.insert("units".into(), json!(line.units.to_string()));
                    let (vat_id, _) = vat_percent(data, line);
                    map.insert("vatID".into(), json!(vat_id.map(|n| format!("VC-{n}"))));
                }
                rate
            })
            .collect();
        let mut head = json!({
            "invoicingAddress": { "address": ["Address 1", "Address 2", "Address 3"], "city": "Agency City",
                                  "county": "Bristan", "postCode": "EH21 6UU", "country": "GB" },
            "companyRef": { "id": "COM-1" },
            "workLocation": {},
            "siteId": null,
            "rates": rates,
            "subcontractorRef": { "id": format!("SR-{}", self.subcontractor) },
            "agencyRef": { "id": "AY-1" },
            "assignmentRef": self.assignment_ref,
            "monthConfig": self.month_config,
            "taxYear": self.tax_year,
            "author": "USRP-1",
            "startDate": self.start_date,
            "endDate": self.end_date,
            "taxPeriod": self.tax_period,
            "taxPeriodConfig": self.tax_period,
            "currentYear": self.created_at.get(..4).unwrap_or(""),
            "approveStatus": "PENDING",
            "invoiceStatus": "AWAITING_INVOICING",
            "employment": { "id": self.subcontractor },
        });
        let tail = json!({
            "isIncludeCIS": false,
            "timesheetApprovalNeeded": "TRUE",
            "totalNet": money(net),
            "totalPrices": money(gross),
            "totalVat": money(vat),
            "totalInvoiceNet": money(net),
            "totalInvoicePrices": money(gross),
            "totalInvoiceVat": money(vat),
            "receipt": 0,
            "outstanding": money(gross),
            "outstandingInvoice": money(gross),
            "holidayPaid": 0,
            "isIssueP45": false,
            "invoiceNo": "",
            "creditNo": "",
            "raiseInvoice": true,
            "isOnlyHPRate": false,
            "isOnlyStatutory": false,
            "employmentId": self.subcontractor,
            "idNo": self.n,
            "updatedAt": self.updated_at,
            "payrollBreakdownId": null,
            "s3Url": null,
            "id": self.id(),
            "incrementId": self.n,
            "isInvoice": false,
            "createdAt": self.created_at,
            "deletedAt": null,
            "payslipId": format!("PL-{}", self.payslip),
        });
        if let (Some(head), Value::Object(tail)) = (head.as_object_mut(), tail) {
            head.extend(tail);
        }
        head
    }
}
