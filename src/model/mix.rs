//! Bit mixing for seeds, below both the simulation ([`super::sim`]) and routing
//! ([`super::routing`]), which derive seeds and client identities with it.

/// SplitMix64's finaliser: a bijective mix of 64 bits, used to derive seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
