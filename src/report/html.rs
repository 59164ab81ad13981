//! `report.html`: the report of a folder as one self-contained page, for a change request.
//!
//! The page is rendered from the very markdown that `report.md` (or `plan.md`) is made of, with
//! `pulldown-cmark`, so both files hold the same words, tables and numbers by construction;
//! only the order differs where the markdown puts the scenario first (the page leads with the
//! verdict). Each chart the markdown embeds as `![title](<name>.svg)` is put inline, as SVG
//! markup, from the bytes the folder writes: nothing is fetched (the page forbids it with a
//! content security policy), so the file can travel alone by mail. Its style sheet is inline
//! too: readable on a laptop and a phone (tables and charts scroll sideways when they are wider
//! than the screen), and printable on A4.
//!
//! Raw HTML in the markdown (a scenario's name or description can hold anything) is written as
//! text, never as markup.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// One part of the page: markdown, and the class of the `<section>` it goes in.
pub struct Part<'a> {
    /// `verdict` for the part the page leads with (highlighted), or `body`.
    pub class: &'static str,
    /// Its markdown.
    pub markdown: &'a str,
}

/// The page: `title` in the browser's tab, `parts` in order, and every chart a part embeds
/// (`![…](<name>.svg)`) inlined from `files` (name → bytes, as the folder writes them).
pub fn page(title: &str, parts: &[Part<'_>], files: &[(String, Vec<u8>)]) -> String {
    let mut o = String::with_capacity(64 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may be fetched: styles and charts are inline, and there is no script.
    o.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n",
    );
    o.push_str("<meta name=\"generator\" content=\"drainsim\">\n<title>");
    o.push_str(&escape(title));
    o.push_str("</title>\n<style>\n");
    o.push_str(STYLE);
    o.push_str("</style>\n</head>\n<body>\n<main>\n");
    for part in parts {
        o.push_str("<section class=\"");
        o.push_str(part.class);
        o.push_str("\">\n");
        html::push_html(&mut o, Inline::new(part.markdown, files));
        o.push_str("</section>\n");
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

/// A page of a markdown document that leads with its verdict already (`plan.md`): its title,
/// then what comes before its first `##` heading (the verdict, highlighted), then the rest.
pub fn led_page(title: &str, markdown: &str, files: &[(String, Vec<u8>)]) -> String {
    let (head, rest) = match markdown.find("\n## ") {
        Some(i) => markdown.split_at(i),
        None => (markdown, ""),
    };
    let (h1, verdict) = match head.strip_prefix("# ").and_then(|_| head.find('\n')) {
        Some(i) => head.split_at(i),
        None => ("", head),
    };
    page(
        title,
        &[
            Part {
                class: "title",
                markdown: h1,
            },
            Part {
                class: "verdict",
                markdown: verdict,
            },
            Part {
                class: "body",
                markdown: rest,
            },
        ],
        files,
    )
}

/// The markdown's events, with raw HTML turned into text, each table wrapped in a box that
/// scrolls sideways, and each embedded SVG chart replaced by its markup.
struct Inline<'a, 'f> {
    events: Parser<'a>,
    files: &'f [(String, Vec<u8>)],
    /// An event to give before the next one of the markdown.
    pending: Option<Event<'a>>,
}

impl<'a, 'f> Inline<'a, 'f> {
    fn new(markdown: &'a str, files: &'f [(String, Vec<u8>)]) -> Self {
        Inline {
            events: Parser::new_ext(markdown, Options::ENABLE_TABLES),
            files,
            pending: None,
        }
    }

    /// The chart `dest` of the folder as inline markup, its alt text read from the events up to
    /// the image's end.
    fn chart(&mut self, dest: &str) -> Event<'a> {
        let mut alt = String::new();
        for e in self.events.by_ref() {
            match e {
                Event::End(TagEnd::Image) => break,
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                _ => {}
            }
        }
        let svg = self
            .files
            .iter()
            .find(|(name, _)| name == dest)
            .and_then(|(_, bytes)| std::str::from_utf8(bytes).ok());
        let name = dest.strip_suffix(".svg").unwrap_or(dest);
        Event::Html(CowStr::from(match svg {
            Some(svg) => inline_svg(svg, name, &alt),
            None => format!(
                "<em class=\"missing\">Chart {} is missing.</em>",
                escape(name)
            ),
        }))
    }
}

impl<'a> Iterator for Inline<'a, '_> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(e) = self.pending.take() {
            return Some(e);
        }
        Some(match self.events.next()? {
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::Start(Tag::Table(a)) => {
                self.pending = Some(Event::Start(Tag::Table(a)));
                Event::Html(CowStr::from("<div class=\"table\">\n"))
            }
            Event::End(TagEnd::Table) => {
                self.pending = Some(Event::Html(CowStr::from("</div>\n")));
                Event::End(TagEnd::Table)
            }
            Event::Start(Tag::Image { dest_url, .. }) if dest_url.ends_with(".svg") => {
                self.chart(&dest_url)
            }
            e => e,
        })
    }
}

/// An SVG file's markup as an inline chart: its fixed size replaced by the page's (it scales
/// with the column), named for assistive technology and for tests (`data-chart`).
fn inline_svg(svg: &str, name: &str, alt: &str) -> String {
    let body = svg
        .find("<svg")
        .map(|i| &svg[i..])
        .unwrap_or(svg)
        .trim_end();
    let (open, rest) = match body.find('>') {
        Some(i) => body.split_at(i),
        None => (body, ""),
    };
    let attrs: Vec<&str> = split_attrs(open.trim_start_matches("<svg"))
        .into_iter()
        .filter(|a| !a.starts_with("width=") && !a.starts_with("height="))
        .collect();
    format!(
        "<span class=\"figure\"><svg class=\"chart\" role=\"img\" aria-label=\"{}\" \
         data-chart=\"{}\" {}>\n<title>{}</title>{}</span>",
        escape(alt),
        escape(name),
        attrs.join(" "),
        escape(alt),
        rest.strip_prefix('>').unwrap_or(rest),
    )
}

/// The attributes of an opening tag, split at the spaces outside quotes.
fn split_attrs(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match (c, start) {
            ('"', _) => {
                quoted = !quoted;
                start.get_or_insert(i);
            }
            (c, Some(b)) if c.is_whitespace() && !quoted => {
                out.push(&s[b..i]);
                start = None;
            }
            (c, None) if !c.is_whitespace() => start = Some(i),
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push(s[b..].trim_end_matches('/'));
    }
    out.into_iter().filter(|a| !a.is_empty()).collect()
}

/// Text made safe for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The page's style: a readable column on a laptop, full width on a phone, A4 on paper.
const STYLE: &str = r#":root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #f6f8fa; --accent: #0b5cad; --warn: #9a6700; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .75rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p, ul, ol, blockquote { margin: 0 0 .9rem; }
ul, ol { padding-left: 1.4rem; }
li { margin: .2rem 0; }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: var(--band); padding: .05em .3em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--band); padding: .75rem 1rem; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; overflow-wrap: normal; }
a { color: var(--accent); }
section.verdict { border: 2px solid var(--accent); border-radius: 8px; padding: .25rem 1.25rem .5rem; margin: 1rem 0 1.5rem; background: #f3f8fe; }
section.verdict h2 { border: none; margin-top: .75rem; color: var(--accent); }
blockquote { margin-left: 0; padding: .5rem 1rem; border-left: 4px solid var(--warn); background: #fff8e5; }
blockquote > :last-child { margin-bottom: 0; }
.table { overflow-x: auto; margin: 0 0 1rem; }
table { border-collapse: collapse; font-size: .875rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; vertical-align: top; }
th { background: var(--band); text-align: left; }
td[style*="right"], th[style*="right"] { white-space: nowrap; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.figure { display: block; overflow-x: auto; margin: .5rem 0; }
svg.chart { display: block; width: 100%; min-width: 34rem; height: auto; border: 1px solid var(--line); border-radius: 6px; }
.missing { color: #b42318; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  main { padding: 1rem .75rem 2rem; }
  h1 { font-size: 1.35rem; }
  section.verdict { padding: .1rem .8rem .4rem; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  section.verdict { background: none; }
  h2, h3 { break-after: avoid; }
  .figure, tr, blockquote, pre { break-inside: avoid; }
  .table, .figure { overflow: visible; }
  svg.chart { min-width: 0; max-height: 120mm; }
  table { font-size: 7.5pt; }
  th, td { padding: .15rem .3rem; }
  thead { display: table-header-group; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<(String, Vec<u8>)> {
        vec![(
            "c.svg".into(),
            b"<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\"/>\n</svg>\n".to_vec(),
        )]
    }

    #[test]
    fn a_chart_is_inlined_without_its_fixed_size() {
        let p = page(
            "T",
            &[Part {
                class: "body",
                markdown: "![Cut *per* night](c.svg)\n",
            }],
            &files(),
        );
        assert!(p.contains(
            "<svg class=\"chart\" role=\"img\" aria-label=\"Cut per night\" data-chart=\"c\" \
             viewBox=\"0 0 10 5\" xmlns=\"http://www.w3.org/2000/svg\">"
        ));
        assert!(p.contains("<title>Cut per night</title>\n<rect x=\"0\"/>\n</svg></span>"));
        assert!(!p.contains("width=\"10\""));
        assert!(!p.contains("<img"));
    }

    #[test]
    fn a_missing_chart_says_so() {
        let p = page(
            "T",
            &[Part {
                class: "body",
                markdown: "![x](gone.svg)",
            }],
            &files(),
        );
        assert!(p.contains("Chart gone is missing."));
    }

    #[test]
    fn raw_html_is_text_and_tables_scroll() {
        let p = page(
            "<b>",
            &[Part {
                class: "verdict",
                markdown: "# A <script>alert(1)</script>\n\n<div>x</div>\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n",
            }],
            &[],
        );
        assert!(!p.contains("<script>"));
        assert!(!p.contains("<div>x"));
        assert!(p.contains("&lt;script&gt;"));
        assert!(p.contains("<title>&lt;b&gt;</title>"));
        assert!(p.contains("<section class=\"verdict\">"));
        assert!(p.contains("<div class=\"table\">\n<table>"));
        assert!(p.contains("</table>\n</div>"));
        assert!(p.contains("<td style=\"text-align: right\">2</td>"));
    }
}
