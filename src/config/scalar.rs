//! How Go's yaml.v3 (v3.0.1, the version ddns-go links) writes one string, byte for byte, so a
//! file we save is the file ddns-go would have saved.
//!
//! Our reading of yaml.v3 (`encode.go` `stringv`, `resolve.go`, `emitterc.go`):
//!
//! 1. **Requested style** (`stringv`): a string containing `\n` asks for the *literal* block
//!    style; otherwise, if the string would read back as a string when written bare, *plain*;
//!    otherwise *double-quoted*. "Reads back as a string" means `resolve` gives `!!str` and it is
//!    neither a YAML 1.1 bool (`y`, `yes`, `on`, `off`, `N`, …) nor a base-60 float (`1:20`).
//!    `resolve` looks at the first byte: `+ - 0-9` may be an int (Go `ParseInt` base 0 after
//!    removing `_`: `123`, `0x1F`, `0o7`, `0b1`, `017`), a float (`1.5`, `1e3`, `-2.`), or a
//!    timestamp (`2024-01-02`, `2024-1-2 3:04:05`, `2024-01-02T03:04:05Z`); `.` may be a float
//!    (`.5`) or `.inf`/`.nan`; `y Y n N t T f F o O ~` are looked up in the map of `true`,
//!    `False`, `NULL`, `~`, …; the empty string is null. So `""`, `"true"`, `"123"`, `"~"` and
//!    `"yes"` come out **double-quoted**, not single-quoted.
//! 2. **Emitter analysis** (`yaml_emitter_analyze_scalar`) can only make the style stricter:
//!    * plain is refused for leading/trailing space, any line break, a tab, a non-printable
//!      character, a leading indicator (`# , [ ] { } & * ! | > ' " % @` and backquote; `? : -`
//!      only when followed by a blank or the end), `: ` or a trailing `:`, ` #`, and a leading
//!      `---` or `...`; it then falls back to *single-quoted* (`'@1'`, `'- x'`, `'a: b'`).
//!    * single quotes are refused for a tab, a non-printable character, or a space next to a
//!      line break; it then falls back to *double-quoted*.
//!    * the literal style is refused for trailing space, a space before a line break, or a
//!      non-printable character; double-quoted again.
//!
//!    "Printable" is yaml.v3's list: `\n`, 0x20–0x7E, U+00A0–U+D7FF, U+E000–U+FFFD except
//!    U+FEFF. Everything outside the Basic Multilingual Plane (emoji) is *not* printable, so a
//!    string with an emoji is double-quoted with `\U0001F63A` escapes — a known yaml.v3 quirk.
//! 3. **Writing**: no line folding (yaml.v3 sets an infinite width). Single quotes double `'`.
//!    Double quotes escape `\0 \a \b \t \n \v \f \r \e \" \\ \N \_ \L \P`, other non-printables
//!    as `\xHH`, `\uHHHH` or `\UHHHHHHHH` (upper-case hex); if the string *starts* with a BOM,
//!    yaml.v3 escapes every character (an upstream quirk we keep; it reads back the same).
//!    The literal header is `|`, then `4` if the text starts with a space or line break, then
//!    `-` if it does not end with a line break, `+` if it ends with two (or is just one), nothing
//!    for exactly one. Content lines are indented to the next multiple of 4 above the key
//!    (or 2 past a list's `-`); empty lines carry no spaces.
//!
//! Deliberate deviations, each only where yaml.v3's bytes would not read back (in yaml.v3 itself
//! or in libyaml) as the same string, so saving could corrupt the user's value; these strings
//! are double-quoted instead: (1) a string with U+2028/U+2029; (2) a literal block that needs
//! the `4` indentation hint where the hint would be wrong (a key indented by 6, a list item);
//! (3) a literal block whose first line starts with a tab (readers reject a tab where the
//! block's indentation is still being detected).

/// Where a scalar is written; decides the indentation of literal block content.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// Value of a mapping key written at this indentation.
    MapValue(usize),
    /// Item of a block list whose `-` is at this indentation.
    SeqItem(usize),
}

/// The chosen presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Appends ` value` (with the leading space) as yaml.v3 would after `key:` or `-`, including
/// the line break that ends it.
pub(crate) fn write_scalar(out: &mut String, s: &str, place: Place) {
    match style_for(s, place) {
        Style::Plain => {
            out.push(' ');
            out.push_str(s);
        }
        Style::Single => {
            out.push_str(" '");
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Style::Double => write_double(out, s),
        Style::Literal => {
            write_literal(out, s, place);
            return; // the literal writer ends its own last line
        }
    }
    out.push('\n');
}

/// The style yaml.v3 picks for `s` at `place` (with our two documented deviations).
pub(crate) fn style_for(s: &str, place: Place) -> Style {
    let a = analyze(s);
    let requested = if s.contains('\n') {
        Style::Literal
    } else if can_use_plain(s) {
        Style::Plain
    } else {
        Style::Double
    };
    let mut style = requested;
    if style == Style::Plain && !a.block_plain_allowed {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && !a.block_allowed {
        style = Style::Double;
    }
    // Deviation 1: yaml.v3 writes U+2028/U+2029 raw as line breaks, which do not read back.
    if s.contains(['\u{2028}', '\u{2029}']) {
        style = Style::Double;
    }
    // Deviation 3: a tab opening the first line is taken for indentation and refused.
    if style == Style::Literal && s.starts_with('\t') {
        style = Style::Double;
    }
    // Deviation 2: the `4` hint is relative to the parent's indentation, which only matches the
    // content indentation for keys at a multiple of 4.
    if style == Style::Literal && needs_indent_hint(s) {
        let hint_ok = matches!(place, Place::MapValue(k) if k % 4 == 0);
        if !hint_ok {
            style = Style::Double;
        }
    }
    style
}

fn needs_indent_hint(s: &str) -> bool {
    s.starts_with(' ') || s.chars().next().is_some_and(is_break)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

/// What yaml.v3's emitter analysis allows, for block context (no flow collections, no keys).
struct Analysis {
    block_plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_by_whitespace = matches!(next, None | Some(' ' | '\t'));
        let last = next.is_none();
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_whitespace = matches!(c, ' ' | '\t' | '\0') || is_break(c);
    }
    let edge = leading_space || leading_break || trailing_space || trailing_break;
    let mixed = break_space || space_break;
    Analysis {
        block_plain_allowed: !(edge || mixed || tabs || special || line_breaks || block_indicators),
        single_allowed: !(mixed || tabs || special),
        block_allowed: !(trailing_space || space_break || special),
    }
}

/// yaml.v3 `stringv`: written bare, would `s` read back as this same string?
fn can_use_plain(s: &str) -> bool {
    resolves_to_str(s) && !is_base60_float(s) && !is_old_bool(s)
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut i = 0;
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && i - start < 2 && b[i].is_ascii_digit() {
            i += 1;
        }
        // `[0-5]?[0-9]`: one digit, or two with the first at most 5.
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// yaml.v3 `resolve("", s)` gives `!!str`.
fn resolves_to_str(s: &str) -> bool {
    const MAP: &[&str] = &[
        "", "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", ".nan",
        ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF",
    ];
    let Some(&first) = s.as_bytes().first() else {
        return false; // empty is null
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            !MAP.contains(&s)
        }
        b'.' => !MAP.contains(&s) && go_float(s).is_none(),
        b'+' | b'-' | b'0'..=b'9' => {
            if MAP.contains(&s) || crate::config::scalar_time::is_go_timestamp(s) {
                return false;
            }
            let plain = s.replace('_', "");
            !(go_int(&plain) || (yaml_style_float(&plain) && go_float(&plain).is_some()))
        }
        _ => true,
    }
}

/// Go `ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds.
fn go_int(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b'+') => go_uint(&s[1..]).is_some_and(|u| u <= i64::MAX as u64),
        Some(b'-') => go_uint(&s[1..]).is_some_and(|u| u <= 1u64 << 63),
        _ => go_uint(s).is_some(),
    }
}

/// Go `ParseUint(s, 0, 64)`: `0x`/`0o`/`0b` prefixes (with at least one digit), a leading `0`
/// means octal, otherwise decimal.
fn go_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b[0] == b'0' && b.len() >= 3 && matches!(b[1], b'x' | b'X') {
        (16, &s[2..])
    } else if b[0] == b'0' && b.len() >= 3 && matches!(b[1], b'o' | b'O') {
        (8, &s[2..])
    } else if b[0] == b'0' && b.len() >= 3 && matches!(b[1], b'b' | b'B') {
        (2, &s[2..])
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() {
        return (radix == 8 && s == "0").then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i;
    if b.first() == Some(&b'.') {
        let n = digits(1);
        if n == 0 {
            return false;
        }
        i = 1 + n;
    } else {
        let n = digits(0);
        if n == 0 {
            return false;
        }
        i = n;
        if b.get(i) == Some(&b'.') {
            i += 1 + digits(i + 1);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// Go `ParseFloat(s, 64)` for decimal syntax: a finite value (Go reports overflow as an error).
fn go_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    // Rust also accepts "inf"/"nan"; Go does too, but they cannot reach here with a `.` or a
    // digit first, so refuse anything that is not digits, '.', and an exponent.
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn write_double(out: &mut String, s: &str) {
    // yaml.v3 checks for a BOM at the start of the value for every character (see module doc).
    let bom_start = s.starts_with('\u{FEFF}');
    out.push_str(" \"");
    for c in s.chars() {
        if !(bom_start || !is_printable(c) || is_break(c) || c == '"' || c == '\\') {
            out.push(c);
            continue;
        }
        out.push('\\');
        let short = match c {
            '\0' => Some('0'),
            '\u{7}' => Some('a'),
            '\u{8}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{b}' => Some('v'),
            '\u{c}' => Some('f'),
            '\r' => Some('r'),
            '\u{1b}' => Some('e'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{85}' => Some('N'),
            '\u{a0}' => Some('_'),
            '\u{2028}' => Some('L'),
            '\u{2029}' => Some('P'),
            _ => None,
        };
        match short {
            Some(e) => out.push(e),
            None => {
                let v = u32::from(c);
                let text = if v <= 0xFF {
                    format!("x{v:02X}")
                } else if v <= 0xFFFF {
                    format!("u{v:04X}")
                } else {
                    format!("U{v:08X}")
                };
                out.push_str(&text);
            }
        }
    }
    out.push('"');
}

fn write_literal(out: &mut String, s: &str, place: Place) {
    let indent = match place {
        Place::MapValue(k) => (k / 4 + 1) * 4,
        Place::SeqItem(dash) => dash + 2,
    };
    out.push_str(" |");
    if needs_indent_hint(s) {
        out.push('4');
    }
    let mut rev = s.chars().rev();
    match (rev.next(), rev.next()) {
        (Some(last), _) if !is_break(last) => out.push('-'),
        (Some(_), None) => out.push('+'),
        (Some(_), Some(before)) if is_break(before) => out.push('+'),
        _ => {}
    }
    out.push('\n');
    let pad = " ".repeat(indent);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    if !s.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_root(s: &str) -> String {
        let mut out = String::new();
        write_scalar(&mut out, s, Place::MapValue(0));
        out
    }

    #[test]
    fn plain_when_it_reads_back_as_the_same_string() {
        for s in [
            "home",
            "a b",
            "https://x/y?a=1&b=2",
            "a:b",
            "?a",
            ":a",
            "-a",
            "a-",
            "a#b",
            "中文",
            "a,b",
            "a[b]",
            "a{b}",
            "0b",
            "0x",
            "1.2.3",
            "+",
            "_1",
            "e1",
            "<<",
            "x'y",
            "é",
        ] {
            assert_eq!(at_root(s), format!(" {s}\n"), "{s:?}");
        }
    }

    #[test]
    fn double_quoted_when_it_would_read_back_as_another_type() {
        for s in [
            "",
            "true",
            "False",
            "NULL",
            "~",
            "null",
            "y",
            "yes",
            "On",
            "off",
            "N",
            "123",
            "-1",
            "+1",
            "0x1F",
            "0o17",
            "0b101",
            "017",
            "1_000",
            "1.5",
            "-2.",
            ".5",
            "1e3",
            "+1.5E-3",
            ".inf",
            "-.Inf",
            ".nan",
            "1:20",
            "-1:20:30.5",
            "2024-01-02",
            "2024-1-2",
            "2024-01-02 03:04:05",
            "2024-01-02T03:04:05Z",
            "2024-01-02t03:04:05.123+08:00",
            "18446744073709551615",
            "-9223372036854775808",
            "1_",
        ] {
            assert_eq!(at_root(s), format!(" \"{s}\"\n"), "{s:?}");
        }
    }

    #[test]
    fn near_misses_stay_plain() {
        // Not an int, float, timestamp, base-60 float or bool once Go's rules are applied.
        for s in [
            "1e400",
            "089_x",
            "2024-13-01",
            "2024-02-30",
            "2024-01-02T03:04:05",
            "1:60",
            "yess",
            "nil",
            ".",
            ".e1",
            "-0xFFFFFFFFFFFFFFFFF",
            "0x_",
            "12:3a",
        ] {
            assert_eq!(at_root(s), format!(" {s}\n"), "{s:?}");
        }
        // Leading-zero decimals are octal to Go and fail, but still match the float rule.
        assert_eq!(at_root("089"), " \"089\"\n");
    }

    #[test]
    fn single_quoted_for_indicators_and_edge_spaces() {
        for (s, want) in [
            ("@1", "'@1'"),
            ("-", "'-'"),
            ("- a", "'- a'"),
            ("?", "'?'"),
            (": a", "': a'"),
            ("a: b", "'a: b'"),
            ("a:", "'a:'"),
            ("1:", "'1:'"),
            ("a #b", "'a #b'"),
            ("#x", "'#x'"),
            ("*x", "'*x'"),
            ("&x", "'&x'"),
            ("!x", "'!x'"),
            ("%x", "'%x'"),
            ("|x", "'|x'"),
            (">x", "'>x'"),
            ("'x", "'''x'"),
            ("\"x", "'\"x'"),
            ("[x", "'[x'"),
            ("{x", "'{x'"),
            (",x", "',x'"),
            ("`x", "'`x'"),
            (" x", "' x'"),
            ("x ", "'x '"),
            ("---x", "'---x'"),
            ("...", "'...'"),
            ("it's: ok", "'it''s: ok'"),
        ] {
            assert_eq!(at_root(s), format!(" {want}\n"), "{s:?}");
        }
    }

    #[test]
    fn double_quoted_with_escapes_for_control_and_astral_characters() {
        for (s, want) in [
            ("a\tb", r#""a\tb""#),
            ("a\rb", r#""a\rb""#),
            ("\u{1}", r#""\x01""#),
            ("\u{7f}", r#""\x7F""#),
            ("\u{85}x", r#""\Nx""#),
            ("😺.com", r#""\U0001F63A.com""#),
            ("a\u{2028}b", r#""a\Lb""#),
            ("\u{feff}a\u{a0}", r#""\uFEFF\x61\_""#),
            ("x\u{fffe}", r#""x\uFFFE""#),
            ("say \"hi\"\t", r#""say \"hi\"\t""#),
            ("back\\slash\t", r#""back\\slash\t""#),
        ] {
            assert_eq!(at_root(s), format!(" {want}\n"), "{s:?}");
        }
    }

    #[test]
    fn literal_blocks_with_chomping_and_indentation() {
        assert_eq!(at_root("a\nb"), " |-\n    a\n    b\n");
        assert_eq!(at_root("a\n"), " |\n    a\n");
        assert_eq!(at_root("a\n\n"), " |+\n    a\n\n");
        assert_eq!(at_root("\n"), " |4+\n\n");
        assert_eq!(at_root(" a\nb"), " |4-\n     a\n    b\n");
        assert_eq!(at_root("a\n\n b\tc"), " |-\n    a\n\n     b\tc\n");
        let json = "{\n  \"ip\": \"#{ipv4Addr}\"\n}";
        let mut out = String::new();
        write_scalar(&mut out, json, Place::MapValue(4));
        assert_eq!(
            out,
            " |-\n        {\n          \"ip\": \"#{ipv4Addr}\"\n        }\n"
        );
        let mut out = String::new();
        write_scalar(&mut out, "a\nb", Place::MapValue(6));
        assert_eq!(out, " |-\n        a\n        b\n");
        let mut out = String::new();
        write_scalar(&mut out, "a\nb", Place::SeqItem(12));
        assert_eq!(out, " |-\n              a\n              b\n");
    }

    #[test]
    fn multi_line_falls_back_to_double_quotes() {
        assert_eq!(at_root("a \nb"), r#" "a \nb""#.to_string() + "\n");
        assert_eq!(at_root("a\nb "), r#" "a\nb ""#.to_string() + "\n");
        assert_eq!(at_root("a\r\nb"), r#" "a\r\nb""#.to_string() + "\n");
        assert_eq!(at_root("a\n😺"), r#" "a\n\U0001F63A""#.to_string() + "\n");
        // Deviation 3: a leading tab would be read as indentation.
        assert_eq!(at_root("\tx\ny"), r#" "\tx\ny""#.to_string() + "\n");
        assert_eq!(at_root("x\n\ty"), " |-\n    x\n    \ty\n");
        // Deviation 2: the indentation hint would be wrong here.
        let mut out = String::new();
        write_scalar(&mut out, " a\nb", Place::MapValue(6));
        assert_eq!(out, " \" a\\nb\"\n");
    }
}
