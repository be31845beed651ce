//! A network described in YAML: dense layers (sizes and activations) and the loss.
//!
//! ```yaml
//! name: digits-64-32-10
//! inputs: 64
//! layers:
//!   - { outputs: 32, activation: relu }
//!   - { outputs: 10, activation: softmax }
//! loss: cross-entropy
//! ```
//!
//! Hidden layers use `relu`, `tanh`, `sigmoid` or `linear`; the last layer is `softmax` with
//! the `cross-entropy` loss (classification). Every error names the field and what is allowed.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A layer's activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Linear,
    Softmax,
}

impl Activation {
    /// The activation of a hidden layer's pre-activation `z`.
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Relu => z.max(0.0),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Linear | Activation::Softmax => z,
        }
    }

    /// The activations of a layer of pre-activations `z` (softmax over the whole layer).
    pub fn layer(self, z: Vec<f64>) -> Vec<f64> {
        match self {
            Activation::Softmax => softmax(&z),
            a => z.into_iter().map(|v| a.apply(v)).collect(),
        }
    }

    /// Its derivative, from the activation `a` it produced (`None`: zero, so the error stops).
    pub fn derivative(self, a: f64) -> Option<f64> {
        match self {
            Activation::Relu => (a > 0.0).then_some(1.0),
            Activation::Tanh => Some(1.0 - a * a),
            Activation::Sigmoid => Some(a * (1.0 - a)),
            Activation::Linear | Activation::Softmax => Some(1.0),
        }
    }
}

/// Softmax of `z`.
pub fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().cloned().fold(f64::MIN, f64::max);
    let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
    z.iter().map(|v| (v - max).exp() / sum).collect()
}

/// The training loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Softmax outputs, cross-entropy against the class label.
    CrossEntropy,
}

/// One dense layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    pub outputs: usize,
    pub activation: Activation,
}

/// A multi-layer perceptron.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub name: String,
    pub inputs: usize,
    pub layers: Vec<LayerSpec>,
    pub loss: Loss,
}

/// Largest layer width accepted.
pub const MAX_WIDTH: usize = 1 << 16;

/// The shipped networks: `(name, YAML)`. `digits` is the default of `train`.
pub const SHIPPED: &[(&str, &str)] = &[
    ("digits", include_str!("../../../networks/digits.yaml")),
    (
        "digits-256",
        include_str!("../../../networks/digits-256.yaml"),
    ),
    ("panther", include_str!("../../../networks/panther.yaml")),
    ("blobs", include_str!("../../../networks/blobs.yaml")),
    ("rings", include_str!("../../../networks/rings.yaml")),
];

impl NetworkSpec {
    /// The 64-32-10 digits MLP (`networks/digits.yaml`).
    pub fn digits() -> Self {
        Self::shipped("digits").expect("a shipped network")
    }

    /// A shipped network by name.
    pub fn shipped(name: &str) -> Option<Self> {
        let (_, text) = SHIPPED.iter().find(|(n, _)| *n == name)?;
        Some(Self::parse(text, name).expect("the shipped networks are valid"))
    }

    /// `--network`: a shipped network's name or a YAML file.
    pub fn load(arg: &str) -> Result<Self> {
        if let Some(s) = Self::shipped(arg) {
            return Ok(s);
        }
        let path = Path::new(arg);
        let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "--network {arg}: cannot read (nor is it a shipped network: {})",
                names.join(", ")
            )
        })?;
        Self::parse(&text, &format!("--network {arg}"))
    }

    /// Parses and validates YAML; errors name `origin` and the field.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let spec: NetworkSpec =
            serde_norway::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        spec.validate()
            .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        Ok(spec)
    }

    fn validate(&self) -> Result<()> {
        if !(1..=MAX_WIDTH).contains(&self.inputs) {
            bail!("inputs: {} (allowed 1..={MAX_WIDTH})", self.inputs);
        }
        if self.layers.is_empty() {
            bail!("layers: empty (at least one layer, the last with activation softmax)");
        }
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            if !(1..=MAX_WIDTH).contains(&l.outputs) {
                bail!(
                    "layers[{i}].outputs: {} (allowed 1..={MAX_WIDTH})",
                    l.outputs
                );
            }
            match (i == last, l.activation) {
                (true, Activation::Softmax) => {}
                (true, a) => bail!("layers[{i}].activation: {a:?} (the last layer is softmax, for loss cross-entropy)"),
                (false, Activation::Softmax) => bail!("layers[{i}].activation: softmax (allowed for the last layer only; hidden layers: relu, tanh, sigmoid, linear)"),
                (false, _) => {}
            }
        }
        if self.layers[last].outputs < 2 {
            bail!(
                "layers[{last}].outputs: {} (a classifier has at least 2 classes)",
                self.layers[last].outputs
            );
        }
        Ok(())
    }

    /// `(inputs, outputs)` of every layer.
    pub fn sizes(&self) -> Vec<(usize, usize)> {
        let mut n = self.inputs;
        self.layers
            .iter()
            .map(|l| {
                let s = (n, l.outputs);
                n = l.outputs;
                s
            })
            .collect()
    }

    /// The number of classes (outputs of the last layer).
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// `64-32-10`.
    pub fn shape_string(&self) -> String {
        std::iter::once(self.inputs)
            .chain(self.layers.iter().map(|l| l.outputs))
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_networks_parse() {
        assert_eq!(NetworkSpec::digits().shape_string(), "64-32-10");
        assert_eq!(
            NetworkSpec::shipped("digits-256").unwrap().shape_string(),
            "64-256-256-10"
        );
        assert_eq!(
            NetworkSpec::shipped("panther").unwrap().shape_string(),
            "1024-256-512-512-10"
        );
        assert_eq!(NetworkSpec::digits().sizes(), vec![(64, 32), (32, 10)]);
    }

    #[test]
    fn bad_networks_name_the_field() {
        let e = |t: &str| NetworkSpec::parse(t, "n.yaml").unwrap_err().to_string();
        let base = "name: n\ninputs: 4\nloss: cross-entropy\nlayers:\n";
        assert!(e(&format!("{base}  - {{outputs: 3, activation: relu}}\n"))
            .contains("layers[0].activation: Relu (the last layer is softmax"));
        assert!(e(&format!("{base}  - {{outputs: 3, activation: softmax}}\n  - {{outputs: 3, activation: softmax}}\n")).contains("layers[0].activation: softmax (allowed for the last layer only"));
        assert!(
            e(&format!("{base}  - {{outputs: 0, activation: softmax}}\n"))
                .contains("layers[0].outputs: 0 (allowed 1..=65536)")
        );
        assert!(e(&format!("{base}  - {{outputs: 3, activation: swish}}\n"))
            .contains("unknown variant `swish`"));
        assert!(e(&format!(
            "{base}  - {{outputs: 3, activation: softmax, bias: no}}\n"
        ))
        .contains("unknown field `bias`"));
        assert!(e("name: n\ninputs: 0\nloss: cross-entropy\nlayers: []\n").contains("inputs: 0"));
        assert!(e("name: n\ninputs: 2\nloss: mse\nlayers: []\n").contains("unknown variant `mse`"));
        assert!(NetworkSpec::load("no-such-net")
            .unwrap_err()
            .to_string()
            .contains("shipped network: digits"));
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [Activation::Tanh, Activation::Sigmoid, Activation::Linear] {
            for z in [-1.3, -0.2, 0.4, 2.0] {
                let h = 1e-6;
                let fd = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                let d = act.derivative(act.apply(z)).unwrap();
                assert!((fd - d).abs() < 1e-6, "{act:?} at {z}: {fd} vs {d}");
            }
        }
        assert_eq!(Activation::Relu.derivative(0.0), None);
        assert_eq!(Activation::Relu.derivative(0.5), Some(1.0));
    }
}
