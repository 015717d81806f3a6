//! The timestamp check of Go yaml.v3's `resolve`: a bare scalar that Go's `time.Parse` accepts
//! in one of yaml.v3's four layouts reads back as a timestamp, so such strings must be quoted.
//!
//! Layouts: `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`,
//! `2006-1-2`. Go's rules: a 4-digit year, then 1–2 digit month (1–12), day (valid for the
//! month), hour (0–23), minute and second (0–59); an optional fraction after `.` or `,`; a zone
//! of `Z` or `±hh:mm` (hour ≤ 24, minute ≤ 60); nothing left over.

/// Whether `s` would be read by yaml.v3 as a timestamp when written bare.
pub(crate) fn is_go_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    // yaml.v3's quick check: exactly four digits, then '-'.
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = Cursor { b, i: 5 };
    let year: u32 = b[..4].iter().fold(0, |a, d| a * 10 + u32::from(d - b'0'));
    let Some(month) = p.num(false) else {
        return false;
    };
    if !(1..=12).contains(&month) || !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.num(false) else {
        return false;
    };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.done() {
        return true;
    }
    let zoned = match b[p.i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    p.i += 1;
    if !p.clock() {
        return false;
    }
    if zoned && !p.zone() {
        return false;
    }
    p.done()
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digit(&self, at: usize) -> Option<u32> {
        self.b
            .get(at)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    }

    /// Go `getnum`: one or two digits (exactly two when `fixed`).
    fn num(&mut self, fixed: bool) -> Option<u32> {
        let first = self.digit(self.i)?;
        match self.digit(self.i + 1) {
            Some(second) => {
                self.i += 2;
                Some(first * 10 + second)
            }
            None if fixed => None,
            None => {
                self.i += 1;
                Some(first)
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let ok = self.b.get(self.i) == Some(&c);
        self.i += usize::from(ok);
        ok
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }

    /// `15:4:5` and an optional `.999999999` fraction.
    fn clock(&mut self) -> bool {
        let Some(hour) = self.num(false) else {
            return false;
        };
        if hour >= 24 || !self.eat(b':') {
            return false;
        }
        let Some(min) = self.num(false) else {
            return false;
        };
        if min >= 60 || !self.eat(b':') {
            return false;
        }
        let Some(sec) = self.num(false) else {
            return false;
        };
        if sec >= 60 {
            return false;
        }
        if matches!(self.b.get(self.i), Some(b'.' | b',')) && self.digit(self.i + 1).is_some() {
            self.i += 1;
            while self.digit(self.i).is_some() {
                self.i += 1;
            }
        }
        true
    }

    /// `Z07:00`: `Z`, or a sign, two-digit hour, `:`, two-digit minute.
    fn zone(&mut self) -> bool {
        if self.eat(b'Z') {
            return true;
        }
        if !matches!(self.b.get(self.i), Some(b'+' | b'-')) {
            return false;
        }
        self.i += 1;
        let Some(hour) = self.num(true) else {
            return false;
        };
        if !self.eat(b':') {
            return false;
        }
        let Some(min) = self.num(true) else {
            return false;
        };
        hour <= 24 && min <= 60
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::is_go_timestamp;

    #[test]
    fn accepts_yaml_v3_layouts() {
        for s in [
            "2024-01-02",
            "2024-1-2",
            "2024-02-29",
            "2000-02-29",
            "2024-01-02 03:04:05",
            "2024-01-02 3:4:5.123456789012",
            "2024-01-02 03:04:05,5",
            "2024-01-02T03:04:05Z",
            "2024-01-02t03:04:05.5+08:00",
            "2024-01-02T23:59:59-24:00",
        ] {
            assert!(is_go_timestamp(s), "{s}");
        }
    }

    #[test]
    fn refuses_what_go_time_parse_refuses() {
        for s in [
            "2023-02-29",
            "1900-02-29",
            "2024-00-10",
            "2024-13-01",
            "2024-01-32",
            "2024-01-02T03:04:05",
            "2024-01-02 03:04:05Z",
            "2024-01-02 24:00:00",
            "2024-01-02 03:60:00",
            "2024-01-02T03:04:05+8:00",
            "2024-01-02T03:04:05+0800",
            "2024-01-02x",
            "2024-001-02",
            "202-01-02",
            "20240-01-02",
            "2024-01-02 03:04",
            "2024-01-02 03:04:05.",
        ] {
            assert!(!is_go_timestamp(s), "{s}");
        }
    }
}
