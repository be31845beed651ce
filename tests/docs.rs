//! The tables of `docs/hardware.md` say what `golden/src/protocol.rs` says: every opcode with its
//! code and name, and one status word per address. The failure shown in `docs/verification.md`
//! is what its own replay command prints (that test needs Verilator).

use pimforge_golden::protocol::{stat, Op};

fn hardware_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/hardware.md");
    std::fs::read_to_string(path).expect("docs/hardware.md")
}

#[test]
fn the_opcode_table_is_the_protocols() {
    let text = hardware_md();
    let start = text
        .find("## The tile's command interface")
        .expect("the command interface section");
    let section = &text[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let rows: Vec<(u8, String)> = section[..end]
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            Some((code, cells.get(2)?.trim_matches('`').to_string()))
        })
        .collect();
    let want: Vec<(u8, String)> = Op::TABLE
        .iter()
        .map(|(op, name)| (op.code(), name.to_string()))
        .collect();
    assert_eq!(rows, want, "docs/hardware.md's opcode table");
}

#[test]
fn every_status_word_is_documented() {
    let text = hardware_md();
    let start = text.find("Status words:").expect("a status word list");
    let words: Vec<u64> = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("- "))
        .filter_map(|l| l[2..].split(':').next()?.trim().parse().ok())
        .collect();
    let want: Vec<u64> = stat::TABLE.iter().map(|(a, _)| *a).collect();
    assert_eq!(words, want, "docs/hardware.md's status words");
    assert!(text.contains(&format!("`READ_STAT` | 0..{} |", stat::COUNT - 1)));
}

#[test]
fn the_failure_in_verification_md_is_what_its_replay_prints() {
    if std::process::Command::new("verilator")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("verilator not installed (make deps): skipped");
        return;
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/verification.md");
    let doc = std::fs::read_to_string(path).expect("docs/verification.md");
    let start = doc.find("```text\nFAIL ").expect("a failure block") + "```text\n".len();
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    let replay = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay:"))
        .expect("a replay line")
        .trim();
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let work = concat!(env!("CARGO_MANIFEST_DIR"), "/build");
    let out = assert_cmd::Command::cargo_bin("pimforge")
        .unwrap()
        .args(&args)
        .args(["--work", work])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the replay fails");
    let err = String::from_utf8_lossy(&out.stderr).replace(work, "build");
    let printed = &err[err.find("FAIL ").expect("a FAIL line")..];
    let printed = &printed[..printed.find("pimforge: error").unwrap_or(printed.len())];
    assert_eq!(
        printed, block,
        "docs/verification.md shows another failure than its replay's"
    );
}
