use std::fmt;

use crate::error::invalid;
use crate::Result;

/// A positive fraction: a frame rate (frames per second) or a time base
/// (seconds per tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    pub num: i64,
    pub den: i64,
}

impl Rational {
    /// Both parts must be positive.
    pub fn new(name: &'static str, num: i64, den: i64) -> Result<Self> {
        if num <= 0 || den <= 0 {
            return Err(invalid(
                name,
                format!("{num}/{den} must have a positive numerator and denominator"),
            ));
        }
        Ok(Self { num, den })
    }

    /// Parses `"30000/1001"` or `"25"`.
    pub fn parse(name: &'static str, text: &str) -> Result<Self> {
        let (num, den) = text.split_once('/').unwrap_or((text, "1"));
        let part = |s: &str| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| invalid(name, format!("{text:?} is not a fraction like 30000/1001")))
        };
        Self::new(name, part(num)?, part(den)?)
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        assert_eq!(
            Rational::parse("fps", "30000/1001"),
            Ok(Rational {
                num: 30000,
                den: 1001
            })
        );
        assert_eq!(Rational::parse("fps", "25"), Rational::new("fps", 25, 1));
        for bad in ["0/1", "30/0", "-30/1", "abc", "30/x", ""] {
            assert!(Rational::parse("fps", bad).is_err(), "{bad}");
        }
    }
}
