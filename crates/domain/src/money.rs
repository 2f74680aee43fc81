//! Money as integer minor units plus an ISO 4217 currency code — never floats.

use serde::{Deserialize, Serialize};

/// An amount of money in minor units (cents) of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    /// Amount in minor units, e.g. 1234567 for 12,345.67.
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. "USD".
    pub currency: String,
}

/// Number of decimal places of a currency (ISO 4217 exponent).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// Checks a currency code: three upper-case ASCII letters.
pub fn parse_currency(input: &str) -> Result<String, &'static str> {
    let c = input.trim().to_ascii_uppercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err("must be a three-letter ISO currency code like USD")
    }
}

/// Parses a decimal amount typed by a person ("12,345.67", "1000", "-5.5")
/// into minor units, exactly. Thousands separators (`,`, space, `_`) are ignored.
pub fn parse_amount(input: &str, currency: &str) -> Result<i64, String> {
    let digits = minor_digits(currency);
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_'))
        .collect();
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let invalid = || format!("must be an amount like 12,345.67 (at most {digits} decimals)");
    if body.is_empty() {
        return Err(invalid());
    }
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > digits as usize
    {
        return Err(invalid());
    }
    let too_big = || "is too large".to_string();
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_big())?
    };
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| invalid())?
    };
    for _ in frac.len()..digits as usize {
        frac_value *= 10;
    }
    let value = whole
        .checked_mul(10_i64.pow(digits))
        .and_then(|v| v.checked_add(frac_value))
        .ok_or_else(too_big)?;
    Ok(if negative { -value } else { value })
}

/// Formats minor units as a plain decimal with thousands separators ("12,345.67").
pub fn format_amount(amount_minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let scale = 10_i64.pow(digits);
    let negative = amount_minor < 0;
    let abs = amount_minor.unsigned_abs();
    let whole = abs / scale as u64;
    let frac = abs % scale as u64;
    let whole_s = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in whole_s.chars().enumerate() {
        if i > 0 && (whole_s.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if negative { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac:0width$}", width = digits as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_typed_amounts() {
        assert_eq!(parse_amount("12,345.67", "USD"), Ok(1_234_567));
        assert_eq!(parse_amount("1000", "USD"), Ok(100_000));
        assert_eq!(parse_amount("0.5", "USD"), Ok(50));
        assert_eq!(parse_amount("-5.5", "EUR"), Ok(-550));
        assert_eq!(parse_amount("1500", "JPY"), Ok(1500));
        assert!(parse_amount("1.234", "USD").is_err());
        assert!(parse_amount("12a", "USD").is_err());
        assert!(parse_amount("", "USD").is_err());
        assert!(parse_amount("99999999999999999999", "USD").is_err());
    }

    #[test]
    fn formats_amounts() {
        assert_eq!(format_amount(1_234_567, "USD"), "12,345.67");
        assert_eq!(format_amount(-50, "USD"), "-0.50");
        assert_eq!(format_amount(1500, "JPY"), "1,500");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(v in -1_000_000_000_000_i64..1_000_000_000_000, cur in prop::sample::select(vec!["USD", "JPY", "KWD"])) {
            prop_assert_eq!(parse_amount(&format_amount(v, cur), cur), Ok(v));
        }
    }
}
