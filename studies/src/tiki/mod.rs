//! Tiki-Taka on the golden model's unit ([`pimforge_golden::tiki`]): the correlation-detection
//! experiment of aihwkit's example 26 ([`correlation`]). The host's update management is
//! [`crate::train::pulses`]; training the digits MLP on the tiles is [`crate::train`], and the
//! offset study [`crate::offsets`].

pub mod correlation;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A standard normal draw (Box-Muller).
pub fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
