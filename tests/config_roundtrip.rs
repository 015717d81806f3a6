//! Property-style check of the writer: for many generated configs whose strings mix YAML
//! indicators, quotes, `#`, `: `, line breaks, control characters and non-ASCII text,
//! `to_yaml` then parsing gives back the same config, and writing again gives the same bytes.

use ddns_rs::config::{Config, DnsConfig, IpConf, to_yaml};

/// xorshift64*: deterministic, so a failure is reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    "x.y",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r",
    "\r\n",
    "#",
    " #",
    ": ",
    ":",
    "-",
    "- ",
    "'",
    "\"",
    "\\",
    "?",
    "*",
    "&",
    "!",
    "%",
    "@",
    "`",
    "|",
    ">",
    "[",
    "]",
    "{",
    "}",
    ",",
    "~",
    "中",
    "é",
    "😺",
    "\u{feff}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{a0}",
    "\u{0}",
    "\u{1b}",
    "\u{7f}",
    "\u{fffe}",
    "\u{200b}",
    "true",
    "null",
    "123",
    "0x1F",
    "1.5",
    "1e3",
    "2024-01-02",
    "1:20",
    "yes",
    "---",
    "...",
    ".inf",
    "<<",
    "#{ipv4Addr}",
    "http://a/b?c=d&e",
];

const WHOLE: &[&str] = &[
    "",
    " ",
    "\n",
    "\n\n",
    " \n",
    "\n ",
    "true",
    "False",
    "~",
    "null",
    "NULL",
    "123",
    "-1",
    "+1",
    "0o17",
    "0b1",
    "017",
    "089",
    "1_000",
    "1.",
    ".5",
    "-.inf",
    ".NaN",
    "1:20:30",
    "y",
    "N",
    "on",
    "2024-01-02T03:04:05Z",
    "2024-1-2 3:4:5",
    "-",
    "?",
    ":",
    "---",
    "...",
    "'",
    "\"",
    "#",
    "@1",
    "😺.com",
    "\u{feff}",
    "a\u{2028}b",
    "\ta",
    "a\t",
    " a\nb",
    "a\n b",
    "a\nb\n",
    "a\nb\n\n",
];

fn string(rng: &mut Rng) -> String {
    if rng.below(4) == 0 {
        return WHOLE[rng.below(WHOLE.len())].to_string();
    }
    let n = rng.below(6) + 1;
    (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

fn ip_conf(rng: &mut Rng, v6: bool) -> IpConf {
    IpConf {
        enable: rng.below(2) == 0,
        gettype: string(rng),
        url: string(rng),
        netinterface: string(rng),
        cmd: string(rng),
        ipv6reg: if v6 { string(rng) } else { String::new() },
        domains: (0..rng.below(4)).map(|_| string(rng)).collect(),
        // ddns-rs's own keys exist (and are written) in the ipv6 section only.
        prefixlen: if v6 { string(rng) } else { String::new() },
        suffix: if v6 { string(rng) } else { String::new() },
        // Agreement keys: both sections, written only when set (often left empty here).
        sources: (0..rng.below(3)).map(|_| string(rng)).collect(),
        agree: if rng.below(2) == 0 {
            string(rng)
        } else {
            String::new()
        },
    }
}

fn config(rng: &mut Rng) -> Config {
    let mut c = Config::default();
    for _ in 0..rng.below(3) {
        let mut d = DnsConfig {
            name: string(rng),
            ipv4: ip_conf(rng, false),
            ipv6: ip_conf(rng, true),
            ttl: string(rng),
            httpinterface: string(rng),
            ..DnsConfig::default()
        };
        d.dns.name = string(rng);
        d.dns.id = string(rng);
        d.dns.secret = string(rng);
        d.dns.extparam = string(rng);
        c.dnsconf.push(d);
    }
    c.user.username = string(rng);
    c.user.password = string(rng);
    c.webhook.webhookurl = string(rng);
    c.webhook.webhookrequestbody = string(rng);
    c.webhook.webhookheaders = string(rng);
    c.notallowwanaccess = rng.below(2) == 0;
    c.lang = string(rng);
    // Router-push credentials: written only when set, so often left empty here.
    if rng.below(3) == 0 {
        c.push.username = string(rng);
        c.push.password = if rng.below(2) == 0 {
            string(rng)
        } else {
            String::new()
        };
    }
    c
}

#[test]
fn generated_configs_read_back_identically() {
    // More cases on demand: CONFIG_ROUNDTRIP_CASES=200000 cargo test --test config_roundtrip
    let cases = std::env::var("CONFIG_ROUNDTRIP_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..cases {
        let c = config(&mut rng);
        let yaml = to_yaml(&c);
        let back: Config = match yaml_serde::from_str(&yaml) {
            Ok(back) => back,
            Err(e) => panic!("case {case}: our output does not parse: {e}\n{yaml}"),
        };
        assert_eq!(back, c, "case {case}:\n{yaml}");
        assert_eq!(to_yaml(&back), yaml, "case {case}");
    }
}

#[test]
fn every_whole_string_reads_back_in_every_position() {
    for s in WHOLE.iter().chain(PIECES) {
        let mut d = DnsConfig {
            name: s.to_string(),
            httpinterface: s.to_string(),
            ..DnsConfig::default()
        };
        d.ipv4.cmd = s.to_string();
        d.ipv4.domains = vec![s.to_string(), s.to_string()];
        let mut c = Config {
            dnsconf: vec![d],
            lang: s.to_string(),
            ..Config::default()
        };
        c.webhook.webhookrequestbody = s.to_string();
        let yaml = to_yaml(&c);
        let back: Config =
            yaml_serde::from_str(&yaml).unwrap_or_else(|e| panic!("{s:?}: {e}\n{yaml}"));
        assert_eq!(back, c, "{s:?}:\n{yaml}");
    }
}

#[test]
fn push_key_reads_and_writes_back_byte_for_byte() {
    // As a user writes it by hand (ddns-rs's layout), with a secret reference as the password.
    let text = "dnsconf: []\nuser:\n    username: admin\n    password: \"\"\nwebhook:\n    \
                webhookurl: \"\"\n    webhookrequestbody: \"\"\n    webhookheaders: \"\"\n\
                notallowwanaccess: true\nlang: en\npush:\n    username: router\n    \
                password: ${env:DDNS_PUSH_PASSWORD}\n";
    let c: Config = yaml_serde::from_str(text).unwrap();
    assert_eq!(c.push.username, "router");
    assert_eq!(c.push.password, "${env:DDNS_PUSH_PASSWORD}");
    assert_eq!(to_yaml(&c), text);
    // Without the key, nothing about push is written: a ddns-go file keeps its bytes.
    let mut plain = c.clone();
    plain.push = Default::default();
    let yaml = to_yaml(&plain);
    assert!(!yaml.contains("push"), "{yaml}");
    assert_eq!(
        to_yaml(&yaml_serde::from_str::<Config>(&yaml).unwrap()),
        yaml
    );
    // An odd password (quotes, colon, leading space) survives too.
    let mut odd = c;
    odd.push.password = " p:a\"s#s ".into();
    let yaml = to_yaml(&odd);
    assert_eq!(yaml_serde::from_str::<Config>(&yaml).unwrap(), odd);
}
