//! Field paths and their positions in the source, for `file:line:col: message` errors.

use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// One segment of a field path: a key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// Table key.
    Key(String),
    /// Array index, 0-based as shown (`feature[0]` is the first `[[feature]]`).
    Index(usize),
}

/// A field path such as `feature[2].duration.sigma`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    /// The root.
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// This path plus a key.
    pub fn key(&self, k: &str) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    /// This path plus an index.
    pub fn index(&self, i: usize) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    if k.contains('.') {
                        write!(f, "\"{k}\"")?;
                    } else {
                        f.write_str(k)?;
                    }
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// The byte range of the value at `path` in a parsed document, or of the deepest ancestor found.
pub fn span_of(doc: &toml::Spanned<DeTable<'_>>, path: &FieldPath) -> Option<Range<usize>> {
    let mut best = None;
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    for seg in &path.0 {
        let next = match (seg, table, value.map(|v| v.get_ref())) {
            (Seg::Key(k), Some(t), _) => {
                t.iter().find(|(key, _)| key.get_ref() == k).map(|(_, v)| v)
            }
            (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        let Some(v) = next else { break };
        best = Some(v.span());
        value = Some(v);
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    best
}

/// The field path of the key or value at byte offset `pos` (the deepest one whose span holds
/// it), for errors that carry a position but no path, such as serde's "unknown field".
pub fn path_at(doc: &toml::Spanned<DeTable<'_>>, pos: usize) -> Option<FieldPath> {
    fn in_table(t: &DeTable<'_>, pos: usize, path: &FieldPath) -> Option<FieldPath> {
        for (key, value) in t.iter() {
            let p = path.key(key.get_ref());
            if key.span().contains(&pos) {
                return Some(p);
            }
            // Containers are searched even when their own span does not hold `pos`: a table
            // opened by a `[header]` may not span its keys.
            if let Some(found) = in_value(value, pos, &p) {
                return Some(found);
            }
        }
        None
    }
    fn in_value(v: &toml::Spanned<DeValue<'_>>, pos: usize, path: &FieldPath) -> Option<FieldPath> {
        match v.get_ref() {
            DeValue::Table(t) => {
                in_table(t, pos, path).or_else(|| v.span().contains(&pos).then(|| path.clone()))
            }
            DeValue::Array(a) => a
                .iter()
                .enumerate()
                .find_map(|(i, item)| in_value(item, pos, &path.index(i)))
                .or_else(|| v.span().contains(&pos).then(|| path.clone())),
            _ => v.span().contains(&pos).then(|| path.clone()),
        }
    }
    in_table(doc.get_ref(), pos, &FieldPath::root())
}

/// 1-based line and column of byte offset `pos` in `text` (columns count characters).
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text[..floor_char_boundary(text, pos)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_spans() {
        let text = "a = 1\n[[feature]]\nname = \"x\"\n[[feature]]\nname = \"y\"\nduration = { sigma = 0 }\n";
        let doc = DeTable::parse(text).unwrap();
        let p = FieldPath::root()
            .key("feature")
            .index(1)
            .key("duration")
            .key("sigma");
        let span = span_of(&doc, &p).unwrap();
        assert_eq!(&text[span.clone()], "0");
        assert_eq!(line_col(text, span.start), (6, 22));
        assert_eq!(p.to_string(), "feature[1].duration.sigma");
    }

    #[test]
    fn finds_the_path_at_a_position() {
        let text = "a = 1\n[[feature]]\nname = \"x\"\n[[feature]]\nname = \"y\"\nduration = { sigma = 0 }\n";
        let doc = DeTable::parse(text).unwrap();
        let at = |needle: &str| path_at(&doc, text.find(needle).unwrap()).map(|p| p.to_string());
        assert_eq!(at("a =").as_deref(), Some("a"));
        assert_eq!(at("\"y\"").as_deref(), Some("feature[1].name"));
        assert_eq!(at("sigma").as_deref(), Some("feature[1].duration.sigma"));
        assert_eq!(at("0 }").as_deref(), Some("feature[1].duration.sigma"));
        assert_eq!(path_at(&doc, text.len() + 10), None);
    }
}
