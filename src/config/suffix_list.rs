//! The registrable domain ("eTLD+1") of a host name by the Public Suffix List, for splitting
//! domain lines into sub-domain and zone like ddns-go's `EffectiveTLDPlusOne`.
//!
//! The list is embedded as sorted text (`data/psl/rules.txt`, about 150 KB) and searched in
//! place with a binary search. The `psl` crate compiles the same list into a `match` tree of
//! about 650 KiB of machine code; a table lookup is a fraction of that size, touches only a few
//! pages per lookup, and is only used when a config is loaded or saved.

use std::cmp::Ordering;

/// The rules, one a line, sorted by bytes: `suffix`, `*.suffix` (wildcard) and `!suffix`
/// (exception), each Unicode rule also in its punycode (`xn--`) form.
static RULES: &str = include_str!("../../data/psl/rules.txt");

/// Whether `rule` is a line of `RULES`: a binary search over byte offsets that backs up to the
/// start of the line it lands in, so the table needs no index.
fn has_rule(rule: &str) -> bool {
    let b = RULES.as_bytes();
    let key = rule.as_bytes();
    // Invariant: `lo` and `hi` are line starts (or the end); the line sought is in [lo, hi).
    let (mut lo, mut hi) = (0usize, b.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = b[lo..mid]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(lo, |p| lo + p + 1);
        let end = b[start..hi]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(hi, |p| start + p);
        match b[start..end].cmp(key) {
            Ordering::Equal => return true,
            Ordering::Less => lo = end + 1,
            Ordering::Greater => hi = start,
        }
    }
    false
}

/// The number of trailing labels of `labels` (the name split at dots) that form its public
/// suffix: the longest matching rule, a wildcard covering one more label, an exception taking
/// one label off; a name matching no rule has its last label as suffix (the rule `*`).
fn suffix_labels(labels: &[&str]) -> usize {
    let n = labels.len();
    let mut best = 1;
    for k in 1..=n {
        let suffix = labels[n - k..].join(".");
        if has_rule(&format!("!{suffix}")) {
            // An exception wins over every other rule: its suffix is the rule minus one label.
            return k - 1;
        }
        if has_rule(&suffix) {
            best = k;
        }
        if k < n && has_rule(&format!("*.{suffix}")) {
            best = k + 1;
        }
    }
    best
}

/// The registrable domain of `name` (the public suffix plus one label), a suffix of `name`;
/// `None` when `name` is itself a public suffix or has an empty label.
pub fn domain_str(name: &str) -> Option<&str> {
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    let k = suffix_labels(&labels) + 1;
    if k > labels.len() {
        return None;
    }
    let len: usize = labels[labels.len() - k..]
        .iter()
        .map(|l| l.len())
        .sum::<usize>()
        + k
        - 1;
    name.get(name.len() - len..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_sorted_unique_and_clean() {
        let lines: Vec<&str> = RULES.lines().collect();
        assert!(lines.len() > 5000, "list looks truncated: {}", lines.len());
        for w in lines.windows(2) {
            assert!(
                w[0].as_bytes() < w[1].as_bytes(),
                "{:?} !< {:?}",
                w[0],
                w[1]
            );
        }
        for l in &lines {
            assert!(
                !l.is_empty() && !l.starts_with("//") && l.trim() == *l,
                "{l:?}"
            );
        }
        assert!(RULES.ends_with('\n'));
    }

    #[test]
    fn every_rule_is_found_and_neighbours_are_not() {
        for l in RULES.lines() {
            assert!(has_rule(l), "{l}");
            // `~` sorts after every rule character and is in no rule.
            assert!(!has_rule(&format!("{l}~")), "{l}~");
            assert!(!has_rule(&format!("~{l}")), "~{l}");
        }
        assert!(!has_rule(""));
        assert!(!has_rule("\u{10ffff}"));
    }

    #[test]
    fn standard_cases() {
        assert_eq!(domain_str("www.example.com"), Some("example.com"));
        assert_eq!(domain_str("example.com"), Some("example.com"));
        assert_eq!(domain_str("com"), None);
        assert_eq!(domain_str("a.b.example.co.uk"), Some("example.co.uk"));
        assert_eq!(domain_str("co.uk"), None);
        // No rule: the last label is the suffix.
        assert_eq!(domain_str("x.y.notatld"), Some("y.notatld"));
        // Wildcard `*.ck` and exception `!www.ck`.
        assert_eq!(domain_str("a.b.ck"), Some("a.b.ck"));
        assert_eq!(domain_str("b.ck"), None);
        assert_eq!(domain_str("a.www.ck"), Some("www.ck"));
        // Unicode rule and its punycode form.
        assert_eq!(domain_str("a.b.公司.cn"), Some("b.公司.cn"));
        assert_eq!(domain_str("a.b.xn--55qx5d.cn"), Some("b.xn--55qx5d.cn"));
        assert_eq!(domain_str("a..com"), None);
        // `*.futurecms.at` covers `ex.futurecms.at` even though `*.ex.futurecms.at` is a rule
        // too: the name is a public suffix, as in Go's publicsuffix package.
        assert_eq!(domain_str("ex.futurecms.at"), None);
        assert_eq!(domain_str("a.ex.futurecms.at"), None);
        assert_eq!(
            domain_str("b.a.ex.futurecms.at"),
            Some("b.a.ex.futurecms.at")
        );
        assert_eq!(domain_str("x.futurecms.at"), None);
        assert_eq!(domain_str("y.x.futurecms.at"), Some("y.x.futurecms.at"));
        assert_eq!(domain_str(""), None);
    }

    /// The same answers as the `psl` crate (same list snapshot), which this module replaces:
    /// every rule, and names up to three labels below it. The one known difference: psl stops
    /// applying a wildcard `*.P` when the next label has rules of its own (`ex.futurecms.at`
    /// under `*.futurecms.at` and `*.ex.futurecms.at`); the PSL algorithm and Go's
    /// `EffectiveTLDPlusOne` (what ddns-go uses) apply it, and so does this module.
    #[test]
    fn agrees_with_the_psl_crate() {
        let mut names = vec!["com".to_string(), "notatld".to_string(), "a.notatld".into()];
        for l in RULES.lines() {
            let base = l.trim_start_matches('!').trim_start_matches("*.");
            for n in [
                base.to_string(),
                format!("x.{base}"),
                format!("y.x.{base}"),
                format!("z.y.x.{base}"),
            ] {
                names.push(n);
            }
        }
        let mut wrong = Vec::new();
        for n in &names {
            let ours = domain_str(n);
            let theirs = psl::domain_str(n);
            let parent_wildcard = n
                .split_once('.')
                .is_some_and(|(_, parent)| has_rule(&format!("*.{parent}")));
            if ours != theirs && !(ours.is_none() && parent_wildcard) {
                wrong.push(format!("{n}: ours {ours:?}, psl {theirs:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} differ: {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(20)]
        );
    }
}
