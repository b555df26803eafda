//! `cargo xtask layers`: fails when two sibling modules import each other or a layer
//! imports one above it (issue 12). A plain scanner, not a Rust parser: it reads the
//! `crate::…` and `super::…` paths of each source file outside `#[cfg(test)]` modules
//! (unit tests sit above every layer) and comments, resolves them to modules known
//! from the file tree, and attributes each reference to the two sibling modules it
//! crosses — so `pricing/quote.rs → crate::catalog` is an arrow `pricing → catalog`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The source trees scanned, each its own crate.
const CRATES: [&str; 3] = ["host/src", "host/domain/src", "host/runtime/src"];

/// Layer rules of the host crate: files under the first module never reference the others.
const FORBIDDEN: [(&str, &[&str]); 2] = [
    ("app", &["api", "lifecycle"]),
    ("store", &["app", "api", "lifecycle"]),
];

/// One problem found.
struct Finding {
    text: String,
}

/// Runs the check from the workspace `root`: prints every finding and fails on any.
pub fn check(root: &Path) -> Result<()> {
    let mut findings = Vec::new();
    for src in CRATES {
        findings.extend(scan_crate(src, &root.join(src))?);
    }
    for f in &findings {
        println!("layers: error: {}", f.text);
    }
    if !findings.is_empty() {
        bail!(
            "layers: {} import circle(s) or layer violation(s)",
            findings.len()
        );
    }
    println!("layers: ok (no import circles, no layer violations)");
    Ok(())
}

/// A reference from a file's line to an absolute module path.
type Edge = (Vec<String>, Vec<String>);

fn scan_crate(name: &str, src: &Path) -> Result<Vec<Finding>> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_path(src, f), f.clone()))
        .collect();
    let known: BTreeSet<&Vec<String>> = modules.keys().collect();
    // Sibling arrow (from, to) → first place seen.
    let mut arrows: BTreeMap<Edge, String> = BTreeMap::new();
    let mut findings = Vec::new();
    for (module, file) in &modules {
        let text = fs::read_to_string(file).with_context(|| file.display().to_string())?;
        let shown = format!(
            "{name}/{}",
            file.strip_prefix(src).unwrap_or(file).display()
        );
        for (line, target) in references(module, &strip(&text)) {
            let at = format!("{shown}:{line}");
            if name == "host/src" {
                for (low, high) in FORBIDDEN {
                    if module.first().is_some_and(|m| m == low)
                        && let Some(t) = target.first().filter(|t| high.contains(&t.as_str()))
                    {
                        findings.push(Finding {
                            text: format!("{at}: `{low}` references `crate::{t}`"),
                        });
                    }
                }
            }
            let Some(k) = (0..module.len().min(target.len())).find(|&k| module[k] != target[k])
            else {
                continue; // an ancestor or a descendant
            };
            let to = target[..=k].to_vec();
            if known.contains(&to) {
                arrows.entry((module[..=k].to_vec(), to)).or_insert(at);
            }
        }
    }
    for ((a, b), at) in &arrows {
        if a < b
            && let Some(back) = arrows.get(&(b.clone(), a.clone()))
        {
            findings.push(Finding {
                text: format!(
                    "{name}: `{}` ↔ `{}` ({at} and {back})",
                    a.join("::"),
                    b.join("::")
                ),
            });
        }
    }
    Ok(findings)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `a/b.rs` → `[a, b]`; the crate roots are `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The text with comment lines blanked and `#[cfg(test)]` modules removed, lines kept.
fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skip_depth: Option<i32> = None;
    let mut armed = false;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(depth) = skip_depth.as_mut() {
            *depth += braces(line);
            if *depth <= 0 {
                skip_depth = None;
            }
            out.push('\n');
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            armed = true;
            out.push('\n');
            continue;
        }
        if armed && t.contains("mod ") && t.contains('{') {
            armed = false;
            let depth = braces(line);
            if depth > 0 {
                skip_depth = Some(depth);
            }
            out.push('\n');
            continue;
        }
        armed = armed && t.starts_with("#[");
        if !t.starts_with("//") {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn braces(line: &str) -> i32 {
    line.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// Every `crate::…`/`super::…` path in `text` (a file of module `module`), resolved to an
/// absolute path of identifiers, with its line number.
fn references(module: &[String], text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        let starts = rest.starts_with("crate::") || rest.starts_with("super::");
        if !starts || (i > 0 && (ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let line = text[..i].matches('\n').count() + 1;
        let mut base: Vec<String> = module.to_vec();
        let mut j = i;
        if rest.starts_with("crate::") {
            base.clear();
            j += "crate::".len();
        }
        while text[j..].starts_with("super::") {
            base.pop();
            j += "super::".len();
        }
        let mut path = base;
        loop {
            let start = j;
            while j < bytes.len() && ident(bytes[j]) {
                j += 1;
            }
            if j > start {
                path.push(text[start..j].to_string());
            }
            if text[j..].starts_with("::") {
                j += 2;
                continue;
            }
            break;
        }
        if j < bytes.len() && bytes[j] == b'{' {
            // A use-list: each entry's first segment extends the path.
            let close = text[j..].find(';').map_or(bytes.len(), |n| j + n);
            let mut depth = 0;
            let mut entry = String::new();
            for c in text[j..close].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 1 && c != '{' && c != ',' {
                    entry.push(c);
                } else if (c == ',' && depth == 1) || depth == 0 {
                    let first: String = entry
                        .trim()
                        .chars()
                        .take_while(|&b| b.is_ascii_alphanumeric() || b == '_')
                        .collect();
                    if !first.is_empty() && first != "self" {
                        let mut p = path.clone();
                        p.push(first);
                        out.push((line, p));
                    }
                    entry.clear();
                }
            }
            out.push((line, path));
            i = close;
        } else {
            out.push((line, path));
            i = j.max(i + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Vec<String> {
        s.split("::").map(String::from).collect()
    }

    #[test]
    fn use_lists_and_supers_resolve() {
        let refs = references(
            &m("catalog::skus"),
            "use super::{BillingMode, validate::{Errors}};\nlet x = crate::pricing::money(1);",
        );
        let paths: Vec<_> = refs.into_iter().map(|(l, p)| (l, p.join("::"))).collect();
        assert!(
            paths.contains(&(1, "catalog::validate".into())),
            "{paths:?}"
        );
        assert!(
            paths.contains(&(1, "catalog::BillingMode".into())),
            "{paths:?}"
        );
        assert!(paths.contains(&(2, "pricing::money".into())), "{paths:?}");
    }

    #[test]
    fn test_modules_and_comments_are_ignored() {
        let text = "//! see [`super::a`]\n#[cfg(test)]\nmod tests {\n    use super::b;\n}\nuse super::c;\n";
        let refs = references(&m("x::y"), &strip(text));
        assert_eq!(refs, vec![(6, m("x::c"))]);
    }
}
