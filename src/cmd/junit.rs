//! JUnit XML for CI servers (`verify --junit`, `regress --junit`), in the form of `junit-10.xsd`,
//! the schema of Jenkins' xunit plugin, which GitLab, GitHub's test reporters and pytest also
//! follow: suites with their properties and test cases, a case's `<failure>` (it checked and
//! found a difference) or `<error>` (it could not check), its output in `<system-out>`, times
//! in seconds with at most three decimals. The XML itself (escaping, nesting) is `quick-xml`'s.
//! The tests validate the files against the schema with `xmllint`.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::io;

/// A report: suites, in order.
pub struct Junit {
    pub name: String,
    pub suites: Vec<Suite>,
}

pub struct Suite {
    pub name: String,
    /// Name-value pairs that hold for the whole suite (a seed, a config hash, a replay line).
    pub properties: Vec<(String, String)>,
    pub cases: Vec<Case>,
}

pub struct Case {
    pub name: String,
    pub classname: String,
    pub seconds: f64,
    pub outcome: Outcome,
    /// What the check printed.
    pub output: String,
}

pub enum Outcome {
    Passed,
    /// The check ran and found a difference.
    Failure {
        kind: String,
        text: String,
    },
    /// The check could not run (a build or a tool failed, or it died).
    Error {
        kind: String,
        text: String,
    },
}

impl Outcome {
    /// A check that did not pass: an error when it could not check, else a failure. `text` is
    /// the whole report; its first line is the message.
    pub fn not_passed(error: bool, kind: &str, text: String) -> Outcome {
        let kind = kind.to_string();
        match error {
            true => Outcome::Error { kind, text },
            false => Outcome::Failure { kind, text },
        }
    }
}

/// Seconds as the schema's time type allows: at most three decimals.
fn time(seconds: f64) -> String {
    format!("{:.3}", seconds.max(0.0))
}

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
    fn failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failure { .. }))
    }
    fn errors(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Error { .. }))
    }
    fn seconds(&self) -> f64 {
        self.cases.iter().map(|c| c.seconds).sum()
    }
}

impl Junit {
    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        self.write(&mut w).expect("writing to memory");
        String::from_utf8(w.into_inner()).expect("the XML is UTF-8") + "\n"
    }

    fn write(&self, w: &mut Writer<Vec<u8>>) -> io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let sum = |f: fn(&Suite) -> usize| self.suites.iter().map(f).sum::<usize>().to_string();
        let seconds: f64 = self.suites.iter().map(Suite::seconds).sum();
        w.create_element("testsuites")
            .with_attributes([
                ("name", self.name.as_str()),
                ("tests", &sum(|s| s.cases.len())),
                ("failures", &sum(Suite::failures)),
                ("errors", &sum(Suite::errors)),
                ("time", &time(seconds)),
            ])
            .write_inner_content(|w| {
                for s in &self.suites {
                    write_suite(w, s)?;
                }
                Ok(())
            })?;
        Ok(())
    }
}

fn write_suite(w: &mut Writer<Vec<u8>>, s: &Suite) -> io::Result<()> {
    w.create_element("testsuite")
        .with_attributes([
            ("name", s.name.as_str()),
            ("tests", &s.cases.len().to_string()),
            ("failures", &s.failures().to_string()),
            ("errors", &s.errors().to_string()),
            ("skipped", "0"),
            ("time", &time(s.seconds())),
        ])
        .write_inner_content(|w| {
            if !s.properties.is_empty() {
                w.create_element("properties").write_inner_content(|w| {
                    for (name, value) in &s.properties {
                        w.create_element("property")
                            .with_attributes([("name", name.as_str()), ("value", value)])
                            .write_empty()?;
                    }
                    Ok(())
                })?;
            }
            for c in &s.cases {
                write_case(w, c)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(w: &mut Writer<Vec<u8>>, c: &Case) -> io::Result<()> {
    w.create_element("testcase")
        .with_attributes([
            ("name", c.name.as_str()),
            ("classname", &c.classname),
            ("time", &time(c.seconds)),
        ])
        .write_inner_content(|w| {
            let (tag, kind, text) = match &c.outcome {
                Outcome::Passed => ("", "", ""),
                Outcome::Failure { kind, text } => ("failure", kind.as_str(), text.as_str()),
                Outcome::Error { kind, text } => ("error", kind.as_str(), text.as_str()),
            };
            if !tag.is_empty() {
                let message = text.lines().next().unwrap_or("failed");
                w.create_element(tag)
                    .with_attributes([("type", kind), ("message", message)])
                    .write_text_content(BytesText::new(text))?;
            }
            if !c.output.is_empty() {
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&c.output))?;
            }
            Ok(())
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, outcome: Outcome) -> Case {
        Case {
            name: name.into(),
            classname: "tiny.seed5".into(),
            seconds: 0.1 + 0.2,
            outcome,
            output: "a <b> & c".into(),
        }
    }

    #[test]
    fn counts_times_and_escaping() {
        let j = Junit {
            name: "pimforge".into(),
            suites: vec![Suite {
                name: "verify tiny".into(),
                properties: vec![("seed".into(), "5".into())],
                cases: vec![
                    case("array", Outcome::Passed),
                    case(
                        "icarus",
                        Outcome::not_passed(false, "mismatch", "MISMATCH at cycle 3\nmore".into()),
                    ),
                    case(
                        "solver",
                        Outcome::not_passed(true, "error", "no tool".into()),
                    ),
                ],
            }],
        };
        let x = j.to_xml();
        assert!(
            x.contains(
                r#"<testsuites name="pimforge" tests="3" failures="1" errors="1" time="0.900">"#
            ),
            "{x}"
        );
        assert!(x.contains(r#"<property name="seed" value="5"/>"#), "{x}");
        assert!(
            x.contains(r#"<failure type="mismatch" message="MISMATCH at cycle 3">"#),
            "{x}"
        );
        assert!(
            x.contains(r#"<error type="error" message="no tool">"#),
            "{x}"
        );
        assert!(x.contains("a &lt;b&gt; &amp; c"), "{x}");
        assert!(x.contains(r#"time="0.300""#), "{x}");
    }
}
