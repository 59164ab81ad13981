//! Text from scenario files and command lines made safe for where drainsim prints it: a word a
//! shell reads back as itself ([`shell_word`]), and a line with no control characters for a
//! terminal or Markdown ([`printable`]), so that a name holding ANSI or OSC escape sequences
//! cannot recolour, retitle or rewrite the terminal it is printed to.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` as one shell word: unchanged if it holds only characters no shell treats specially,
/// else in single quotes (a `'` written `'\''`); with control characters (a newline, an escape)
/// in bash's `$'…'` form, each as `\xHH`, so that the command stays on one line and shows them.
pub fn shell_word(s: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    if s.chars().any(char::is_control) {
        let mut o = String::from("$'");
        for c in s.chars() {
            match c {
                '\'' => o.push_str("\\'"),
                '\\' => o.push_str("\\\\"),
                c if c.is_control() => {
                    let mut b = [0u8; 4];
                    for x in c.encode_utf8(&mut b).bytes() {
                        let _ = write!(o, "\\x{x:02x}");
                    }
                }
                c => o.push(c),
            }
        }
        o.push('\'');
        return Cow::Owned(o);
    }
    Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
}

/// `s` with every control character (escape, newline, bell, C1 controls…) shown as `\u{…}`.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_read_back_as_themselves() {
        assert_eq!(shell_word("scenarios/a-b_c.toml"), "scenarios/a-b_c.toml");
        assert_eq!(
            shell_word("dir with space/my scen;rm -rf x.toml"),
            "'dir with space/my scen;rm -rf x.toml'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("a\nb\u{1b}]0;x"), r"$'a\x0ab\x1b]0;x'");
        assert_eq!(shell_word("$(rm x)`y`"), "'$(rm x)`y`'");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(printable("Pool é"), "Pool é");
        assert_eq!(printable("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\u{a}");
        assert_eq!(printable("\u{9b}x"), "\\u{9b}x");
    }
}
