//! The tables of `docs/hardware.md` say what `golden/src/protocol.rs` says: every opcode with its
//! code and name, and one status word per address. Reads the files as text.

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
