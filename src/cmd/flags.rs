//! Value parsers of the command-line flags that clap's own range parsers do not cover: every
//! rejection names the flag (clap adds it) and the allowed range.

/// A finite number above zero (learning rates, damping).
pub fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err("allowed: a finite number above 0".into()),
        Err(_) => Err("not a number; allowed: a finite number above 0".into()),
    }
}

/// A finite number of at least 1 (condition numbers).
pub fn at_least_one(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1.0 => Ok(v),
        Ok(_) => Err("allowed: a finite number of at least 1".into()),
        Err(_) => Err("not a number; allowed: a finite number of at least 1".into()),
    }
}

/// A fraction in (0, 1] (target accuracies).
pub fn fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        Ok(_) => Err("allowed: a fraction in (0, 1]".into()),
        Err(_) => Err("not a number; allowed: a fraction in (0, 1]".into()),
    }
}

/// A fraction strictly between 0 and 1 (test shares).
pub fn open_fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        Ok(_) => Err("allowed: a fraction in (0, 1)".into()),
        Err(_) => Err("not a number; allowed: a fraction in (0, 1)".into()),
    }
}

/// `n` and the word, singular or plural (`1 tile`, `64 tiles`).
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_take_what_they_promise_and_nothing_else() {
        assert_eq!(positive("0.01"), Ok(0.01));
        for bad in ["0", "-1", "nan", "NaN", "inf", "-inf", "x", ""] {
            assert!(positive(bad).is_err(), "{bad}");
        }
        assert_eq!(at_least_one("1"), Ok(1.0));
        assert!(at_least_one("0.5").is_err() && at_least_one("nan").is_err());
        assert_eq!(fraction("1"), Ok(1.0));
        assert!(fraction("0").is_err() && fraction("1.5").is_err() && fraction("nan").is_err());
        assert_eq!(open_fraction("0.25"), Ok(0.25));
        assert!(open_fraction("1").is_err() && open_fraction("0").is_err());
        assert_eq!(
            (count(1, "tile"), count(3, "epoch")),
            ("1 tile".into(), "3 epochs".into())
        );
    }
}
