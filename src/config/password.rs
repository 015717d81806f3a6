//! Password strength, as ddns-go judges it (its `CheckPassword`, built on
//! `wagslane/go-password-validator` v0.3.0), so a password ddns-go accepts is accepted here and
//! one it refuses is refused, for `-resetPassword` and the web setup alike.
//!
//! The score is an "entropy" in bits: `length × log2(base)`.
//! * `base` adds up the size of every character class the password uses (lowercase 26,
//!   uppercase 26, digits 10, `!@$&*` 5, `_-., ` 5, the other 22 ASCII punctuation marks 22) plus
//!   1 for each distinct character outside those classes (backtick, `é`, `日`, ...).
//! * `length` is the UTF-8 byte length after two reductions: runs of 3+ identical characters
//!   keep only 2, then each of five sequences (digits, the three keyboard rows, the alphabet;
//!   forwards, then all five backwards) is thinned by the library's scan, see [`thin_sequence`].
//!
//! The scan has quirks (it skips a character after each match, keeps its match counter from one
//! start position to the next, and the passes run in a fixed order), and they change results, so
//! they are reproduced rather than "fixed". ddns-go requires 30 bits, or 25 when WAN access is
//! forbidden. We add two hard limits ddns-go enforces elsewhere: not empty, and at most 72 bytes
//! (bcrypt ignores anything beyond, and Go's bcrypt refuses such a password).

use std::collections::BTreeSet;

/// Bits ddns-go requires when the web UI may be reachable from the internet.
pub const MIN_BITS: f64 = 30.0;
/// Bits ddns-go requires when `notallowwanaccess` is true (LAN-only web UI).
pub const MIN_BITS_LAN_ONLY: f64 = 25.0;
/// bcrypt only hashes the first 72 bytes; Go's bcrypt rejects longer passwords outright.
pub const MAX_BYTES: usize = 72;

/// Why a password cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeakPassword {
    /// The password is the empty string.
    #[error("The password cannot be empty")]
    Empty,
    /// Longer than bcrypt can hash.
    #[error(
        "The password is {len} bytes long, but at most {MAX_BYTES} bytes are allowed (the bcrypt \
         limit; non-ASCII characters take 2 to 4 bytes). Use a shorter password"
    )]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// Scores under the required entropy; the first sentence is ddns-go's message verbatim.
    #[error(
        "Password is not secure! Try using a more complex password (it scores {:.1} of the {} \
         bits needed: make it longer, avoid runs like aaa, 123 or qwe, and mix lowercase, \
         uppercase, digits and symbols)",
        floor_tenth(*bits), required
    )]
    TooSimple {
        /// The password's entropy.
        bits: f64,
        /// The minimum that applies.
        required: f64,
    },
}

/// Rounds down to one decimal, so a score just under the bar never prints as equal to it.
fn floor_tenth(x: f64) -> f64 {
    (x * 10.0).floor() / 10.0
}

/// The minimum entropy ddns-go demands, given the config's effective `notallowwanaccess`.
pub fn required_bits(not_allow_wan_access: bool) -> f64 {
    if not_allow_wan_access {
        MIN_BITS_LAN_ONLY
    } else {
        MIN_BITS
    }
}

/// Accepts the password exactly when ddns-go would, or explains why not.
pub fn check_strength(password: &str, not_allow_wan_access: bool) -> Result<(), WeakPassword> {
    if password.is_empty() {
        return Err(WeakPassword::Empty);
    }
    if password.len() > MAX_BYTES {
        return Err(WeakPassword::TooLong {
            len: password.len(),
        });
    }
    let required = required_bits(not_allow_wan_access);
    let bits = entropy(password);
    // The library compares with `>=`: exactly 30.0 bits passes.
    if bits >= required {
        Ok(())
    } else {
        Err(WeakPassword::TooSimple { bits, required })
    }
}

/// go-password-validator's entropy of `password`, in bits.
pub fn entropy(password: &str) -> f64 {
    let per_char = (base(password) as f64).log2();
    // The library adds log2(base) once per counted byte rather than multiplying; summing keeps
    // the same floating-point result. (An empty password has base 0, but then nothing is added.)
    // Go's math.Log2 and Rust's may differ in the last bit, which cannot move a result across the
    // 25 or 30 bit bars: a non-power-of-two base^length is never within 1e-9 bits of 2^25 or 2^30.
    (0..effective_length(password)).fold(0.0, |sum, _| sum + per_char)
}

/// The character classes, each counted once if any character of it appears. The three
/// punctuation sets together are the 32 printable ASCII symbols except the backtick (a Go raw
/// string cannot hold one), so a backtick counts as an "other" character.
const CLASSES: [&str; 6] = [
    "!@$&*",
    "_-., ",
    "\"#%'()+/:;<=>?[\\]^{|}~",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
];

/// The size of the alphabet an attacker would have to try: used classes plus other characters.
fn base(password: &str) -> usize {
    let distinct: BTreeSet<char> = password.chars().collect();
    let mut used = [false; CLASSES.len()];
    let mut others = 0;
    for c in distinct {
        match CLASSES.iter().position(|class| class.contains(c)) {
            Some(k) => used[k] = true,
            None => others += 1,
        }
    }
    let classes: usize = CLASSES
        .iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|(class, _)| class.len())
        .sum();
    classes + others
}

/// The predictable sequences, thinned in this order, then all reversed in the same order.
const SEQUENCES: [&str; 5] = [
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
];

/// The length the library counts: bytes left after removing repeats and sequence tails.
fn effective_length(password: &str) -> usize {
    let mut chars = collapse_runs(password);
    for seq in SEQUENCES {
        thin_sequence(&mut chars, &seq.chars().collect::<Vec<_>>());
    }
    for seq in SEQUENCES {
        thin_sequence(&mut chars, &seq.chars().rev().collect::<Vec<_>>());
    }
    chars.iter().map(|c| c.len_utf8()).sum()
}

/// Drops every character equal to the two characters before it, so runs keep 2. The "two
/// before" start out as NUL, so NULs at the very start of the password are all dropped.
fn collapse_runs(password: &str) -> Vec<char> {
    let (mut prev2, mut prev1) = ('\0', '\0');
    let mut kept = Vec::with_capacity(password.len());
    for c in password.chars() {
        if !(c == prev1 && c == prev2) {
            kept.push(c);
        }
        (prev2, prev1) = (prev1, c);
    }
    kept
}

/// The library's sequence scan, step for step. For each start position `i` it walks once
/// through `seq`: when `chars[i]` equals the current sequence character the match counter
/// grows, and the character is deleted if the counter is now above 2 (the next one slides into
/// `i`), otherwise `i` moves on; when it differs the counter resets and only the walk through
/// `seq` moves on. After the walk `i` moves on once more (skipping a character), and the counter
/// is *not* reset, so a match at the end of `seq` carries over to the next start position.
fn thin_sequence(chars: &mut Vec<char>, seq: &[char]) {
    let mut matches = 0usize;
    let mut i = 0;
    while i < chars.len() {
        for &expected in seq {
            let Some(&c) = chars.get(i) else { break };
            if c != expected {
                matches = 0;
                continue;
            }
            matches += 1;
            if matches > 2 {
                chars.remove(i);
            } else {
                i += 1;
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG2_10: f64 = std::f64::consts::LOG2_10;
    const LOG2_26: f64 = 4.700_439_718_141_092;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn len(p: &str) -> usize {
        effective_length(p)
    }

    #[test]
    fn the_readme_example_123456_is_two_digits() {
        // Digits pass: '1' matches seq[1], '2' seq[2] (2 matches), then '3','4','5','6' are the
        // 3rd..6th consecutive matches and are deleted. Left "12": 2 bytes, base 10.
        assert_eq!(len("123456"), 2);
        assert_eq!(base("123456"), 10);
        assert!(close(entropy("123456"), 2.0 * LOG2_10)); // ≈ 6.64
        assert!(matches!(
            check_strength("123456", true),
            Err(WeakPassword::TooSimple { .. })
        ));
    }

    #[test]
    fn each_class_adds_its_size_once() {
        assert_eq!(base("abc"), 26);
        assert_eq!(base("QWERTYUI"), 26);
        assert_eq!(base("0"), 10);
        assert_eq!(base("!@$&*"), 5);
        assert_eq!(base("_-., "), 5);
        // The third punctuation set has 22 members (not 24), all ASCII.
        assert_eq!(base("\"#%'()+/:;<=>?[\\]^{|}~"), 22);
        // A backtick is no class member: +1, like any other character.
        assert_eq!(base("a`b"), 27);
        assert_eq!(base("!_#aA0"), 5 + 5 + 22 + 26 + 26 + 10);
        // Distinct others count once each: é twice is still +1.
        assert_eq!(base("éé日"), 2);
    }

    #[test]
    fn worked_examples_per_class() {
        // Upper case is never thinned (sequences are lower case): 8 × log2(26) ≈ 37.60.
        assert_eq!(len("QWERTYUI"), 8);
        assert!(close(entropy("QWERTYUI"), 8.0 * LOG2_26));
        // "!@$&*": 5 bytes, base 5: 5 × log2(5) ≈ 11.61.
        assert!(close(entropy("!@$&*"), 5.0 * 5f64.log2()));
        // "_-., " (with a space): 5 bytes, base 5.
        assert!(close(entropy("_-., "), 5.0 * 5f64.log2()));
        // "#%(": 3 bytes, base 22: ≈ 13.38.
        assert!(close(entropy("#%("), 3.0 * 22f64.log2()));
        // "password": no three consecutive sequence characters, so 8 bytes, base 26 ≈ 37.60:
        // ddns-go accepts it, and so must we.
        assert_eq!(len("password"), 8);
        assert!(check_strength("password", false).is_ok());
        // "hello": 5 × log2(26) ≈ 23.50, refused even LAN-only.
        assert!(close(entropy("hello"), 5.0 * LOG2_26));
        assert!(check_strength("hello", true).is_err());
    }

    #[test]
    fn runs_of_three_or_more_keep_two() {
        // "aaaa" -> "aa": 2 × log2(26) ≈ 9.40.
        assert_eq!(collapse_runs("aaaa"), vec!['a', 'a']);
        assert!(close(entropy("aaaa"), 2.0 * LOG2_26));
        // "xxxxYYYY" -> "xxYY": 4 bytes, base 26 + 26 = 52: 4 × log2(52) ≈ 22.80.
        assert_eq!(len("xxxxYYYY"), 4);
        assert!(close(entropy("xxxxYYYY"), 4.0 * 52f64.log2()));
        // Runs are about adjacency only: "abab" keeps all four.
        assert_eq!(collapse_runs("abab").len(), 4);
        // Multibyte runs: "éééa" -> "ééa" = 2 + 2 + 1 bytes; base 26 + 1: 5 × log2(27) ≈ 23.77.
        assert_eq!(len("éééa"), 5);
        assert!(close(entropy("éééa"), 5.0 * 27f64.log2()));
    }

    #[test]
    fn each_sequence_and_its_reverse_keeps_two() {
        // Forward passes thin the forward spellings; the reversed passes, later, the reversed
        // ones (the forward passes only ever see isolated pairs in those). All lower case, so
        // each leaves 2 bytes.
        for (password, left) in [
            ("0123456789", "01"),
            ("9876543210", "98"),
            ("qwertyuiop", "qw"),
            ("poiuytrewq", "po"),
            ("asdfghjkl", "as"),
            ("lkjhgfdsa", "lk"),
            ("zxcvbnm", "zx"),
            ("mnbvcxz", "mn"),
            ("abcdef", "ab"),
            ("fedcba", "fe"),
        ] {
            let mut chars = collapse_runs(password);
            for seq in SEQUENCES {
                thin_sequence(&mut chars, &seq.chars().collect::<Vec<_>>());
            }
            for seq in SEQUENCES {
                thin_sequence(&mut chars, &seq.chars().rev().collect::<Vec<_>>());
            }
            assert_eq!(chars.iter().collect::<String>(), left, "{password}");
        }
        // 2 × log2(26) ≈ 9.40 for the letter ones.
        assert!(close(entropy("qwertyuiop"), 2.0 * LOG2_26));
    }

    #[test]
    fn the_scan_quirks_are_reproduced() {
        // Skip after a run: "123123" -> after "12", '3' is deleted, the walk goes on to the end
        // of the digits without another match; then `i` steps over the second '1', and the next
        // start ('2') matches "23" only: "12123", 5 bytes: 5 × log2(10) ≈ 16.61.
        assert_eq!(len("123123"), 5);
        assert!(close(entropy("123123"), 5.0 * LOG2_10));
        // Counter carried over: "89x01" matches "89" at the end of the digits (2 matches), `i`
        // steps over 'x', the next walk starts at '0' with the counter still 2, so '0' and then
        // '1' are deleted: "89x", base 10 + 26: 3 × log2(36) ≈ 15.51.
        assert_eq!(len("89x01"), 3);
        assert!(close(entropy("89x01"), 3.0 * 36f64.log2()));
        // Order dependence: the home-row pass runs before the alphabet pass and deletes 'h'
        // (after "fg") and 'l' (after "jk"); the alphabet pass then keeps "ab", "ij", "mn" and
        // deletes the rest: "abijmn", 6 × log2(26) ≈ 28.20 (enough LAN-only, not for WAN).
        let mut chars = collapse_runs("abcdefghijklmnopqrstuvwxyz");
        thin_sequence(&mut chars, &"asdfghjkl".chars().collect::<Vec<_>>());
        assert!(!chars.contains(&'h') && !chars.contains(&'l'));
        assert_eq!(len("abcdefghijklmnopqrstuvwxyz"), 6);
        assert!(check_strength("abcdefghijklmnopqrstuvwxyz", true).is_ok());
        assert!(check_strength("abcdefghijklmnopqrstuvwxyz", false).is_err());
        // Leading NULs are dropped (the "two before" start as NUL): "\0a" counts 1 byte, base
        // 26 + 1: log2(27).
        assert_eq!(len("\0a"), 1);
        assert!(close(entropy("\0a"), 27f64.log2()));
    }

    #[test]
    fn unicode_counts_bytes_and_distinct_characters() {
        // "пароль": 6 distinct Cyrillic letters (base 6), 12 bytes: 12 × log2(6) ≈ 31.02,
        // which passes even the 30-bit bar.
        assert_eq!(len("пароль"), 12);
        assert!(close(entropy("пароль"), 12.0 * 6f64.log2()));
        assert!(check_strength("пароль", false).is_ok());
        // "日本語": 9 bytes, base 3: 9 × log2(3) ≈ 14.26.
        assert!(close(entropy("日本語"), 9.0 * 3f64.log2()));
        // "Pass日本": upper + lower + 2 others = 54; 4 + 6 = 10 bytes: 10 × log2(54) ≈ 57.55.
        assert_eq!(base("Pass日本"), 54);
        assert!(close(entropy("Pass日本"), 10.0 * 54f64.log2()));
    }

    #[test]
    fn thresholds_at_the_boundary() {
        // Base 32 = lower 26 + separators 5 + backtick 1, and log2(32) = 5 exactly. No two
        // letters are adjacent, so nothing is thinned.
        assert!(close(entropy("a.b`c-"), 30.0)); // 6 × 5
        assert!(close(entropy("a.b`c"), 25.0)); // 5 × 5
        assert!(check_strength("a.b`c-", false).is_ok()); // exactly 30 passes
        assert!(check_strength("a.b`c", true).is_ok()); // exactly 25 passes LAN-only
        assert_eq!(
            check_strength("a.b`c", false),
            Err(WeakPassword::TooSimple {
                bits: 25.0,
                required: 30.0
            })
        );
        // Base 31 (no backtick): 6 × log2(31) ≈ 29.73 < 30; 5 × log2(31) ≈ 24.77 < 25.
        assert!(check_strength("a.b-c_", false).is_err());
        assert!(check_strength("a.b-c_", true).is_ok());
        assert!(check_strength("a.b-c", true).is_err());
        assert_eq!(required_bits(true), 25.0);
        assert_eq!(required_bits(false), 30.0);
    }

    #[test]
    fn empty_and_over_long_passwords_are_refused() {
        assert_eq!(check_strength("", true), Err(WeakPassword::Empty));
        assert_eq!(entropy(""), 0.0);
        let long = "Tr0ub4dor&3-".repeat(6); // 72 bytes: allowed
        assert_eq!(long.len(), 72);
        assert!(check_strength(&long, false).is_ok());
        let longer = format!("{long}x");
        assert_eq!(
            check_strength(&longer, false),
            Err(WeakPassword::TooLong { len: 73 })
        );
        // Bytes, not characters: 37 × "é" is 74 bytes.
        assert_eq!(
            check_strength(&"é".repeat(37), false),
            Err(WeakPassword::TooLong { len: 74 })
        );
    }

    #[test]
    fn the_message_starts_with_ddns_go_text_and_never_rounds_up_to_the_bar() {
        let err = check_strength("a.b-c_", false).unwrap_err().to_string();
        assert!(
            err.starts_with("Password is not secure! Try using a more complex password"),
            "{err}"
        );
        // 29.73 prints as 29.7, not 30.0.
        assert!(err.contains("29.7 of the 30 bits"), "{err}");
        assert_eq!(floor_tenth(29.99), 29.9);
    }
}
