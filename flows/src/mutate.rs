//! Mutation campaigns on the generated RTL: realistic one-line bugs, applied one at a time to a
//! copy of a design's files, each linted, built and run through the CI regression.
//!
//! A mutant changes one line of one generated file, so it is the rendering of a one-line
//! change of that file's template (one module per template). The operators are the bug classes
//! of the campaign that first measured this harness (and of mcy's): comparisons flipped,
//! bounds off by one, terms dropped, signs and operands swapped, enables removed, counters
//! stuck, reset values and shifts changed, logic inverted. Sites are every line of code where an
//! operator applies (not comments, declarations or parameters); a campaign draws a few per file
//! from a seed, so it is the same campaign every time.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One mutation operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operator {
    /// `<` and `>=`, `>` and `<=`, `==` and `!=` exchanged.
    CompareFlip,
    /// A `<` bound made `<=` (or `>` made `>=`): one more iteration or one more value taken.
    OffByOne,
    /// The last `+ term` or `- term` of an expression dropped.
    DropTerm,
    /// A binary `+` made `-`, or `-` made `+`.
    SwapSign,
    /// The operands of the first `-` exchanged.
    SwapOperands,
    /// The condition of an `if` replaced by `1'b1`: the enable is gone.
    RemoveEnable,
    /// A counter's `+ 1` removed: it never counts.
    StuckCounter,
    /// A reset value `'0` made `'1`, or `1'b0` made `1'b1`.
    ResetValue,
    /// A shift's direction changed (`<<` and `>>`, `<<<` and `>>>`).
    ShiftChange,
    /// `&&` and `||` exchanged, or a `!` removed.
    LogicFlip,
}

impl Operator {
    pub const ALL: [Operator; 10] = [
        Operator::CompareFlip,
        Operator::OffByOne,
        Operator::DropTerm,
        Operator::SwapSign,
        Operator::SwapOperands,
        Operator::RemoveEnable,
        Operator::StuckCounter,
        Operator::ResetValue,
        Operator::ShiftChange,
        Operator::LogicFlip,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operator::CompareFlip => "compare-flip",
            Operator::OffByOne => "off-by-one",
            Operator::DropTerm => "drop-term",
            Operator::SwapSign => "swap-sign",
            Operator::SwapOperands => "swap-operands",
            Operator::RemoveEnable => "remove-enable",
            Operator::StuckCounter => "stuck-counter",
            Operator::ResetValue => "reset-value",
            Operator::ShiftChange => "shift-change",
            Operator::LogicFlip => "logic-flip",
        }
    }

    /// The line with this operator applied at its first site, or None where it does not apply.
    pub fn apply(self, line: &str) -> Option<String> {
        let (code, comment) = split_comment(line);
        let code = code.to_string();
        let out = match self {
            Operator::CompareFlip => replace_first_of(
                &code,
                &[
                    (" >= ", " < "),
                    (" <= ", " > "),
                    (" == ", " != "),
                    (" != ", " == "),
                    (" < ", " >= "),
                    (" > ", " <= "),
                ],
            ),
            Operator::OffByOne => replace_first_of(&code, &[(" < ", " <= "), (" > ", " >= ")]),
            Operator::DropTerm => drop_term(&code),
            Operator::SwapSign => replace_first_of(&code, &[(" + ", " - "), (" - ", " + ")]),
            Operator::SwapOperands => swap_operands(&code),
            Operator::RemoveEnable => remove_enable(&code),
            Operator::StuckCounter => replace_first_of(
                &code,
                &[(" + 1;", ";"), (" + 1'b1;", ";"), (" + 'd1;", ";")],
            ),
            Operator::ResetValue => {
                if code.contains("<=") {
                    replace_first_of(&code, &[("<= '0;", "<= '1;"), ("<= 1'b0;", "<= 1'b1;")])
                } else {
                    None
                }
            }
            Operator::ShiftChange => replace_first_of(
                &code,
                &[
                    (" <<< ", " >>> "),
                    (" >>> ", " <<< "),
                    (" << ", " >> "),
                    (" >> ", " << "),
                ],
            ),
            // Reset conditions are left alone: a reset inverted is not a one-line slip.
            Operator::LogicFlip if code.contains("rst_ni") => None,
            Operator::LogicFlip => {
                replace_first_of(&code, &[(" && ", " || "), (" || ", " && "), ("(!", "(")])
            }
        }?;
        Some(out + comment)
    }
}

/// The code of a line and its trailing comment.
fn split_comment(line: &str) -> (&str, &str) {
    match line.find("//") {
        Some(i) => line.split_at(i),
        None => (line, ""),
    }
}

/// Whether the ` <= ` at byte `i` is a non-blocking assignment (nothing but an lvalue before
/// it), not a comparison.
fn assigns_at(code: &str, i: usize) -> bool {
    let before = code[..i].trim_start();
    !before.is_empty() && !before.contains(['(', '?', '=', '&', '|', '!'])
}

/// The first (leftmost) of the patterns found, replaced; a ` <= ` that assigns is no site.
fn replace_first_of(code: &str, pairs: &[(&str, &str)]) -> Option<String> {
    let (at, from, to) = pairs
        .iter()
        .filter_map(|(f, t)| {
            code.match_indices(f)
                .map(|(i, _)| i)
                .find(|&i| !(f.trim() == "<=" && assigns_at(code, i)))
                .map(|i| (i, *f, *t))
        })
        .min_by_key(|(i, _, _)| *i)?;
    Some(format!("{}{to}{}", &code[..at], &code[at + from.len()..]))
}

/// `a + b;` to `a;`: the last term of an assignment's expression dropped.
fn drop_term(code: &str) -> Option<String> {
    if !code.trim_end().ends_with(';') || !(code.contains(" = ") || code.contains("<=")) {
        return None;
    }
    let i = code.rfind(" + ").or_else(|| code.rfind(" - "))?;
    let end = code.rfind(';')?;
    let term = &code[i + 3..end];
    // Only a whole term: no unbalanced parenthesis or bracket in what is dropped.
    let balanced = |o: char, c: char| term.matches(o).count() == term.matches(c).count();
    (balanced('(', ')') && balanced('[', ']') && !term.contains('?'))
        .then(|| format!("{}{}", &code[..i], &code[end..]))
}

/// `x = a - b;` to `x = b - a;` where both operands are simple names or numbers.
fn swap_operands(code: &str) -> Option<String> {
    let i = code.find(" - ")?;
    let simple = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
    };
    let before = &code[..i];
    let a_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\''))
        .map_or(0, |j| j + 1);
    let rest = &code[i + 3..];
    let b_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\''))
        .unwrap_or(rest.len());
    let (a, b) = (&before[a_start..], &rest[..b_end]);
    (simple(a) && simple(b) && a != b)
        .then(|| format!("{}{b} - {a}{}", &before[..a_start], &rest[b_end..]))
}

/// `if (cond) begin` to `if (1'b1) begin`.
fn remove_enable(code: &str) -> Option<String> {
    let i = code.find("if (")?;
    if code[..i].contains("else") && !code[..i].trim_end().ends_with("else") {
        return None;
    }
    let open = i + 3;
    let mut depth = 0;
    for (k, ch) in code[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let close = open + k;
                    let cond = &code[open + 1..close];
                    if cond.trim() == "1'b1" || cond.contains("rst_ni") {
                        return None;
                    }
                    return Some(format!("{}(1'b1){}", &code[..open], &code[close + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a line is code a mutant may change: not a comment, declaration, parameter, port or
/// generated header.
fn mutable_line(line: &str) -> bool {
    let t = line.trim_start();
    let skip = [
        "//",
        "/*",
        "*",
        "localparam",
        "parameter",
        "input",
        "output",
        "module",
        "endmodule",
        "logic",
        "function",
        "endfunction",
        "typedef",
        "package",
        "`",
        "$display",
        "$fatal",
        "$readmemh",
        "$error",
    ];
    !t.is_empty() && !skip.iter().any(|s| t.starts_with(s))
}

/// One mutant: `line` (1-based) of `file` changed by `operator`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutant {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub operator: Operator,
    pub before: String,
    pub after: String,
}

impl Mutant {
    /// The file's text with this mutant applied.
    pub fn apply(&self, text: &str) -> String {
        let mut out: Vec<&str> = text.lines().collect();
        assert_eq!(
            out[self.line - 1],
            self.before,
            "mutant {} is stale",
            self.id
        );
        out[self.line - 1] = &self.after;
        out.join("\n") + "\n"
    }
}

/// Every site of `text` (the file `file`): each mutable line with each operator that applies.
pub fn sites(file: &str, text: &str) -> Vec<Mutant> {
    let mut v = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if !mutable_line(line) {
            continue;
        }
        for op in Operator::ALL {
            if let Some(after) = op.apply(line) {
                if after != line {
                    v.push(Mutant {
                        id: String::new(),
                        file: file.to_string(),
                        line: n + 1,
                        operator: op,
                        before: line.to_string(),
                        after,
                    });
                }
            }
        }
    }
    v
}

/// A campaign over `files` (name, text): up to `per_file` mutants of each file, drawn from its
/// sites by `seed`, distinct operators first; ids `M01`, `M02`, ... in file order.
pub fn plan(files: &[(String, String)], per_file: usize, seed: u64) -> Vec<Mutant> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut all = Vec::new();
    for (name, text) in files {
        let mut s = sites(name, text);
        s.shuffle(&mut rng);
        // One per operator first, so each file sees as many bug classes as it has.
        let mut picked: Vec<Mutant> = Vec::new();
        for op in Operator::ALL {
            if let Some(m) = s.iter().find(|m| m.operator == op) {
                picked.push(m.clone());
            }
        }
        picked.shuffle(&mut rng);
        picked.truncate(per_file);
        for m in s {
            if picked.len() >= per_file {
                break;
            }
            if !picked
                .iter()
                .any(|p| p.line == m.line && p.operator == m.operator)
            {
                picked.push(m);
            }
        }
        picked.sort_by_key(|m| (m.line, m.operator.name()));
        all.extend(picked);
    }
    for (i, m) in all.iter_mut().enumerate() {
        m.id = format!("M{:02}", i + 1);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_change_one_site_of_a_line() {
        let op = |o: Operator, s: &str| o.apply(s);
        assert_eq!(
            op(Operator::CompareFlip, "if (a < b) x = 1; // a < b"),
            Some("if (a >= b) x = 1; // a < b".into())
        );
        assert_eq!(
            op(Operator::OffByOne, "for (int i = 0; i < N; i++)"),
            Some("for (int i = 0; i <= N; i++)".into())
        );
        assert_eq!(
            op(Operator::DropTerm, "  s = a + b[3];"),
            Some("  s = a;".into())
        );
        assert_eq!(op(Operator::DropTerm, "  s = a + (b;"), None);
        assert_eq!(
            op(Operator::SwapSign, "y = a - b;"),
            Some("y = a + b;".into())
        );
        assert_eq!(
            op(Operator::SwapOperands, "y = a - b;"),
            Some("y = b - a;".into())
        );
        assert_eq!(
            op(Operator::RemoveEnable, "    if (en_i && !x) q <= d;"),
            Some("    if (1'b1) q <= d;".into())
        );
        assert_eq!(op(Operator::RemoveEnable, "    if (!rst_ni) begin"), None);
        assert_eq!(
            op(Operator::StuckCounter, "  cnt_d = cnt_q + 1;"),
            Some("  cnt_d = cnt_q;".into())
        );
        assert_eq!(
            op(Operator::ResetValue, "      q <= '0;"),
            Some("      q <= '1;".into())
        );
        assert_eq!(op(Operator::ResetValue, "      q = '0;"), None);
        assert_eq!(
            op(Operator::ShiftChange, "y = x <<< k;"),
            Some("y = x >>> k;".into())
        );
        assert_eq!(
            op(Operator::LogicFlip, "a = b && c;"),
            Some("a = b || c;".into())
        );
        assert_eq!(op(Operator::LogicFlip, "a = b & c;"), None);
        // A non-blocking assignment is no comparison; one after it is.
        assert_eq!(op(Operator::CompareFlip, "  q <= d;"), None);
        assert_eq!(
            op(Operator::CompareFlip, "  q <= (a <= b);"),
            Some("  q <= (a > b);".into())
        );
    }

    #[test]
    fn plans_are_seeded_and_skip_declarations_and_comments() {
        let text = "module m;\n  // a < b\n  localparam int A = B - 1;\n  assign y = a - b;\n  always_ff @(posedge clk_i) if (en) q <= q + 1;\nendmodule\n";
        let files = vec![("m.sv".to_string(), text.to_string())];
        let a = plan(&files, 3, 1);
        assert_eq!(a, plan(&files, 3, 1));
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|m| m.line == 4 || m.line == 5), "{a:?}");
        assert_eq!(a[0].id, "M01");
        for m in &a {
            let mutated = m.apply(text);
            assert_ne!(mutated, text);
            assert_eq!(mutated.lines().count(), text.lines().count());
        }
    }
}
