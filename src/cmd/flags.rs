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

/// `--jobs` when given, else the machine's cores.
pub fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A window of cycles `A..B` (both included) or `A..` (from A to the end of the run).
pub fn cycle_window(s: &str) -> Result<(u64, u64), String> {
    const ALLOWED: &str = "allowed: A..B (cycles A through B, A <= B) or A.. (from A to the end)";
    let (a, b) = s
        .trim()
        .split_once("..")
        .ok_or_else(|| format!("'{s}' is not a window; {ALLOWED}"))?;
    let cycle = |t: &str| {
        t.parse::<u64>()
            .map_err(|_| format!("'{t}' is not a cycle number; {ALLOWED}"))
    };
    let first = cycle(a)?;
    let last = if b.is_empty() { u64::MAX } else { cycle(b)? };
    if last < first {
        return Err(format!("{last} is before {first}; {ALLOWED}"));
    }
    Ok((first, last))
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
    fn cycle_windows_parse_and_name_the_allowed_form() {
        assert_eq!(cycle_window("10..20"), Ok((10, 20)));
        assert_eq!(cycle_window("7..7"), Ok((7, 7)));
        assert_eq!(cycle_window("5.."), Ok((5, u64::MAX)));
        for bad in ["20..10", "x..3", "12", "..4"] {
            assert!(
                cycle_window(bad).unwrap_err().contains("allowed: A..B"),
                "{bad}"
            );
        }
    }

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
