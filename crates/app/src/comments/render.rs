//! A comment's text as HTML: a Markdown subset (paragraphs, bold, italics, strike-through,
//! links, lists, quotes, code) where `@mentions` of people and the codes of the project's
//! items, drawings and specifications become marked up. Raw HTML in the text is shown as
//! text, and the result goes through an allow-list sanitizer, so nothing a user writes can
//! add a script, a style, an image, an event handler or a `javascript:` link.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// What the words of a comment stand for, for the reader at hand.
#[derive(Debug, Default)]
pub struct Words<'a> {
    /// Mention handle (lowercase, as `formula_domain::comment::mentions` finds it) → the
    /// person's name.
    pub mentions: HashMap<String, &'a str>,
    /// Code → the page it links to (only codes the reader may open).
    pub references: HashMap<&'a str, String>,
}

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags = [
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "span",
        "hr",
    ];
    let mut builder = ammonia::Builder::empty();
    builder
        .add_tags(tags)
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href", "title"])),
            ("ol", HashSet::from(["start"])),
        ]))
        .add_allowed_classes("a", ["ref"])
        .add_allowed_classes("span", ["mention"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@')
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/')
}

/// Splits prose text into plain text and marked-up mentions and references.
fn mark_up<'e>(text: &str, words: &Words<'_>, out: &mut Vec<Event<'e>>) {
    let mut plain = String::new();
    let mut html = String::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let flush = |plain: &mut String, out: &mut Vec<Event<'e>>| {
        if !plain.is_empty() {
            out.push(Event::Text(CowStr::from(std::mem::take(plain))));
        }
    };
    while i < chars.len() {
        let (at, c) = chars[i];
        let boundary = i == 0 || !is_handle_char(chars[i - 1].1);
        if c == '@' && boundary {
            let mut j = i + 1;
            while j < chars.len() && is_handle_char(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |(p, _)| *p);
            let raw = &text[at + 1..end];
            let handle = raw.trim_end_matches(['.', '-', '@', '+']);
            if let Some(name) = words.mentions.get(&handle.to_lowercase()) {
                flush(&mut plain, out);
                html.clear();
                html.push_str("<span class=\"mention\">@");
                escape(name, &mut html);
                html.push_str("</span>");
                out.push(Event::InlineHtml(CowStr::from(html.clone())));
                // What the handle did not use (a full stop ending the sentence) stays text.
                plain.push_str(&raw[handle.len()..]);
                i = j;
                continue;
            }
        }
        let word_start = i == 0 || !is_code_char(chars[i - 1].1);
        if is_code_char(c) && word_start && c.is_ascii_alphanumeric() {
            let mut j = i;
            while j < chars.len() && is_code_char(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |(p, _)| *p);
            let word = &text[at..end];
            let code = word.trim_end_matches(['-', '.', '_', '/']);
            if let Some(href) = words.references.get(code) {
                flush(&mut plain, out);
                html.clear();
                html.push_str("<a class=\"ref\" href=\"");
                escape(href, &mut html);
                html.push_str("\">");
                escape(code, &mut html);
                html.push_str("</a>");
                out.push(Event::InlineHtml(CowStr::from(html.clone())));
                plain.push_str(&word[code.len()..]);
                i = j;
                continue;
            }
            plain.push_str(word);
            i = j;
            continue;
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, out);
}

/// Renders a comment's text to safe HTML.
pub fn to_html(body: &str, words: &Words<'_>) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut events: Vec<Event<'_>> = Vec::new();
    // Inside code or a link, words are left as they are.
    let mut plain_depth = 0usize;
    for event in Parser::new_ext(body, options) {
        match event {
            // Raw HTML is text: shown, never interpreted.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            // Images are not shown inline: they become links to the picture.
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                plain_depth += 1;
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::End(TagEnd::Image) => {
                plain_depth = plain_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(tag @ (Tag::Link { .. } | Tag::CodeBlock(_))) => {
                plain_depth += 1;
                events.push(Event::Start(tag));
            }
            Event::End(tag @ (TagEnd::Link | TagEnd::CodeBlock)) => {
                plain_depth = plain_depth.saturating_sub(1);
                events.push(Event::End(tag));
            }
            Event::Text(text) if plain_depth == 0 => mark_up(&text, words, &mut events),
            other => events.push(other),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    CLEANER.clean(&html).to_string()
}

/// The distinct codes `to_html` would link, for looking them up.
pub fn codes_in<'a>(bodies: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut codes = Vec::new();
    for body in bodies {
        for code in formula_domain::comment::reference_candidates(body) {
            if seen.insert(code.clone()) {
                codes.push(code);
            }
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words<'static> {
        let mut w = Words::default();
        w.mentions.insert("hannah.keller".into(), "Hannah <Keller>");
        w.references.insert("SD-101", "/drawings/1".into());
        w
    }

    #[test]
    fn the_markdown_subset_renders() {
        let html = to_html(
            "**bold** _it_ ~~old~~ `code`\n\n> quoted\n\n- one\n- two\n\n[site](https://example.com)",
            &Words::default(),
        );
        for part in [
            "<strong>bold</strong>",
            "<em>it</em>",
            "<del>old</del>",
            "<code>code</code>",
            "<blockquote>",
            "<li>one</li>",
            "<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">site</a>",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
    }

    #[test]
    fn mentions_and_references_are_marked_up_but_not_in_code() {
        let html = to_html(
            "Ask @hannah.keller. See SD-101, not `SD-101` or @nobody.",
            &words(),
        );
        assert!(
            html.contains("<span class=\"mention\">@Hannah &lt;Keller&gt;</span>."),
            "{html}"
        );
        assert!(
            html.contains("<a class=\"ref\" href=\"/drawings/1\" rel=\"noopener noreferrer nofollow\">SD-101</a>,"),
            "{html}"
        );
        assert!(html.contains("<code>SD-101</code>"), "{html}");
        assert!(html.contains("@nobody."), "{html}");
    }

    #[test]
    fn script_and_hostile_markup_come_out_inert() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "![x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<style>body{display:none}</style>",
            "<iframe src=//evil></iframe>",
        ] {
            let html = to_html(hostile, &words());
            let lower = html.to_lowercase();
            assert!(!lower.contains("<script"), "{hostile} → {html}");
            assert!(!lower.contains("<img"), "{hostile} → {html}");
            assert!(!lower.contains("<style"), "{hostile} → {html}");
            assert!(!lower.contains("<iframe"), "{hostile} → {html}");
            assert!(
                !lower.contains("<a href=\"javascript:"),
                "{hostile} → {html}"
            );
            assert!(!lower.contains("href=\"data:"), "{hostile} → {html}");
        }
    }
}
