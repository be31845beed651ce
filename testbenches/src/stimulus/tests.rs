//! Tests of the stimulus module.

use super::*;
use pimforge_golden::AdcShape;

fn shape() -> TileShape {
    TileShape {
        rows: 4,
        cols: 8,
        value_bits: 2,
        cell_bits: vec![4, 4, 4, 3],
        weight_bits: 8,
        input_bits: 8,
        dac_bits: 1,
        adc: AdcShape {
            bits: 7,
            step_log2: 0,
            share: 2,
        },
        device: pimforge_golden::shape::DeviceShape::default(),
        mixed: None,
        tiki: None,
        lowrank: None,
    }
}

#[test]
fn same_seed_same_stimulus_and_every_opcode_is_exercised() {
    let s = shape();
    let cells = vec![Cells::new(&s); 3];
    let a = generate(&s, &cells, &[], 200, 9);
    let b = generate(&s, &cells, &[], 200, 9);
    let key = |st: &Stimulus| -> Vec<(u32, u8, u64, u64, u32)> {
        st.commands
            .iter()
            .map(|c| (c.tile, c.op, c.addr, c.data, c.idle))
            .collect()
    };
    assert_eq!(key(&a), key(&b));
    assert_ne!(key(&a), key(&generate(&s, &cells, &[], 200, 10)));
    assert_eq!(a.products(), 200);
    // Without a mixed-precision unit, ACCUMULATE and TRANSFER appear only as bad opcodes.
    for op in Op::all().filter(|op| op.available(Default::default())) {
        assert!(
            a.commands.iter().any(|c| c.op == op as u8),
            "{op:?} never issued"
        );
    }
    let mut m = shape();
    m.cell_bits = vec![8];
    m.weight_bits = 2;
    m.value_bits = 2;
    m.mixed = Some(pimforge_golden::MixedShape {
        chi_bits: 16,
        epsilon_log2: 3,
        max_pulses: 3,
    });
    let mixed = generate(&m, &[Cells::new(&m), Cells::new(&m)], &[], 200, 9);
    for op in Op::all().filter(|op| op.unit() == pimforge_golden::protocol::Unit::Mixed) {
        assert!(
            mixed.commands.iter().any(|c| c.op == op as u8),
            "{op:?} never issued on a mixed-precision tile"
        );
    }
    assert!(a.commands.iter().any(|c| Op::from_code(c.op).is_none()));
    assert!(
        a.commands.iter().any(|c| c.tile == 3),
        "absent tile never addressed"
    );
    // Every read has an expected response, and nothing else does.
    for c in &a.commands {
        let read = c.op == Op::ReadY as u8 || c.op == Op::ReadStat as u8;
        assert_eq!(c.expect.is_some(), read && (c.tile as usize) < 3);
    }
}

/// Each probe's cause raises its flag and no other on a fresh tile, and answers when it says.
#[test]
fn every_error_cause_raises_its_flag_alone() {
    use pimforge_golden::{TileIn, TileModel};
    let mut m = shape();
    m.mixed = Some(pimforge_golden::MixedShape {
        chi_bits: 16,
        epsilon_log2: 3,
        max_pulses: 3,
    });
    for s in [shape(), m] {
        let causes = error_causes(&s);
        assert!(causes.len() >= 8, "{} causes", causes.len());
        for c in causes {
            let mut t = TileModel::new(&s);
            let inp = TileIn {
                cmd_valid: true,
                cmd_op: c.op,
                cmd_addr: c.addr,
                cmd_data: c.data,
            };
            t.clock(&inp);
            assert_eq!(t.errors, c.flag, "{c:?}");
            assert_eq!(t.outputs().rsp_valid, c.reads(), "{c:?}");
        }
    }
}

/// The directed start is in every stimulus, however short: each command the tile has follows
/// another tile's CRS, and a CLEAR races an MVM after an absent tile was addressed.
#[test]
fn directed_sequences_hold_every_command_beside_a_busy_tile() {
    let s = shape();
    let cells = vec![Cells::new(&s); 3];
    let st = generate(&s, &cells, &[], 20, 3);
    assert!(st.products() >= 20);
    // Every command the tile has, right after the CRS of another tile.
    for op in Op::all().filter(|op| op.available(Default::default())) {
        let beside = st
            .commands
            .windows(2)
            .any(|w| w[0].op == Op::Crs as u8 && w[1].op == op as u8 && w[0].tile != w[1].tile);
        assert!(beside, "{op:?} never follows another tile's CRS");
    }
    // A CLEAR right behind an MVM of the same tile, with an absent tile addressed before.
    let race = st.commands.windows(2).position(|w| {
        w[0].op == Op::Mvm as u8 && w[1].op == Op::Clear as u8 && w[0].tile == w[1].tile
    });
    let race = race.expect("a CLEAR racing an MVM");
    assert!(st.commands[..race]
        .iter()
        .rev()
        .take(40)
        .any(|c| c.tile == 3));
}
