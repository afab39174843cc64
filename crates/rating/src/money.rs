//! Exact fixed-point money.
//!
//! Three scales, each a newtype over an integer count of a fixed fraction:
//! [`Price`] (rates and connection fees, 10⁻⁸), [`Charge`] (one call's charge, 10⁻⁴, the
//! contract's per-call rounding) and [`Amount`] (invoice lines and totals, 10⁻², the contract's
//! per-line rounding). Each rounding rule of the contract lives in exactly one function here.

use crate::error::{Overflow, ParseError};
use rust_decimal::Decimal;
use std::fmt;

/// A price per minute or a connection fee, in units of 10⁻⁸ of the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(i64);

/// One call's charge, in units of 10⁻⁴ (contract 3.6: rounded to 4 places).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Charge(i64);

/// An invoice amount, in units of 10⁻² (contract 5: lines rounded to 2 places).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// Divides rounding half away from zero. `den` must be positive.
fn div_round_half_away(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

/// Parses a plain decimal as the contract writes them: an optional sign, digits and at most one
/// `.`. `Decimal`'s own parser also takes exponents (`1e5`) and `_` separators (`1_000`), which
/// are not numbers in a rates or invoice file.
fn parse_plain_decimal(s: &str) -> Result<Decimal, ParseError> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let plain = body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|&b| b == b'.').count() <= 1;
    if !plain {
        return Err(ParseError::NotDecimal(s.to_owned()));
    }
    s.parse().map_err(|_| ParseError::NotDecimal(s.to_owned()))
}

/// `d` as a whole number of 10^-`scale` units, exactly: refused if it has more decimals than
/// `scale` or does not fit. `written` names the value in errors.
fn units_at(d: Decimal, scale: u32, written: &str) -> Result<i64, ParseError> {
    if d.scale() > scale {
        return Err(ParseError::TooPrecise { value: written.to_owned(), max: scale });
    }
    let mut scaled = d;
    scaled.rescale(scale);
    i64::try_from(scaled.mantissa()).map_err(|_| ParseError::TooLarge(written.to_owned()))
}

impl Price {
    pub const SCALE: u32 = 8;
    pub const ZERO: Price = Price(0);

    /// Parses a non-negative decimal with at most 8 digits after the point, as written.
    pub fn parse(s: &str) -> Result<Price, ParseError> {
        Self::checked(parse_plain_decimal(s)?, s)
    }

    /// Converts exactly, refusing negative values and more than 8 decimal places.
    pub fn from_decimal(d: Decimal) -> Result<Price, ParseError> {
        Self::checked(d, &d.to_string())
    }

    fn checked(d: Decimal, written: &str) -> Result<Price, ParseError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(ParseError::Negative(written.to_owned()));
        }
        units_at(d, Self::SCALE, written).map(Price)
    }

    pub const fn from_units(units: i64) -> Price {
        Price(units)
    }
    pub const fn units(self) -> i64 {
        self.0
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, Self::SCALE)
    }
}

impl Charge {
    pub const SCALE: u32 = 4;
    pub const ZERO: Charge = Charge(0);

    /// The largest charge: i64::MAX ten-thousandths, 922,337,203,685,477.5807.
    pub const MAX: Charge = Charge(i64::MAX);

    /// Contract 3.6: `connection_fee + rate × charged_seconds / 60`, rounded to 4 places, half
    /// away from zero. Exact: the sum is formed in 10⁻⁸/60 units before the one rounding. A
    /// charge above [`Charge::MAX`] is an error.
    // Inline: it goes with `Pricing::rate` into its callers' loops.
    #[inline]
    pub fn of_call(rate: Price, connection_fee: Price, charged_seconds: u64) -> Result<Charge, Overflow> {
        let usage = i128::from(rate.0).checked_mul(i128::from(charged_seconds));
        let num = usage.and_then(|u| u.checked_add(i128::from(connection_fee.0) * 60)).ok_or(Overflow::Charge)?;
        // 10⁻⁸/60 units to 10⁻⁴ units: divide by 60 × 10⁴.
        let units = div_round_half_away(num, 60 * 10_000);
        i64::try_from(units).map(Charge).map_err(|_| Overflow::Charge)
    }

    pub const fn from_units(units: i64) -> Charge {
        Charge(units)
    }
    pub const fn units(self) -> i64 {
        self.0
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, Self::SCALE)
    }
}

impl Amount {
    pub const SCALE: u32 = 2;
    pub const ZERO: Amount = Amount(0);

    /// The largest amount: i64::MAX hundredths, 92,233,720,368,547,758.07.
    pub const MAX: Amount = Amount(i64::MAX);

    /// Contract 5: a usage line's amount is the sum of its calls' charges rounded to 2 places,
    /// half away from zero. `sum_of_charges` is in 10⁻⁴ units.
    pub fn of_line(sum_of_charges: i64) -> Amount {
        // A hundredth of an i64, rounded, is far within an i64: the cast loses nothing.
        Amount(div_round_half_away(i128::from(sum_of_charges), 100) as i64)
    }

    /// Contract-cycle 3: a recurring line's amount, quantity × unit price × the days it bills ÷
    /// the days of its billing period, computed exactly and rounded once to 2 places, half away
    /// from zero. Quantity and unit price are in 10⁻⁴ units.
    pub fn prorated(quantity_e4: i64, unit_price_e4: i64, days: u32, period_days: u32) -> Result<Amount, Overflow> {
        // In 10⁻⁸ units, times the days: at most 2⁶³ · 2⁶³ · 2³², which overflows an i128
        // only for prices no import accepts; checked all the same.
        let numerator = i128::from(quantity_e4)
            .checked_mul(i128::from(unit_price_e4))
            .and_then(|v| v.checked_mul(i128::from(days)))
            .ok_or(Overflow::Total)?;
        let denominator = i128::from(period_days.max(1)) * 1_000_000;
        i64::try_from(div_round_half_away(numerator, denominator)).map(Amount).map_err(|_| Overflow::Total)
    }

    /// `self + other`, or an error past [`Amount::MAX`] (or below its negative).
    pub fn checked_add(self, other: Amount) -> Result<Amount, Overflow> {
        self.0.checked_add(other.0).map(Amount).ok_or(Overflow::Total)
    }

    /// Parses an amount with at most 2 decimals (manual lines, stored totals).
    pub fn parse(s: &str) -> Result<Amount, ParseError> {
        units_at(parse_plain_decimal(s)?, Self::SCALE, s).map(Amount)
    }

    pub const fn from_units(units: i64) -> Amount {
        Amount(units)
    }
    pub const fn units(self) -> i64 {
        self.0
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, Self::SCALE)
    }
}

/// Writes `units × 10^-scale` with exactly `scale` decimals, as the contract's JSON wants.
fn write_fixed(f: &mut fmt::Formatter<'_>, units: i64, scale: u32) -> fmt::Result {
    let p = 10u64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    write!(f, "{sign}{}.{:0width$}", abs / p, abs % p, width = scale as usize)
}

impl fmt::Display for Price {
    /// Prices print with 4 decimals when that is exact, else with all 8 (`0.0500`, `0.00012345`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 10_000 == 0 {
            write_fixed(f, self.0 / 10_000, 4)
        } else {
            write_fixed(f, self.0, Self::SCALE)
        }
    }
}
impl fmt::Display for Charge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.0, Self::SCALE)
    }
}
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.0, Self::SCALE)
    }
}
