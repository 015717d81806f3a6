//! Just enough XML reading for the two XML providers (Namecheap dynamic DNS, NameSilo): the
//! text of simple elements, found by name, with entities decoded.
//!
//! Their answers are small, flat documents without namespaces, attributes that matter, or
//! mixed content, so a full parser would be weight without benefit. What this does not do:
//! validate the document, handle namespaces, or keep element order across different names.
//! Anything it cannot read comes back as `None`, and the providers then treat the answer as
//! malformed (never as success).

/// The raw inner text of every `<name>…</name>` (or empty `<name/>`) in `doc`, in document
/// order. Elements with attributes (`<name a="b">`) count; `<names>` does not. An element
/// whose closing tag is missing ends the search.
pub fn elements<'a>(doc: &'a str, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some((inner, after)) = next_element(rest, name) {
        out.push(inner);
        rest = after;
    }
    out
}

/// The decoded text of the first `<name>` element, trimmed; `None` when absent or malformed.
pub fn text(doc: &str, name: &str) -> Option<String> {
    next_element(doc, name).and_then(|(inner, _)| decode(inner.trim()))
}

/// Finds the next element `name`; returns its inner text and what follows it.
fn next_element<'a>(doc: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut from = 0;
    loop {
        let start = from + doc.get(from..)?.find(&open)?;
        let after_name = start + open.len();
        let tail = doc.get(after_name..)?;
        // The name must end here: `<name>`, `<name/>` or `<name attr…>`, not `<names>`.
        match tail.chars().next()? {
            '>' => {
                let body = &tail[1..];
                let end = body.find(&close)?;
                return Some((&body[..end], &body[end + close.len()..]));
            }
            '/' if tail.starts_with("/>") => return Some(("", &tail[2..])),
            c if c.is_ascii_whitespace() => {
                let gt = tail.find('>')?;
                if tail[..gt].ends_with('/') {
                    return Some(("", &tail[gt + 1..]));
                }
                let body = &tail[gt + 1..];
                let end = body.find(&close)?;
                return Some((&body[..end], &body[end + close.len()..]));
            }
            _ => from = after_name,
        }
    }
}

/// Decodes character data: the five predefined entities, numeric references and CDATA
/// sections. `None` for an unknown entity or a nested element (not plain text).
pub fn decode(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>")?;
            out.push_str(&cdata[..end]);
            rest = &cdata[end + 3..];
            continue;
        }
        if rest.starts_with('<') {
            return None;
        }
        let semi = rest.find(';')?;
        let entity = &rest[1..semi];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    entity.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(code)?
            }
        };
        out.push(ch);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_simple_elements_and_decodes_entities() {
        let doc = "<?xml version=\"1.0\"?><r><a>1</a><ab>no</ab><a x=\"y\"> 2 &amp; &#51;&#x34; </a><a/><a />";
        assert_eq!(
            elements(doc, "a"),
            vec!["1", " 2 &amp; &#51;&#x34; ", "", ""]
        );
        assert_eq!(text(doc, "a").as_deref(), Some("1"));
        assert_eq!(text(doc, "ab").as_deref(), Some("no"));
        assert_eq!(decode(" 2 &amp; &#51;&#x34; ").as_deref(), Some(" 2 & 34 "));
        assert_eq!(decode("<![CDATA[a<b]]>&lt;c").as_deref(), Some("a<b<c"));
    }

    #[test]
    fn nested_elements_are_returned_raw() {
        let doc = "<reply><rr><id>1</id></rr><rr><id>2</id></rr></reply>";
        let rrs = elements(doc, "rr");
        assert_eq!(rrs, vec!["<id>1</id>", "<id>2</id>"]);
        assert_eq!(text(rrs[1], "id").as_deref(), Some("2"));
        // Text with an element inside is not plain text.
        assert_eq!(text(doc, "rr"), None);
    }

    #[test]
    fn malformed_input_gives_none_not_garbage() {
        assert_eq!(text("<a>unterminated", "a"), None);
        assert_eq!(text("<a>&bogus;</a>", "a"), None);
        assert_eq!(text("<a>&amp</a>", "a"), None);
        assert_eq!(text("<a>&#xZZ;</a>", "a"), None);
        assert_eq!(text("<a", "a"), None);
        assert_eq!(text("", "a"), None);
        assert_eq!(text("<b>1</b>", "a"), None);
        assert!(elements("<a>1</a><a>2", "a") == vec!["1"]);
        assert_eq!(text("<a>ü</a>", "a").as_deref(), Some("ü"));
    }
}
