//! UTC calendar arithmetic for signatures and local-time stamps for log lines, without a date
//! crate (see spec/rust-stack.md §2.18: jiff would cost ~215 KB for what is a few lines here).

use std::time::{SystemTime, UNIX_EPOCH};

/// A broken-down UTC (or local) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Nanoseconds since the Unix epoch, now (used for nonces).
pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Converts Unix seconds to a UTC civil time (Howard Hinnant's days-from-civil inverse).
pub fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: if m <= 2 { y + 1 } else { y },
        month: m,
        day: d,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
    }
}

impl Civil {
    /// `YYYY-MM-DDTHH:MM:SSZ` (Aliyun, Baidu).
    pub fn iso8601(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
    /// `YYYY-MM-DD` (TC3 credential scope).
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
    /// `YYYYMMDDTHHMMSSZ` (Huawei, Volcengine).
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
    /// `YYYY/MM/DD HH:MM:SS`, ddns-go's log stamp.
    pub fn log_stamp(&self) -> String {
        format!(
            "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The local time now, honouring `TZ` (through libc's `localtime_r`). Falls back to UTC.
pub fn local_now() -> Civil {
    let now = unix_now();
    local_from_unix(now)
}

/// Local civil time of a Unix timestamp.
pub fn local_from_unix(secs: i64) -> Civil {
    #[cfg(unix)]
    {
        // `time_t` is 64-bit on every target built here (musl since 1.2); the cast names no
        // type so that musl's deprecated alias is not spelled out.
        let t = secs as _;
        // SAFETY: `tm` is plain old data; localtime_r writes it fully or returns null.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
        if ok {
            return Civil {
                year: tm.tm_year as i64 + 1900,
                month: (tm.tm_mon + 1) as u32,
                day: tm.tm_mday as u32,
                hour: tm.tm_hour as u32,
                minute: tm.tm_min as u32,
                second: tm.tm_sec as u32,
            };
        }
    }
    civil_from_unix(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(civil_from_unix(0).iso8601(), "1970-01-01T00:00:00Z");
        // 2021-03-23T12:34:56Z
        assert_eq!(
            civil_from_unix(1_616_502_896).iso8601(),
            "2021-03-23T12:34:56Z"
        );
        // leap day 2024-02-29T23:59:59Z
        assert_eq!(civil_from_unix(1_709_251_199).compact(), "20240229T235959Z");
        assert_eq!(civil_from_unix(1_709_251_200).date(), "2024-03-01");
    }
}
