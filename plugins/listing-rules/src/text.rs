//! The string matching the rules need, written out by hand rather than with
//! a regex engine, which would multiply the component's size.

/// Whether `version` looks like `V1`, `V1.0` or `V2.10.3`: a capital `V`
/// and dot-separated groups of ASCII digits.
pub(crate) fn is_version(version: &str) -> bool {
    version.strip_prefix('V').is_some_and(|rest| {
        rest.split('.')
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The `http://` and `https://` URLs in `text` (scheme matched
/// case-insensitively), each up to the first whitespace or character that
/// cannot be part of a URL in prose.
pub(crate) fn urls(text: &str) -> Vec<&str> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = lower[from..].find("http") {
        let start = from + offset;
        let rest = &lower[start..];
        let scheme_len = if rest.starts_with("https://") {
            8
        } else if rest.starts_with("http://") {
            7
        } else {
            from = start + 4;
            continue;
        };
        let end = text[start + scheme_len..]
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')' | ']' | '}' | '|')
            })
            .map_or(text.len(), |n| start + scheme_len + n);
        found.push(&text[start..end]);
        from = end.max(start + scheme_len);
    }
    found
}

/// The lowercase host of an `http(s)://` URL: after any `user@`, before any
/// port, path, query or fragment, without a trailing dot.
pub(crate) fn host_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?', '#', '\\'])
        .next()
        .unwrap_or_default();
    // `https://huaweicloud.com@evil.example` goes to evil.example.
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.trim_end_matches(['.', ',', ';']).to_ascii_lowercase()
}

/// Whether `host` is `huaweicloud.com` or one of its subdomains. A bare
/// suffix test would let `nothuaweicloud.com` through.
pub(crate) fn is_huaweicloud(host: &str) -> bool {
    host == "huaweicloud.com" || host.ends_with(".huaweicloud.com")
}

/// Whether `text` mentions a UTC offset such as `(GMT+08:00)`, `GMT-5` or
/// `UTC+05:30`.
pub(crate) fn mentions_time_zone(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    ["GMT", "UTC"].iter().any(|zone| {
        upper.match_indices(zone).any(|(at, _)| {
            let rest = &upper[at + zone.len()..];
            let Some(rest) = rest
                .strip_prefix(['+', '-'])
                .or_else(|| rest.strip_prefix('\u{2212}'))
            else {
                return false;
            };
            let hours = rest.bytes().take_while(u8::is_ascii_digit).count();
            (1..=2).contains(&hours)
        })
    })
}

/// Whether a specification name says nothing about what is sold: a bare
/// period (`Monthly`), a numbered placeholder (`Specifications 1`, `SKU 2`)
/// or a count of sets (`1 Set`).
pub(crate) fn is_vague_spec_name(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let is_number = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    match words.as_slice() {
        [] => true,
        [word] => {
            is_number(word)
                || matches!(
                    *word,
                    "yearly"
                        | "annual"
                        | "annually"
                        | "monthly"
                        | "quarterly"
                        | "weekly"
                        | "daily"
                        | "hourly"
                        | "year"
                        | "month"
                        | "default"
                        | "specification"
                        | "specifications"
                        | "spec"
                        | "sku"
                        | "set"
                        | "package"
                )
        }
        [kind, n] if is_number(n) => {
            matches!(
                *kind,
                "specification"
                    | "specifications"
                    | "spec"
                    | "specs"
                    | "sku"
                    | "set"
                    | "package"
                    | "plan"
            )
        }
        [n, unit] if is_number(n) => matches!(
            *unit,
            "set" | "sets" | "year" | "years" | "month" | "months"
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for good in ["V1", "V1.0", "V2.10.3"] {
            assert!(is_version(good), "{good}");
        }
        for bad in [
            "v0.1",
            "First Version",
            "V",
            "V1.",
            "V.1",
            "V1..0",
            "1.0",
            "V1.0a",
            " V1.0",
            "V１",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn finds_urls_and_hosts() {
        let text = "See https://support.huaweicloud.com/guide, (HTTP://Evil.Example:8080/x) and \
                    http://a.huaweicloud.com.evil.io/ or https://huaweicloud.com@evil.example/.";
        let found = urls(text);
        assert_eq!(found.len(), 4, "{found:?}");
        let hosts: Vec<_> = found.iter().map(|u| host_of(u)).collect();
        assert_eq!(
            hosts,
            [
                "support.huaweicloud.com",
                "evil.example",
                "a.huaweicloud.com.evil.io",
                "evil.example"
            ]
        );
        assert!(is_huaweicloud(&hosts[0]));
        assert!(!is_huaweicloud("nothuaweicloud.com"));
        assert!(!is_huaweicloud(&hosts[2]));
        assert!(urls("httpx and http: and https:/ nothing").is_empty());
        assert_eq!(host_of("https://[::1]:443/"), "::1");
    }

    #[test]
    fn time_zones() {
        assert!(mentions_time_zone("Mon-Fri 09:00-18:00 (GMT+08:00)"));
        assert!(mentions_time_zone("24x7, utc-5"));
        assert!(!mentions_time_zone("Mon-Fri 09:00-18:00 Beijing time"));
        assert!(!mentions_time_zone("GMT"));
    }

    #[test]
    fn vague_specification_names() {
        for vague in [
            "Specifications 1",
            "Yearly",
            "Monthly",
            "1 Set",
            " spec 2 ",
            "",
            "3",
        ] {
            assert!(is_vague_spec_name(vague), "{vague:?}");
        }
        for clear in ["Basic Edition, 10 users", "Pro 50 users", "Enterprise"] {
            assert!(!is_vague_spec_name(clear), "{clear:?}");
        }
    }
}
