//! The state a sandbox starts in (and returns to on reset): VAT codes, the default pay codes
//! `PR100` (hourly) and `PR101` (daily), and optionally N generated payslips.
//!
//! Seeded payslips belong to generated UK workers (real candidates, `SEED-…` Agency Refs), one
//! payslip per worker per week of 2025/26, and have no timesheet (`timesheetId: null`).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

use super::candidates::Candidate;
use super::payment_rates::PaymentRate;
use super::payroll::calculate;
use super::payslips::{Payslip, pay_date};
use super::state::Data;
use super::vat_codes;

const FORENAMES: &[&str] = &[
    "Alice", "Ben", "Chloe", "Dev", "Ema", "Finn", "Grace", "Hamza", "Isla", "Jack",
];
const SURNAMES: &[&str] = &[
    "Walton", "Okafor", "Smith", "Patel", "Nowak", "Byrne", "Evans", "Khan", "Reid", "Moore",
];
const SEEDED_AT: &str = "2025-04-01T09:00:00.000Z";

/// Fresh data with `payslips` generated payslips.
pub fn initial_data(payslips: usize) -> Data {
    let mut data = Data {
        vat_codes: vat_codes::seeded(),
        payment_rates: vec![
            PaymentRate::seeded(1, "PR100", "Hourly", "HOURLY", 1),
            PaymentRate::seeded(2, "PR101", "Daily", "DAILY", 8),
        ],
        next_payment_rate: 2,
        ..Data::default()
    };
    seed_payslips(&mut data, payslips);
    data
}

fn seed_payslips(data: &mut Data, count: usize) {
    const WEEKS: usize = 52;
    let workers = count.div_ceil(WEEKS);
    let mut rng = StdRng::seed_from_u64(2025);
    for w in 0..workers {
        let n = data.next_candidate + 1;
        data.next_candidate = n;
        let forename = FORENAMES[w % FORENAMES.len()];
        let surname = SURNAMES[(w / FORENAMES.len()) % SURNAMES.len()];
        let body = json!({
            "generalSetting": {
                "agencyRef": format!("SEED-{n:06}"), "forename": forename, "surname": surname,
                "payFrequency": "WEEKLY", "email": format!("seed{n}@example.com"),
            },
            "payrollSetting": { "paymentModel": "PAYEE" },
        });
        let Some(body) = body.as_object().cloned() else {
            continue;
        };
        data.candidates.push(Candidate {
            n,
            ireland: false,
            body,
            created_at: SEEDED_AT.into(),
            updated_at: SEEDED_AT.into(),
        });
        let name = format!("{forename} {surname}");
        let weeks = WEEKS.min(count - w * WEEKS);
        for week in 1..=weeks {
            let pennies: i64 = rng.gen_range(20_000..250_000);
            let value = Decimal::new(pennies, 2);
            data.next_payslip += 1;
            data.payslips.push(Payslip {
                n: data.next_payslip,
                timesheet: None,
                subcontractor: n,
                name: name.clone(),
                tax_year: 2025,
                tax_period: week as i64,
                pay_frequency: "WEEKLY".into(),
                payment_model: "PAYEE".into(),
                breakdown: calculate(value, "WEEKLY"),
                pay_date: pay_date(2025, week as i64, "WEEKLY"),
                created_at: SEEDED_AT.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_exactly_n_payslips_for_real_workers() {
        let data = initial_data(105);
        assert_eq!(data.payslips.len(), 105);
        assert_eq!(data.candidates.len(), 3);
        assert!(
            data.payslips
                .iter()
                .all(|p| data.candidate(p.subcontractor).is_some())
        );
        assert_eq!(data.payment_rates.len(), 2);
        assert_eq!(initial_data(0).payslips.len(), 0);
    }
}
