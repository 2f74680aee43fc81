//! Numbers as a spreadsheet writes them: `1,234.56` or `1.234,56`. Imported cells are
//! turned into plain `1234.56` text by the file's rule before they are parsed as amounts or
//! quantities, and a cell the rule cannot read one way only is refused rather than guessed.

use serde::{Deserialize, Serialize};

/// Which character separates the decimals (the other one groups the thousands). Named
/// `decimal_point` (1,234.56) and `decimal_comma` (1.234,56) on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum DecimalMark {
    /// `1,234.56`
    #[default]
    #[serde(rename = "decimal_point")]
    Point,
    /// `1.234,56`
    #[serde(rename = "decimal_comma")]
    Comma,
}

impl std::str::FromStr for DecimalMark {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "decimal_point" => Ok(DecimalMark::Point),
            "decimal_comma" => Ok(DecimalMark::Comma),
            _ => Err("must be auto, decimal_point or decimal_comma"),
        }
    }
}

impl DecimalMark {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DecimalMark::Point => "decimal_point",
            DecimalMark::Comma => "decimal_comma",
        }
    }

    /// The decimal separator.
    pub fn decimal(self) -> char {
        match self {
            DecimalMark::Point => '.',
            DecimalMark::Comma => ',',
        }
    }

    /// The thousands separator.
    pub fn group(self) -> char {
        match self {
            DecimalMark::Point => ',',
            DecimalMark::Comma => '.',
        }
    }

    /// An example number written this way, which is also how the choice is labelled.
    pub fn example(self) -> &'static str {
        match self {
            DecimalMark::Point => "1,234.56",
            DecimalMark::Comma => "1.234,56",
        }
    }
}

/// How the numbers of one imported file are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberFormat {
    pub mark: DecimalMark,
    /// The mark was inferred from the file rather than chosen. An inferred decimal comma
    /// rests on the file's `;` separators, and files with `;` and decimal points exist, so
    /// then a lone thousands group such as `1.234` (a thousand times apart between the two
    /// readings) is refused as ambiguous. The decimal point is the default and the format
    /// of the templates and exports, so under it `1,234` stays one thousand two hundred and
    /// thirty-four.
    pub inferred: bool,
}

impl NumberFormat {
    /// Numbers written `mark`'s way, as chosen by the person importing.
    pub fn chosen(mark: DecimalMark) -> NumberFormat {
        NumberFormat {
            mark,
            inferred: false,
        }
    }
}

/// Spaces people put between thousands (plain, no-break and narrow no-break), and `_`.
fn is_spacing(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_')
}

/// Rewrites a number as written under `format` into plain text with a decimal point and no
/// grouping ("1.234,5" → "1234.5"), for `parse_amount` and `Quantity::parse`. Text that is
/// not made of digits and separators comes back unchanged, for those parsers to refuse in
/// their own words. A number that mixes the separators up, or that the format leaves open
/// to two readings, is an error saying what to write instead.
pub fn plain_number(input: &str, format: NumberFormat) -> Result<String, String> {
    let text: String = input.trim().chars().filter(|c| !is_spacing(*c)).collect();
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (dec, grp) = (format.mark.decimal(), format.mark.group());
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == dec || c == grp)
    {
        return Ok(input.trim().to_owned());
    }
    let shown = input.trim();
    let how = format.mark.example();
    if body.matches(dec).count() > 1 {
        return Err(format!(
            "\"{shown}\" has more than one \"{dec}\"; numbers are read as {how}"
        ));
    }
    let (whole, frac) = body.split_once(dec).unwrap_or((body, ""));
    if frac.contains(grp) {
        return Err(format!(
            "\"{shown}\" mixes \"{grp}\" and \"{dec}\"; numbers are read as {how}, with \"{dec}\" before the decimals"
        ));
    }
    let groups: Vec<&str> = whole.split(grp).collect();
    if groups.len() > 1 {
        let grouped =
            (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3);
        if !grouped {
            return Err(format!(
                "\"{shown}\" is not a number written {how}; \"{grp}\" only separates thousands (choose the other number format if the file uses \"{grp}\" for decimals)"
            ));
        }
        let guessed = format.inferred && format.mark == DecimalMark::Comma;
        if guessed && groups.len() == 2 && !body.contains(dec) {
            let other = groups.join(&dec.to_string());
            return Err(format!(
                "\"{shown}\" can be read as {} or as {other}; write it without \"{grp}\" or with its decimals ({shown}{dec}00), or choose the number format",
                groups.concat()
            ));
        }
    }
    let mut out = format!("{sign}{}", groups.concat());
    if body.contains(dec) {
        out.push('.');
        out.push_str(frac);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINT: NumberFormat = NumberFormat {
        mark: DecimalMark::Point,
        inferred: false,
    };
    const COMMA: NumberFormat = NumberFormat {
        mark: DecimalMark::Comma,
        inferred: false,
    };
    const COMMA_FROM_FILE: NumberFormat = NumberFormat {
        mark: DecimalMark::Comma,
        inferred: true,
    };

    fn plain(v: &str, f: NumberFormat) -> Option<String> {
        plain_number(v, f).ok()
    }

    #[test]
    fn decimal_commas_read_as_written() {
        for f in [COMMA, COMMA_FROM_FILE] {
            assert_eq!(plain("55,00", f).as_deref(), Some("55.00"));
            assert_eq!(plain("1,5", f).as_deref(), Some("1.5"));
            assert_eq!(plain("1.234,5", f).as_deref(), Some("1234.5"));
            assert_eq!(plain("1.234.567", f).as_deref(), Some("1234567"));
            assert_eq!(plain("1 234,50", f).as_deref(), Some("1234.50"));
            assert_eq!(plain("1\u{a0}234,50", f).as_deref(), Some("1234.50"));
            assert_eq!(plain("-12,5", f).as_deref(), Some("-12.5"));
            assert_eq!(plain("64", f).as_deref(), Some("64"));
            assert_eq!(plain(",5", f).as_deref(), Some(".5"));
        }
    }

    #[test]
    fn decimal_points_read_as_written() {
        assert_eq!(plain("12,345.67", POINT).as_deref(), Some("12345.67"));
        assert_eq!(plain("1,250", POINT).as_deref(), Some("1250"));
        assert_eq!(plain("0.45", POINT).as_deref(), Some("0.45"));
        assert_eq!(plain("5.555", POINT).as_deref(), Some("5.555"));
    }

    #[test]
    fn a_lone_thousands_group_is_ambiguous_only_when_the_comma_was_inferred() {
        // Chosen, the rule settles it.
        assert_eq!(plain("1.234", COMMA).as_deref(), Some("1234"));
        // Inferred from `;`, a file with decimal points would mean 1.234.
        let e = plain_number("1.234", COMMA_FROM_FILE).unwrap_err();
        assert!(
            e.contains("1234") && e.contains("1,234") && e.contains("number format"),
            "{e}"
        );
        // The default decimal point keeps its thousands commas.
        let point_by_default = NumberFormat {
            mark: DecimalMark::Point,
            inferred: true,
        };
        assert_eq!(plain("1,250", point_by_default).as_deref(), Some("1250"));
        // Decimals, or a second group, leave one reading.
        assert_eq!(
            plain("1.234,00", COMMA_FROM_FILE).as_deref(),
            Some("1234.00")
        );
        assert_eq!(
            plain("1.234.567", COMMA_FROM_FILE).as_deref(),
            Some("1234567")
        );
    }

    #[test]
    fn mixed_up_separators_are_refused_never_guessed() {
        // The decimal comma of another locale under decimal points: not 5,500.
        assert!(plain_number("55,00", POINT).unwrap_err().contains("55,00"));
        assert!(plain_number("1,5", POINT).is_err());
        assert!(plain_number("1.234,56", POINT).is_err());
        assert!(plain_number("1,234.56", COMMA).is_err());
        assert!(plain_number("1,2,3", COMMA).is_err());
        assert!(plain_number("1.2.3", POINT).is_err());
        assert!(plain_number("12.34,5", COMMA).is_err());
        assert!(plain_number("1234.567,5", COMMA).is_err());
    }

    #[test]
    fn words_pass_through_for_the_parsers_to_refuse() {
        assert_eq!(plain("two", COMMA).as_deref(), Some("two"));
        assert_eq!(plain(" 12a ", POINT).as_deref(), Some("12a"));
        assert_eq!(plain("", POINT).as_deref(), Some(""));
    }
}
