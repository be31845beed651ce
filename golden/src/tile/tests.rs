//! Tests of the tile module.

use super::*;
use crate::mvm::mvm;
use crate::shape::tests::small;

/// Issues one command and waits until it is accepted; returns the response, if any.
fn issue(t: &mut TileModel, c: TileIn) -> (usize, Option<u128>) {
    let mut cycles = 0;
    while !t.outputs().cmd_ready {
        t.clock(&TileIn::default());
        cycles += 1;
    }
    t.clock(&c);
    let o = t.outputs();
    (cycles, o.rsp_valid.then_some(o.rsp_data))
}

#[test]
fn cycle_model_matches_functional_mvm_and_latency() {
    let s = small();
    let mut t = TileModel::new(&s);
    for r in 0..s.rows {
        for c in 0..s.cols {
            let w = (r as i64 * 37 - c as i64 * 11) % 128;
            issue(
                &mut t,
                TileIn::command(Op::LoadW, s.cell_addr(0, r, c), to_raw(w as i128, 8) as u64),
            );
        }
    }
    let x: Vec<i64> = (0..8).map(|i| (i * 29 - 100) % 128).collect();
    for (i, &v) in x.iter().enumerate() {
        issue(
            &mut t,
            TileIn::command(Op::WriteX, i as u64, to_raw(v as i128, 8) as u64),
        );
    }
    for (op, dir, n) in [
        (Op::Mvm, Direction::Forward, 8),
        (Op::Mtvm, Direction::Transpose, 4),
    ] {
        issue(&mut t, TileIn::command(op, 0, 0));
        let want = mvm(&s, &mut t.cells.clone(), &x[..n], dir);
        let mut busy = 0;
        while t.outputs().busy {
            t.clock(&TileIn::default());
            busy += 1;
        }
        assert_eq!(busy, s.mvm_cycles());
        for (l, &y) in want.y.iter().enumerate() {
            let (_, rsp) = issue(&mut t, TileIn::command(Op::ReadY, l as u64, 0));
            assert_eq!(sext(rsp.unwrap(), s.rsp_bits()), y, "{op:?} line {l}");
        }
        let (_, sat) = issue(&mut t, TileIn::command(Op::ReadStat, stat::SATURATIONS, 0));
        assert_eq!(sat.unwrap() as u64, want.clipped);
        issue(&mut t, TileIn::command(Op::Clear, 0, 0));
    }
}

#[test]
fn opa_and_crs_commands_match_the_functional_model_and_latency() {
    let s = small();
    let mut t = TileModel::new(&s);
    let x: Vec<i64> = vec![3, -2, 0, 1, -1, 2, 0, -3];
    let d: Vec<i64> = vec![5, -7, 2, 0];
    for (i, &v) in x.iter().enumerate() {
        issue(
            &mut t,
            TileIn::command(Op::WriteX, i as u64, to_raw(v as i128, 8) as u64),
        );
    }
    for (c, &v) in d.iter().enumerate() {
        issue(
            &mut t,
            TileIn::command(Op::WriteD, c as u64, to_raw(v as i128, 8) as u64),
        );
    }
    let mut want = t.cells.clone();
    let clips = crate::opa::opa(&s, &mut want, &x, &d);
    issue(&mut t, TileIn::command(Op::Opa, 0, 0));
    let mut busy = 0;
    while t.outputs().busy {
        t.clock(&TileIn::default());
        busy += 1;
    }
    assert_eq!(busy, s.opa_cycles());
    assert_eq!(t.cells, want);
    let (_, rsp) = issue(&mut t, TileIn::command(Op::ReadStat, stat::UPDATE_CLIPS, 0));
    assert_eq!(rsp, Some(clips as u128));
    let sats = crate::opa::crs(&s, &mut want);
    issue(&mut t, TileIn::command(Op::Crs, 0, 0));
    let (wait, _) = issue(
        &mut t,
        TileIn::command(Op::ReadStat, stat::CRS_SATURATIONS, 0),
    );
    assert_eq!(wait, s.crs_cycles());
    assert_eq!(t.cells, want);
    assert_eq!(t.outputs().rsp_data, sats as u128);
}

/// `small()` with one 8-bit cell per 2-bit weight and a mixed-precision unit.
fn small_mixed() -> TileShape {
    let mut s = small();
    s.cell_bits = vec![8];
    s.weight_bits = 2;
    s.mixed = Some(crate::shape::MixedShape {
        chi_bits: 16,
        epsilon_log2: 4,
        max_pulses: 3,
    });
    s
}

#[test]
fn accumulate_and_transfer_keep_every_update() {
    let s = small_mixed();
    let mut t = TileModel::new(&s);
    let x: Vec<i64> = vec![3, -2, 0, 1, -1, 2, 0, -3];
    let d: Vec<i64> = vec![1, -2, 0, -1];
    for (i, &v) in x.iter().enumerate() {
        issue(
            &mut t,
            TileIn::command(Op::WriteX, i as u64, to_raw(v as i128, 8) as u64),
        );
    }
    for (c, &v) in d.iter().enumerate() {
        issue(
            &mut t,
            TileIn::command(Op::WriteD, c as u64, to_raw(v as i128, 2) as u64),
        );
    }
    for _ in 0..5 {
        issue(&mut t, TileIn::command(Op::Accumulate, 0, 0));
    }
    issue(&mut t, TileIn::command(Op::Transfer, 0, 0));
    let mut busy = 0;
    while t.outputs().busy {
        t.clock(&TileIn::default());
        busy += 1;
    }
    assert_eq!(busy, s.transfer_cycles());
    let mut sent = 0;
    for (r, xr) in x.iter().enumerate() {
        for (c, dc) in d.iter().enumerate() {
            let (n, level) = (t.cells.get(0, r, c), t.chi[r * s.cols + c]);
            assert_eq!(level + n * 16, 5 * xr * dc, "cell ({r}, {c})");
            assert!(n.abs() <= 3 && (n == 3 || level.abs() < 16 || n == -3));
            sent += n.abs();
        }
    }
    assert!(sent > 0);
    let (_, p) = issue(&mut t, TileIn::command(Op::ReadStat, stat::PULSES, 0));
    assert_eq!(p, Some(sent as u128));
}

#[test]
fn bad_commands_set_sticky_flags() {
    let s = small();
    let mut t = TileModel::new(&s);
    issue(&mut t, TileIn::command(Op::WriteX, 8, 0));
    assert_eq!(t.errors, err::BAD_ADDR);
    issue(
        &mut t,
        TileIn {
            cmd_op: 15,
            ..TileIn::command(Op::Clear, 0, 0)
        },
    );
    issue(&mut t, TileIn::command(Op::WriteCell, 0, 100));
    assert_eq!(t.errors, err::BAD_ADDR | err::BAD_OP | err::BAD_LEVEL);
    assert!(t.outputs().err);
    let (_, rsp) = issue(&mut t, TileIn::command(Op::ReadStat, stat::ERRORS, 0));
    assert_eq!(rsp, Some(7));
    issue(&mut t, TileIn::command(Op::Clear, 0, 0));
    assert!(!t.outputs().err);
}

/// The address spaces of `TileShape::addresses` are the ones the model checks: the last valid
/// address of every addressed command raises no flag, the first invalid one `BAD_ADDR` (where
/// the address field can carry it).
#[test]
fn address_spaces_are_the_ones_the_model_checks() {
    let agad = crate::tiki::unit::tests::shape(crate::shape::Flavor::Agad);
    for s in [small(), agad] {
        let mut checked = 0;
        for op in Op::all() {
            let Some(n) = s.addresses(op) else { continue };
            for (addr, flag) in [(n - 1, 0), (n, err::BAD_ADDR)] {
                if !s.addressable(addr) {
                    continue;
                }
                let mut t = TileModel::new(&s);
                // Data 0 is in range for every command (a zero level, threshold or slot count).
                issue(&mut t, TileIn::command(op, addr, 0));
                assert_eq!(t.errors, flag, "{} at address {addr} of {n}", op.name());
                checked += 1;
            }
        }
        assert!(checked >= 8, "{checked} edges checked");
    }
}

/// The status word `w` now.
fn word(t: &mut TileModel, w: u64) -> u64 {
    issue(t, TileIn::command(Op::ReadStat, w, 0)).1.unwrap() as u64
}

#[test]
fn event_words_count_each_command_by_hand() {
    // small(): 8 rows, 4 columns, 4 slices, 8 one-bit planes, 8 lines on 4 ADCs (share 2).
    let s = small();
    let mut t = TileModel::new(&s);
    for i in 0..8 {
        issue(&mut t, TileIn::command(Op::WriteX, i, 1));
    }
    issue(&mut t, TileIn::command(Op::WriteX, 8, 1)); // out of range: no access
    issue(&mut t, TileIn::command(Op::LoadW, s.cell_addr(0, 1, 2), 3));
    issue(
        &mut t,
        TileIn::command(Op::WriteCell, s.cell_addr(2, 0, 0), 1),
    );
    issue(&mut t, TileIn::command(Op::Mvm, 0, 0));
    issue(&mut t, TileIn::command(Op::Mtvm, 0, 0));
    issue(&mut t, TileIn::command(Op::ReadY, 0, 0));
    issue(&mut t, TileIn::command(Op::Opa, 0, 0));
    issue(&mut t, TileIn::command(Op::Crs, 0, 0));
    let want = [
        (stat::DAC_DRIVES, 8 * 8 + 8 * 4), // planes x rows, then planes x cols
        (stat::FORWARD_READS, 8 * 4),      // planes x slices
        (stat::TRANSPOSE_READS, 8 * 4),    //
        (stat::CONVERSIONS, 2 * 8 * 8 * 4), // products x planes x lines x slices
        (stat::SHIFT_ADDS, 2 * 8 * 8 * 4), //
        (stat::UPDATE_STEPS, 4 * 8 * 4),   // phases x input bits x slices
        (stat::CELL_READS, 8 * 4 * 4),     // CRS: cells x slices
        (stat::CELL_WRITES, 4 + 1 + 8 * 4 * 4), // LOAD_W, WRITE_CELL, CRS
        (stat::ACC_UPDATES, 0),            //
        (stat::BUFFER_ACCESSES, 8 + 1),    // WRITE_X in range, READ_Y
    ];
    for (w, n) in want {
        assert_eq!(word(&mut t, w), n, "{}", stat::TABLE[w as usize].1);
    }
    issue(&mut t, TileIn::command(Op::Clear, 0, 0));
    assert!((stat::EVENTS..stat::COUNT).all(|w| word(&mut t, w) == 0));
    t.events[0] = u32::MAX - 1;
    issue(&mut t, TileIn::command(Op::Mvm, 0, 0));
    assert_eq!(word(&mut t, stat::DAC_DRIVES), u32::MAX as u64, "saturates");
}

#[test]
fn per_operation_events_are_what_the_cycle_model_counts() {
    use crate::events::Events;
    let s = small_mixed();
    let mut t = TileModel::new(&s);
    let cases: [(Op, Events); 5] = [
        (Op::Mvm, Events::product(&s, Direction::Forward)),
        (Op::Mtvm, Events::product(&s, Direction::Transpose)),
        (Op::Opa, Events::opa(&s)),
        (Op::Accumulate, Events::accumulate(&s)),
        (Op::Transfer, Events::mixed_transfer(&s)),
    ];
    for (op, want) in cases {
        issue(&mut t, TileIn::command(Op::Clear, 0, 0));
        issue(&mut t, TileIn::command(op, 0, 0));
        for (e, n) in want.iter() {
            assert_eq!(word(&mut t, e.word()), n, "{op:?} {e:?}");
        }
    }
}

/// small() with a rank-2 low-rank unit of 4 samples per batch.
fn small_lowrank() -> TileShape {
    TileShape {
        lowrank: Some(crate::shape::LowRankShape { rank: 2, batch: 4 }),
        ..small()
    }
}

/// Cycles the tile stays busy after the last command.
fn busy_cycles(t: &mut TileModel) -> usize {
    let mut n = 0;
    while t.outputs().busy {
        t.clock(&TileIn::default());
        n += 1;
    }
    n
}

#[test]
fn the_low_rank_unit_absorbs_the_buffers_and_writes_its_terms_as_opas() {
    use crate::lowrank::fixed::FixedLowRank;
    let s = small_lowrank();
    let map = s.lowrank_map().unwrap();
    let mut t = TileModel::new(&s).at_index(3);
    let f = s.lowrank_fixed().unwrap();
    let mut want = FixedLowRank::new(f, 11, 10);
    // The host writes the first pairs.
    let bits = f.acc_bits();
    for (a, v) in want.x.iter().chain(&want.d).enumerate() {
        let (_, r) = issue(
            &mut t,
            TileIn::command(Op::WriteUnit, a as u64, to_raw(*v as i128, bits) as u64),
        );
        assert_eq!(r, None);
    }
    let scale = crate::lowrank::operands::Scale {
        mant: 40_000,
        shift: 26,
        row_frac: 4,
    };
    issue(
        &mut t,
        TileIn::command(Op::WriteUnit, map.scale, scale.word()),
    );
    let mut l = crate::lfsr::Lfsr::new32(77);
    for j in 0..8 {
        let x: Vec<i64> = (0..8).map(|_| (l.word() % 256) as i64 - 128).collect();
        let d: Vec<i64> = (0..4).map(|_| (l.word() % 256) as i64 - 128).collect();
        for (i, v) in x.iter().enumerate() {
            issue(
                &mut t,
                TileIn::command(Op::WriteX, i as u64, to_raw(*v as i128, 8) as u64),
            );
        }
        for (i, v) in d.iter().enumerate() {
            issue(
                &mut t,
                TileIn::command(Op::WriteD, i as u64, to_raw(*v as i128, 8) as u64),
            );
        }
        issue(&mut t, TileIn::command(Op::Absorb, 0, 0));
        want.absorb(&x, &d);
        assert_eq!(busy_cycles(&mut t), s.absorb_cycles(j == 7), "sample {j}");
        for (a, v) in want.x.iter().chain(&want.d).enumerate() {
            let (_, r) = issue(&mut t, TileIn::command(Op::ReadUnit, a as u64, 0));
            assert_eq!(
                sext(r.unwrap(), bits) as i64,
                *v,
                "word {a} after sample {j}"
            );
        }
    }
    // END_BATCH: the same terms, rounded with tile 3's LFSR, as OPAs on the same cells.
    let mut cells = t.cells.clone();
    let mut lfsr = crate::lfsr::Lfsr::new32(crate::protocol::seed_hash(
        s.device.seed ^ crate::protocol::ROUND_SEED,
        3,
        0,
        0,
    ));
    want.finish();
    let mut last = None;
    for r in 0..2 {
        let o = want.operands(r, scale, &mut lfsr);
        crate::opa::opa(&s, &mut cells, &o.rows, &o.cols);
        last = Some(o);
    }
    want.warm_start();
    let pulses = cells.pulses;
    issue(&mut t, TileIn::command(Op::EndBatch, 0, 0));
    assert_eq!(busy_cycles(&mut t), s.end_batch_cycles());
    assert_eq!(t.cells, cells);
    assert!(pulses > 0, "the terms moved some cells");
    assert_eq!(word(&mut t, stat::PULSES), pulses);
    let last = last.unwrap();
    assert_eq!((&t.x[..8], &t.d[..]), (&last.rows[..], &last.cols[..]));
    let unit = |t: &mut TileModel, a| issue(t, TileIn::command(Op::ReadUnit, a, 0)).1.unwrap();
    assert_eq!(unit(&mut t, map.opas), 2);
    assert_eq!(unit(&mut t, map.samples), 8);
    assert_eq!(unit(&mut t, map.scale), scale.word() as u128);
    for (a, v) in want.x.iter().chain(&want.d).enumerate() {
        assert_eq!(
            sext(unit(&mut t, a as u64), bits) as i64,
            *v,
            "warm start word {a}"
        );
    }
    // The counters are read-only; words past the map do not exist.
    assert_eq!(t.errors, 0);
    issue(&mut t, TileIn::command(Op::WriteUnit, map.opas, 0));
    assert_eq!(t.errors, err::BAD_ADDR);
    issue(&mut t, TileIn::command(Op::Clear, 0, 0));
    issue(&mut t, TileIn::command(Op::ReadUnit, map.words, 0));
    assert_eq!(t.errors, err::BAD_ADDR);
    // Without the unit, its commands are bad opcodes.
    let mut plain = TileModel::new(&small());
    issue(&mut plain, TileIn::command(Op::Absorb, 0, 0));
    assert_eq!(plain.errors, err::BAD_OP);
}

#[test]
fn low_rank_events_are_what_the_cycle_model_counts() {
    use crate::events::Events;
    let s = small_lowrank();
    let mut t = TileModel::new(&s);
    for (op, want) in [
        (Op::Absorb, Events::absorb(&s)),
        (Op::EndBatch, Events::end_batch(&s)),
    ] {
        issue(&mut t, TileIn::command(Op::Clear, 0, 0));
        issue(&mut t, TileIn::command(op, 0, 0));
        assert_eq!(Events::command(&s, op.code(), 0, 0), want);
        for (e, n) in want.iter() {
            assert_eq!(word(&mut t, e.word()), n, "{op:?} {e:?}");
        }
    }
}
