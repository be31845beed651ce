//! Count vectors indexed by an enum of counted things (cost events, solver events, digital
//! operations): one definition of the type and its arithmetic.

/// Defines `pub struct $name(pub [u64; $n])`, indexed by `$key` (a fieldless enum whose
/// discriminants are `0..$n`), with `Default`, `+=`, `times(k)` and `iter()` over `$key::ALL`.
#[macro_export]
macro_rules! counts {
    ($(#[$doc:meta])* $name:ident, $key:ty, $n:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name(pub [u64; $n]);

        impl std::ops::Index<$key> for $name {
            type Output = u64;
            fn index(&self, k: $key) -> &u64 {
                &self.0[k as usize]
            }
        }

        impl std::ops::IndexMut<$key> for $name {
            fn index_mut(&mut self, k: $key) -> &mut u64 {
                &mut self.0[k as usize]
            }
        }

        impl std::ops::AddAssign for $name {
            fn add_assign(&mut self, o: $name) {
                for (a, b) in self.0.iter_mut().zip(o.0) {
                    *a += b;
                }
            }
        }

        impl $name {
            /// Every count times `k`.
            pub fn times(mut self, k: u64) -> Self {
                self.0.iter_mut().for_each(|c| *c *= k);
                self
            }

            /// `(key, count)` for every key, in index order.
            pub fn iter(&self) -> impl Iterator<Item = ($key, u64)> + '_ {
                <$key>::ALL.into_iter().map(|k| (k, self[k]))
            }
        }
    };
}
