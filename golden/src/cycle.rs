//! What every cycle-level model is to the lock-step harness: a [`CycleModel`] predicts a unit's
//! outputs for the inputs of a cycle and takes the clock edge; an [`Interface`] names the RTL
//! top it models and describes its ports once, in two tables (inputs, outputs) that give each
//! port's name, its width for this model's geometry, and its raw value in a cycle's inputs or
//! outputs. The harness derives the Verilator port list, the order in which it drives and
//! compares values, and its waveforms from these tables; the build checks them against the
//! ports Verilator generates.

/// A model that predicts every output of an RTL unit on every cycle.
pub trait CycleModel {
    /// Raw port values the unit samples in a cycle.
    type In: Clone + Default;
    /// Raw port values the unit presents in a cycle.
    type Out: Clone + Default;
    /// The outputs during a cycle with inputs `inp`, before the clock edge.
    fn outputs(&self, inp: &Self::In) -> Self::Out;
    /// One rising clock edge with inputs `inp`.
    fn clock(&mut self, inp: &Self::In);
}

/// One port of a unit: its name in the RTL, its width for a geometry `G`, and its raw value in a
/// bundle `T` (the cycle's inputs or outputs).
pub struct Signal<T, G> {
    pub name: &'static str,
    pub width: fn(&G) -> u32,
    pub value: fn(&T) -> u128,
}

impl<T, G> Signal<T, G> {
    pub const fn new(name: &'static str, width: fn(&G) -> u32, value: fn(&T) -> u128) -> Self {
        Signal { name, width, value }
    }
}

/// Width of a one-bit port.
pub fn one_bit<G>(_: &G) -> u32 {
    1
}

/// The ports of the RTL unit a model predicts (besides `clk_i` and `rst_ni`, which every unit
/// has).
pub trait Interface: CycleModel + Sized + 'static {
    /// What fixes the widths of the unit's ports (small: the harness makes one without a model).
    type Geometry: 'static;
    /// Top module of the unit.
    const TOP: &'static str;
    const INPUTS: &'static [Signal<Self::In, Self::Geometry>];
    const OUTPUTS: &'static [Signal<Self::Out, Self::Geometry>];
    /// This model's geometry.
    fn geometry(&self) -> Self::Geometry;
}
