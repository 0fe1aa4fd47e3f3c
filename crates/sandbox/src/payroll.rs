//! The sandbox's simple UK 2025/26 umbrella payslip calculation (documented in
//! `docs/sandbox.md`). It is not HMRC-exact; it is deterministic and easy to check by hand.
//!
//! 1. `available = timesheetValue − margin` (margin a fixed £15).
//! 2. Employer costs come out of `available`: employer NI 15 % above the secondary threshold,
//!    employer pension 3 % of qualifying earnings, apprenticeship levy 0.5 % of gross. Gross `G`
//!    solves `G + costs(G) = available` (piecewise linear, solved exactly, rounded to pennies);
//!    the costs are computed on that `G` and gross is then `available − costs` so the parts add
//!    up to the penny.
//! 3. Employee pension 5 % of qualifying earnings (net pay arrangement: taxable gross =
//!    gross − employee pension); tax 20/40/45 % on a week-1/month-1 basis with code 1257L;
//!    employee NI 8 % between the primary threshold and the upper earnings limit, 2 % above;
//!    student loan 0; `net = gross − tax − employee NI − employee pension − student loan`.
//!
//! Every amount is rounded half away from zero to pennies.

use rust_decimal::{Decimal, RoundingStrategy};

/// Thresholds for one pay period.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Periods in the tax year.
    pub periods: u32,
    /// Employer NI secondary threshold.
    pub secondary: Decimal,
    /// Employee NI primary threshold.
    pub primary: Decimal,
    /// Upper earnings limit.
    pub upper: Decimal,
    /// Lower and upper limits of qualifying earnings (pension).
    pub qe_lower: Decimal,
    pub qe_upper: Decimal,
}

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

/// 2025/26 thresholds for a pay frequency (`WEEKLY`, `FORTNIGHTLY`, `FOUR_WEEKLY`, `MONTHLY`);
/// anything else is treated as weekly.
pub fn thresholds(pay_frequency: &str) -> Thresholds {
    let (periods, st, pt, uel, lqe, uqe) = match pay_frequency {
        "FORTNIGHTLY" => (26, 192, 484, 1934, 240, 1934),
        "FOUR_WEEKLY" => (13, 384, 968, 3867, 480, 3867),
        "MONTHLY" => (12, 417, 1048, 4189, 520, 4189),
        _ => (52, 96, 242, 967, 120, 967),
    };
    Thresholds {
        periods,
        secondary: d(st),
        primary: d(pt),
        upper: d(uel),
        qe_lower: d(lqe),
        qe_upper: d(uqe),
    }
}

/// Fixed umbrella margin per payslip.
pub const MARGIN: i64 = 15;
const EMPLOYER_NI: Decimal = Decimal::from_parts(15, 0, 0, false, 2);
const EMPLOYER_PENSION: Decimal = Decimal::from_parts(3, 0, 0, false, 2);
const LEVY: Decimal = Decimal::from_parts(5, 0, 0, false, 3);
const EMPLOYEE_PENSION: Decimal = Decimal::from_parts(5, 0, 0, false, 2);
const EMPLOYEE_NI: Decimal = Decimal::from_parts(8, 0, 0, false, 2);
const EMPLOYEE_NI_UPPER: Decimal = Decimal::from_parts(2, 0, 0, false, 2);

/// Pennies, half away from zero, always with two decimal places.
pub fn pennies(x: Decimal) -> Decimal {
    let mut r = x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// The parts of one payslip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub timesheet_value: Decimal,
    pub margin: Decimal,
    pub employer_ni: Decimal,
    pub employer_pension: Decimal,
    pub apprenticeship_levy: Decimal,
    pub gross: Decimal,
    pub taxable_gross: Decimal,
    pub tax: Decimal,
    pub employee_ni: Decimal,
    pub employee_pension: Decimal,
    pub student_loan: Decimal,
    pub net: Decimal,
}

fn qualifying(gross: Decimal, t: &Thresholds) -> Decimal {
    (gross.min(t.qe_upper) - t.qe_lower).max(Decimal::ZERO)
}

fn employer_costs(gross: Decimal, t: &Thresholds) -> (Decimal, Decimal, Decimal) {
    let ni = pennies((gross - t.secondary).max(Decimal::ZERO) * EMPLOYER_NI);
    let pension = pennies(qualifying(gross, t) * EMPLOYER_PENSION);
    let levy = pennies(gross * LEVY);
    (ni, pension, levy)
}

/// `f(G) = G + costs(G)` without rounding (monotonic, piecewise linear).
fn total_cost(g: Decimal, t: &Thresholds) -> Decimal {
    g + (g - t.secondary).max(Decimal::ZERO) * EMPLOYER_NI
        + qualifying(g, t) * EMPLOYER_PENSION
        + g * LEVY
}

/// Solve `f(G) = available` exactly on the segment that holds it.
fn solve_gross(available: Decimal, t: &Thresholds) -> Decimal {
    let mut points = vec![Decimal::ZERO, t.secondary, t.qe_lower, t.qe_upper];
    points.sort();
    // Past the last breakpoint the slope is constant; extend with a far point.
    points.push(t.qe_upper.max(t.secondary) + available.abs() + d(1));
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (fa, fb) = (total_cost(a, t), total_cost(b, t));
        if available <= fb && b > a {
            let slope = (fb - fa) / (b - a);
            return a + (available - fa) / slope;
        }
    }
    Decimal::ZERO
}

/// Tax on a week-1/month-1 basis with code 1257L.
fn income_tax(taxable: Decimal, t: &Thresholds) -> Decimal {
    let periods = Decimal::from(t.periods);
    let allowance = pennies(d(12_570) / periods);
    let basic = pennies(d(37_700) / periods);
    let higher = pennies(d(112_570) / periods);
    let income = (taxable - allowance).max(Decimal::ZERO);
    let at_basic = income.min(basic);
    let at_higher = (income.min(higher) - basic).max(Decimal::ZERO);
    let at_additional = (income - higher).max(Decimal::ZERO);
    pennies(
        at_basic * Decimal::new(20, 2)
            + at_higher * Decimal::new(40, 2)
            + at_additional * Decimal::new(45, 2),
    )
}

/// The payslip for a timesheet worth `timesheet_value` paid at `pay_frequency`.
pub fn calculate(timesheet_value: Decimal, pay_frequency: &str) -> Breakdown {
    let t = thresholds(pay_frequency);
    let margin = d(MARGIN);
    let available = timesheet_value - margin;
    if available <= Decimal::ZERO {
        let zero = pennies(Decimal::ZERO);
        return Breakdown {
            timesheet_value: pennies(timesheet_value),
            margin: pennies(timesheet_value.max(Decimal::ZERO).min(margin)),
            employer_ni: zero,
            employer_pension: zero,
            apprenticeship_levy: zero,
            gross: zero,
            taxable_gross: zero,
            tax: zero,
            employee_ni: zero,
            employee_pension: zero,
            student_loan: zero,
            net: zero,
        };
    }
    let estimate = pennies(solve_gross(available, &t));
    let (employer_ni, employer_pension, levy) = employer_costs(estimate, &t);
    let gross = pennies(available - employer_ni - employer_pension - levy);
    let employee_pension = pennies(qualifying(gross, &t) * EMPLOYEE_PENSION);
    let taxable_gross = gross - employee_pension;
    let tax = income_tax(taxable_gross, &t);
    let employee_ni = pennies(
        (gross.min(t.upper) - t.primary).max(Decimal::ZERO) * EMPLOYEE_NI
            + (gross - t.upper).max(Decimal::ZERO) * EMPLOYEE_NI_UPPER,
    );
    let student_loan = pennies(Decimal::ZERO);
    let net = gross - tax - employee_ni - employee_pension - student_loan;
    Breakdown {
        timesheet_value: pennies(timesheet_value),
        margin: pennies(margin),
        employer_ni,
        employer_pension,
        apprenticeship_levy: levy,
        gross,
        taxable_gross,
        tax,
        employee_ni,
        employee_pension,
        student_loan,
        net,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Weekly, £1,000 timesheet, worked by hand:
    /// available 985; on the segment 120–967 f(G) = 124.20 + 1.185 (G − 120), so
    /// G = 120 + 860.80 / 1.185 = 846.41; employer NI 0.15 × 750.41 = 112.56; pension
    /// 0.03 × 726.41 = 21.79; levy 0.005 × 846.41 = 4.23; gross 985 − 138.58 = 846.42;
    /// employee pension 0.05 × 726.42 = 36.32; taxable 810.10; tax 0.20 × (810.10 − 241.73)
    /// = 113.67; employee NI 0.08 × (846.42 − 242) = 48.35; net 846.42 − 113.67 − 48.35 − 36.32
    /// = 648.08.
    #[test]
    fn weekly_thousand_by_hand() {
        let b = calculate(dec("1000"), "WEEKLY");
        assert_eq!(b.employer_ni, dec("112.56"));
        assert_eq!(b.employer_pension, dec("21.79"));
        assert_eq!(b.apprenticeship_levy, dec("4.23"));
        assert_eq!(b.gross, dec("846.42"));
        assert_eq!(b.employee_pension, dec("36.32"));
        assert_eq!(b.taxable_gross, dec("810.10"));
        assert_eq!(b.tax, dec("113.67"));
        assert_eq!(b.employee_ni, dec("48.35"));
        assert_eq!(b.net, dec("648.08"));
        assert_eq!(b.net.to_string(), "648.08");
    }

    /// Monthly, £6,000, by hand: available 5,985, above the upper QE limit 4,189:
    /// f(4189) = 4189 + 0.15 × 3772 + 0.03 × 3669 + 0.005 × 4189 = 4885.815; the slope above is
    /// 1.155, so G = 4189 + 1099.185 / 1.155 = 5140.68; employer NI 0.15 × 4723.68 = 708.55;
    /// pension 0.03 × 3669 = 110.07; levy 0.005 × 5140.68 = 25.70; gross 5985 − 844.32 =
    /// 5140.68; employee pension 0.05 × 3669 = 183.45; taxable 4957.23; tax 0.20 × 3141.67
    /// (basic band) + 0.40 × (4957.23 − 1047.50 − 3141.67) = 628.334 + 307.224 = 935.56;
    /// employee NI 0.08 × 3141 + 0.02 × 951.68 = 251.28 + 19.0336 = 270.31;
    /// net 5140.68 − 935.56 − 270.31 − 183.45 = 3751.36.
    #[test]
    fn monthly_higher_rate_by_hand() {
        let b = calculate(dec("6000"), "MONTHLY");
        assert_eq!(b.employer_ni, dec("708.55"));
        assert_eq!(b.employer_pension, dec("110.07"));
        assert_eq!(b.apprenticeship_levy, dec("25.70"));
        assert_eq!(b.gross, dec("5140.68"));
        assert_eq!(b.employee_pension, dec("183.45"));
        assert_eq!(b.taxable_gross, dec("4957.23"));
        assert_eq!(b.tax, dec("935.56"));
        assert_eq!(b.employee_ni, dec("270.31"));
        assert_eq!(b.net, dec("3751.36"));
    }

    #[test]
    fn small_and_negative_values_do_not_go_below_zero() {
        let b = calculate(dec("10"), "WEEKLY");
        assert_eq!((b.gross, b.net, b.margin), (dec("0"), dec("0"), dec("10")));
        let b = calculate(dec("-50"), "WEEKLY");
        assert_eq!((b.gross, b.margin), (dec("0"), dec("0")));
        let b = calculate(dec("100"), "WEEKLY");
        // Below every threshold except the levy: 85 = G × 1.005 → G = 84.58, levy 0.42.
        assert_eq!(
            (b.gross, b.apprenticeship_levy, b.tax, b.net),
            (dec("84.58"), dec("0.42"), dec("0"), dec("84.58"))
        );
    }

    #[test]
    fn parts_add_up() {
        for value in ["250", "777.77", "1500", "20000", "123456.78"] {
            for freq in ["WEEKLY", "FORTNIGHTLY", "FOUR_WEEKLY", "MONTHLY"] {
                let b = calculate(dec(value), freq);
                assert_eq!(
                    b.margin + b.employer_ni + b.employer_pension + b.apprenticeship_levy + b.gross,
                    b.timesheet_value,
                    "{value} {freq}"
                );
                assert_eq!(
                    b.gross - b.tax - b.employee_ni - b.employee_pension - b.student_loan,
                    b.net
                );
                assert!(b.net > Decimal::ZERO);
            }
        }
    }
}
