//! java.util.UUID values, shared by the compiler (the reader's `#uuid`
//! literals) and the stub runtime: the 128 bits as the JVM keeps them (most
//! and least significant halves), their canonical text, and the JVM's hash
//! and order, which `hash`, `compare` and sorted collections of UUIDs
//! depend on.

/// A UUID's two 64-bit halves, as java.util.UUID holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uuid {
    pub most: u64,
    pub least: u64,
}

impl Uuid {
    /// The canonical form `8-4-4-4-12` hex digits, either case. Clojure on
    /// the JVM also takes shortened groups ("0-0-0-0-0"); jankwasm, like jank
    /// and ClojureScript, refuses them (README, "clojure.core").
    pub fn parse(text: &str) -> Option<Uuid> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let mut bits: u128 = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if byte != b'-' {
                    return None;
                }
                continue;
            }
            let digit = char::from(byte).to_digit(16)?;
            bits = (bits << 4) | u128::from(digit);
        }
        Some(Uuid {
            most: (bits >> 64) as u64,
            least: bits as u64,
        })
    }

    /// A version 4 (random) UUID from 128 random bits.
    pub fn random(most: u64, least: u64) -> Uuid {
        Uuid {
            most: (most & !0xf000) | 0x4000,
            least: (least & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000,
        }
    }

    /// Lower-case canonical text, as UUID.toString.
    pub fn text(self) -> String {
        let bits = (u128::from(self.most) << 64) | u128::from(self.least);
        let hex = format!("{bits:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    /// UUID.hashCode, which Clojure's `hash` uses for a UUID.
    pub fn hash_code(self) -> i32 {
        let hilo = self.most ^ self.least;
        ((hilo >> 32) as i32) ^ (hilo as i32)
    }

    /// UUID.compareTo: the halves as signed longs, most significant first.
    pub fn compare(self, other: Uuid) -> std::cmp::Ordering {
        (self.most as i64, self.least as i64).cmp(&(other.most as i64, other.least as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::Uuid;

    #[test]
    fn canonical_text_round_trips_and_other_shapes_are_refused() {
        let text = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        let uuid = Uuid::parse(text).expect("canonical");
        assert_eq!(uuid.text(), text);
        assert_eq!(
            Uuid::parse("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6").map(Uuid::text),
            Some(text.to_string())
        );
        for bad in [
            "",
            "0-0-0-0-0",
            "f81d4fae-7dec-11d0-a765-00a0c91e6bf",
            "f81d4fae_7dec-11d0-a765-00a0c91e6bf6",
            "g81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        ] {
            assert!(Uuid::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hash_and_order_are_the_jvms() {
        // (hash #uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6") on Clojure 1.11.
        let uuid = Uuid::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6").expect("canonical");
        assert_eq!(uuid.hash_code(), -343_263_960);
        // Signed halves: 8... sorts before 0... as on the JVM.
        let high = Uuid::parse("80000000-0000-0000-0000-000000000000").expect("canonical");
        let low = Uuid::parse("00000000-0000-0000-0000-000000000000").expect("canonical");
        assert_eq!(high.compare(low), std::cmp::Ordering::Less);
    }

    #[test]
    fn random_uuids_are_version_4() {
        let uuid = Uuid::random(u64::MAX, 0);
        assert_eq!(&uuid.text()[14..15], "4");
        assert_eq!(&uuid.text()[19..20], "8");
    }
}
