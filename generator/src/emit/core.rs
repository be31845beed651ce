//! The FuseSoC core (CAPI2) of a generated design, for users who consume IP through
//! FuseSoC/Edalize: the synthesisable RTL and the behavioral analog model as separate file sets,
//! the device files a simulation reads, and three targets on the array top:
//! - `lint`: Verilator `--lint-only -Wall`;
//! - `sim`: Icarus (`iverilog -g2012`), with the device files copied beside the simulation;
//! - `synth`: Yosys generic synthesis (`synth -top`, `stat -tech cmos`), the crossbars as black
//!   boxes (their interface only: the behavioral bodies are not synthesisable).
//!
//! The file is YAML written with serde from typed structs, after the `CAPI=2:` line FuseSoC
//! requires first.

use super::{ANALOG_MODULES, PACKAGE, TOP, VERSION};
use crate::design::Design;
use serde::Serialize;
use std::collections::BTreeMap;

/// The core file's name in a generated directory.
pub const CORE_FILE: &str = "pimforge.core";
/// The Yosys script of the core's `synth` target (Edalize's `yosys_template`).
pub const YOSYS_SCRIPT: &str = "pimforge_yosys.tcl";

/// The black box of behavioral module `module`: its interface alone.
pub fn box_file(module: &str) -> String {
    format!("{module}.box.sv")
}

/// The interface of a behavioral module as an empty module marked `(* blackbox *)`: its text
/// from `module` through the end of the port list (`\n);`).
pub fn black_box(text: &str) -> Option<String> {
    let start = text.find("module ")?;
    let end = start + text[start..].find("\n);")? + 4;
    Some(format!(
        "(* blackbox *)\n{}\nendmodule\n",
        &text[start..end]
    ))
}

#[derive(Serialize)]
struct Core {
    name: String,
    description: String,
    filesets: BTreeMap<&'static str, FileSet>,
    parameters: BTreeMap<&'static str, Parameter>,
    targets: BTreeMap<&'static str, Target>,
}

#[derive(Serialize)]
struct FileSet {
    files: Vec<serde_norway::Value>,
    file_type: &'static str,
}

#[derive(Serialize)]
struct Parameter {
    datatype: &'static str,
    paramtype: &'static str,
    default: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct Target {
    description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_tool: Option<&'static str>,
    filesets: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    toplevel: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tools: BTreeMap<&'static str, serde_norway::Value>,
}

fn yaml(text: &str) -> serde_norway::Value {
    serde_norway::from_str(text).expect("a literal YAML value")
}

/// A file FuseSoC copies into the work directory under its own name.
fn copied(name: &str) -> serde_norway::Value {
    yaml(&format!("{name}: {{copyto: {name}}}"))
}

/// The core of a design whose array file list is `modules` (the package first) and whose other
/// generated files are `files` (device and reference files are taken from there).
pub fn render(d: &Design, modules: &[&str], files: &[(String, String)]) -> String {
    let sv = |m: &&str| serde_norway::Value::String(format!("{m}.sv"));
    let analog: Vec<&str> = modules
        .iter()
        .copied()
        .filter(|m| ANALOG_MODULES.contains(m))
        .collect();
    let digital: Vec<&str> = modules
        .iter()
        .copied()
        .filter(|m| !ANALOG_MODULES.contains(m))
        .collect();
    let data: Vec<serde_norway::Value> = files
        .iter()
        .filter(|(n, _)| n.ends_with(".memh"))
        .map(|(n, _)| copied(n))
        .collect();
    let mut filesets = BTreeMap::new();
    filesets.insert(
        "rtl",
        FileSet {
            files: digital.iter().map(sv).collect(),
            file_type: "systemVerilogSource",
        },
    );
    filesets.insert(
        "analog_models",
        FileSet {
            files: analog.iter().map(sv).collect(),
            file_type: "systemVerilogSource",
        },
    );
    filesets.insert(
        "analog_black_boxes",
        FileSet {
            files: analog
                .iter()
                .map(|m| serde_norway::Value::String(box_file(m)))
                .collect(),
            file_type: "systemVerilogSource",
        },
    );
    filesets.insert(
        "synth_script",
        FileSet {
            files: vec![copied(YOSYS_SCRIPT)],
            file_type: "user",
        },
    );
    let mut sim_sets = vec!["rtl", "analog_models"];
    if !data.is_empty() {
        filesets.insert(
            "device_data",
            FileSet {
                files: data,
                file_type: "user",
            },
        );
        sim_sets.push("device_data");
    }
    let mut parameters = BTreeMap::new();
    parameters.insert(
        "DeviceDir",
        Parameter {
            datatype: "str",
            paramtype: "vlogparam",
            default: ".",
            description: "Directory of the device files (pim_dev_t<tile>_s<slice>.memh) the crossbar models read; the sim target copies them into its work directory",
        },
    );
    let mut targets = BTreeMap::new();
    targets.insert(
        "default",
        Target {
            description: "The design's RTL and its behavioral crossbar models",
            default_tool: None,
            filesets: vec!["rtl", "analog_models"],
            toplevel: None,
            parameters: Vec::new(),
            tools: BTreeMap::new(),
        },
    );
    targets.insert(
        "lint",
        Target {
            description: "Verilator lint of the whole design, every warning on",
            default_tool: Some("verilator"),
            filesets: vec!["rtl", "analog_models"],
            toplevel: Some(TOP),
            parameters: Vec::new(),
            tools: BTreeMap::from([(
                "verilator",
                yaml("{mode: lint-only, verilator_options: [-Wall]}"),
            )]),
        },
    );
    targets.insert(
        "sim",
        Target {
            description:
                "Icarus build of the whole design (a host testbench drives its command port)",
            default_tool: Some("icarus"),
            filesets: sim_sets,
            toplevel: Some(TOP),
            parameters: vec!["DeviceDir"],
            tools: BTreeMap::from([("icarus", yaml("{iverilog_options: [-g2012]}"))]),
        },
    );
    targets.insert(
        "synth",
        Target {
            description: "Yosys generic synthesis of the digital logic, the crossbars as black boxes; cells and a transistor estimate in the log",
            default_tool: Some("yosys"),
            filesets: vec!["rtl", "analog_black_boxes", "synth_script"],
            toplevel: Some(TOP),
            parameters: Vec::new(),
            tools: BTreeMap::from([(
                "yosys",
                yaml(&format!(
                    "{{arch: generic, output_format: json, yosys_template: {YOSYS_SCRIPT}}}"
                )),
            )]),
        },
    );
    let cfg = d.config();
    let core = Core {
        name: format!("pimforge:generated:{TOP}_{}:{VERSION}", d.hash),
        description: format!(
            "{} ReRAM PIM training {} of {}x{}, generated by pimforge {VERSION} from config {} (pimforge.yaml); regenerate with `pimforge gen`, do not edit",
            cfg.tiles,
            if cfg.tiles == 1 { "tile" } else { "tiles" },
            cfg.crossbar.rows,
            cfg.crossbar.cols,
            d.hash
        ),
        filesets,
        parameters,
        targets,
    };
    debug_assert_eq!(digital.first(), Some(&PACKAGE));
    let body = serde_norway::to_string(&core).expect("the core serialises");
    format!("CAPI=2:\n# Generated by pimforge {VERSION}: the FuseSoC core of the design in this directory.\n{body}")
}

/// The Yosys script of the `synth` target. Edalize writes `edalize_yosys_procs.tcl` (its
/// `read_files` reads the target's file sets in order, the package first); this script reads
/// them without Edalize's deferred mode, synthesises generically and prints the statistics.
/// Yosys commands go through `yosys ...`: the procedures file defines a Tcl `synth` of its own.
pub fn yosys_script() -> String {
    format!(
        "# Generated by pimforge {VERSION}: Yosys script of the FuseSoC core's synth target.\n\
         yosys -import\n\
         source edalize_yosys_procs.tcl\n\
         read_files\n\
         yosys hierarchy -check -top {TOP}\n\
         yosys synth -top {TOP}\n\
         yosys tee -o {TOP}.stat.txt stat -tech cmos\n\
         yosys write_json {TOP}.json\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_box_keeps_the_header_through_the_port_list() {
        let text = "// x\nmodule m #(parameter int A = 1) (\n  input logic a\n);\n  assign y = a;\nendmodule\n";
        assert_eq!(
            black_box(text).unwrap(),
            "(* blackbox *)\nmodule m #(parameter int A = 1) (\n  input logic a\n);\n\nendmodule\n"
        );
        assert_eq!(black_box("no module here"), None);
    }
}
