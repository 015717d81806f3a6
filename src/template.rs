//! `#{name}` variable substitution, shared by the webhook and the callback provider.

/// Replaces every `#{name}` in `template` whose name is in `vars`; unknown variables are left
/// as they are (ddns-go leaves them too, so a typo shows up in the request instead of
/// vanishing).
pub fn expand(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("#{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn substitutes_known_and_keeps_unknown() {
        let v = [("ip", "1.2.3.4"), ("domain", "a.example.com")];
        assert_eq!(expand("x=#{ip}&d=#{domain}", &v), "x=1.2.3.4&d=a.example.com");
        assert_eq!(expand("#{nope}#{ip}", &v), "#{nope}1.2.3.4");
        assert_eq!(expand("tail #{ip", &v), "tail #{ip");
        assert_eq!(expand("", &v), "");
        assert_eq!(expand("#{ip}#{ip}", &v), "1.2.3.41.2.3.4");
    }
}
