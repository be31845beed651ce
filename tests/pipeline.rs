//! The pipelined harness (the DUT on a thread of its own, behind the golden model) finds what
//! the inline harness finds: the same first mismatch of a faulty design (cycle, port, both
//! values), and the same passing run of a clean one. Needs Verilator (`make deps` installs it).

use pimforge_flows::verify::prepare;
use pimforge_gen::fault::Fault;
use pimforge_golden::{ArrayIn, ArrayModel};
use pimforge_tb::{generate, Bench, Options};

use crate::common;
use common::{design, work};

/// Presents `stim`'s commands in order, each until the golden model is ready (so both benches
/// see the same inputs), on `bench`; returns the first mismatch's (cycle, port, expected,
/// actual), after the cycles a pipelined bench still owes.
fn first_mismatch(
    mut bench: Bench<ArrayModel>,
    stim: &pimforge_tb::Stimulus,
) -> Option<(u64, String, u128, u128)> {
    let key = |m: Box<pimforge_tb::Mismatch>| (m.cycle, m.signal, m.expected, m.actual);
    for c in &stim.commands {
        let inp = ArrayIn {
            cmd_valid: true,
            cmd_tile: c.tile,
            cmd_op: c.op,
            cmd_addr: c.addr,
            cmd_data: c.data,
        };
        loop {
            match bench.step(&inp, |_| vec![]).unwrap() {
                Ok(out) if out.cmd_ready => break,
                Ok(_) => {}
                Err(m) => return Some(key(m)),
            }
        }
    }
    for _ in 0..4096 {
        if let Err(m) = bench.step(&ArrayIn::default(), |_| vec![]).unwrap() {
            return Some(key(m));
        }
    }
    bench.settle().unwrap().map(key)
}

#[test]
fn the_pipelined_bench_finds_the_inline_benchs_first_mismatch() {
    let faulty = prepare(&design("tiny", Some(Fault::OpaDigit)), &work(), None).unwrap();
    let b = &faulty.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 300, 21);
    let model = || ArrayModel::with_units(&b.shape, b.cells.clone(), b.units.clone());
    let inline = Bench::load(&b.library, model(), 21, "").unwrap();
    let pipelined = Bench::pipelined(&b.library, model(), 21, "").unwrap();
    let want = first_mismatch(inline, &stim).expect("the inline bench catches the fault");
    let got = first_mismatch(pipelined, &stim).expect("the pipelined bench catches it too");
    assert_eq!(got, want);
    println!(
        "both benches: first mismatch at cycle {}, {} expected {:#x} actual {:#x}",
        want.0, want.1, want.2, want.3
    );
}

#[test]
fn pipelined_and_inline_runs_of_a_clean_design_agree() {
    let clean = prepare(&design("noisy", None), &work(), None).unwrap();
    let b = &clean.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 300, 22);
    let run = |inline| {
        let opts = Options {
            seed: 22,
            replay: String::new(),
            waves: None,
            wave_dir: None,
            mismatch_window: 0,
            record: None,
            inline,
            heartbeat: None,
        };
        pimforge_tb::run(b, &stim, &opts).unwrap().expect("passes")
    };
    let (p, i) = (run(false), run(true));
    assert_eq!(
        (p.cycles, p.commands, p.responses, &p.accepted),
        (i.cycles, i.commands, i.responses, &i.accepted)
    );
    println!(
        "pipelined and inline: {} cycles, {} commands, {} responses, every acceptance cycle equal",
        p.cycles, p.commands, p.responses
    );
}
