//! Global search: what can be found, how a typed query becomes words (the last one a
//! prefix), which hits an actor may see (turned into SQL by the store), and where the words
//! of a query occur in a text, for highlighting.
//!
//! Text is cut into words at anything that is not a letter or a digit, lower-cased, with the
//! accents of Latin letters removed: what SQLite's FTS5 `unicode61` tokenizer does
//! (`remove_diacritics 2`) and PostgreSQL's `search_text` (migration 0018) repeats.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::authz::{
    Action, Actor, ClientScope, ProjectScope, Resource, authorize, client_scope, project_scope,
};
use crate::user::Role;

/// The most words of a query that count; the rest are ignored.
pub const MAX_WORDS: usize = 8;
/// A word longer than this is cut (nobody types one; a pasted hash would cost the index).
pub const MAX_WORD_CHARS: usize = 64;
/// How many of the newest matches of each kind are ranked and counted. A group with more
/// says so ("200+") rather than counting thousands of records on every keystroke; the best
/// of the newest are what a person looking for something recent wants.
pub const RANKED: u32 = 200;

/// Something a search finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Project,
    Client,
    Task,
    ScopeItem,
    Drawing,
    Spec,
    Comment,
    Person,
}

impl SearchKind {
    /// In the order results are shown.
    pub const ALL: [SearchKind; 8] = [
        SearchKind::Project,
        SearchKind::Client,
        SearchKind::Task,
        SearchKind::ScopeItem,
        SearchKind::Drawing,
        SearchKind::Spec,
        SearchKind::Comment,
        SearchKind::Person,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Project => "project",
            SearchKind::Client => "client",
            SearchKind::Task => "task",
            SearchKind::ScopeItem => "scope_item",
            SearchKind::Drawing => "drawing",
            SearchKind::Spec => "spec",
            SearchKind::Comment => "comment",
            SearchKind::Person => "person",
        }
    }

    /// The heading of a group of results.
    pub fn plural(self) -> &'static str {
        match self {
            SearchKind::Project => "Projects",
            SearchKind::Client => "Clients",
            SearchKind::Task => "Tasks",
            SearchKind::ScopeItem => "Scope items",
            SearchKind::Drawing => "Drawings",
            SearchKind::Spec => "Specifications",
            SearchKind::Comment => "Comments",
            SearchKind::Person => "People",
        }
    }
}

impl std::fmt::Display for SearchKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SearchKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SearchKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                "must be project, client, task, scope_item, drawing, spec, comment or person"
                    .to_owned()
            })
    }
}

/// Latin letters with accents (and capitals without a lower case of their own in every
/// database locale), U+00C0–U+024F, and what each becomes: exactly SQLite's `unicode61`
/// folding with `remove_diacritics 2`. The same table is in PostgreSQL's `search_text`
/// (migration 0018; a storage test checks).
pub const FOLD_FROM: &str = "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦĨĩĪīĬĭĮįİĲĴĵĶķĹĺĻļĽľĿŁŃńŅņŇňŊŌōŎŏŐőŒŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƠơƢƤƦƧƩƬƮƯưƱƲƳƵƷƸƼǄǅǇǈǊǋǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǢǤǦǧǨǩǪǫǬǭǮǰǱǲǴǵǶǷǸǹǺǻǼǾȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȜȞȟȠȢȤȦȧȨȩȪȫȬȭȮȯȰȱȲȳȺȻȽȾɁɃɄɅɆɈɊɌɎ";
/// See [`FOLD_FROM`]: the character each one becomes, in the same position.
pub const FOLD_TO: &str = "aaaaaaæceeeeiiiiðnoooooøuuuuyþaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddđeeeeeeeeeegggggggghhħiiiiiiiiiĳjjkkllllllŀłnnnnnnŋooooooœrrrrrrssssssssttttŧuuuuuuuuuuuuwwyyyzzzzzzsɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵooƣƥʀƨʃƭʈuuʊʋƴƶʒƹƽǆǆǉǉǌǌaaiioouuuuuuuuuuaaǡǣǥggkkooooǯjǳǳggƕƿnnaaǽǿaaaaeeeeiiiioooorrrruuuussttȝhhƞȣȥaaeeooooooooyyⱥȼƚⱦɂƀʉʌɇɉɋɍɏ";

/// One character as the index keeps it.
fn fold(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if ('\u{C0}'..='\u{24F}').contains(&c)
        && let Some(i) = FOLD_FROM.chars().position(|f| f == c)
        && let Some(t) = FOLD_TO.chars().nth(i)
    {
        out.push(t);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// A word as the index keeps it.
pub fn fold_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        fold(c, &mut out);
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Where the words of `text` are: byte ranges.
fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                ranges.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        ranges.push((s, text.len()));
    }
    ranges
}

/// What a query asks for: all of its words, the last one also as the start of a longer
/// word. Built from what a person typed; anything that is not a letter or a digit separates
/// words and is otherwise ignored, so nothing typed is read as query syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// Folded words, at most [`MAX_WORDS`], without repeats.
    pub words: Vec<String>,
    /// The last word also matches longer words it starts (not when it is a single character:
    /// that would match a good part of the index and find nothing in particular).
    pub prefix: bool,
}

impl Terms {
    /// The words of `q`.
    pub fn parse(q: &str) -> Terms {
        let mut words: Vec<String> = Vec::new();
        for (s, e) in word_ranges(q) {
            let word: String = fold_word(&q[s..e]).chars().take(MAX_WORD_CHARS).collect();
            if let Some(at) = words.iter().position(|w| *w == word) {
                // A repeat counts once, where it was last typed (it may be the prefix).
                words.remove(at);
            }
            words.push(word);
        }
        if words.len() > MAX_WORDS {
            words.drain(..words.len() - MAX_WORDS);
        }
        let prefix = words.last().is_some_and(|w| w.chars().count() > 1);
        Terms { words, prefix }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The query for SQLite's FTS5 `MATCH`: each word quoted (words hold only letters and
    /// digits, so a quote cannot occur), the last followed by `*` when it is a prefix.
    pub fn fts5(&self) -> String {
        let last = self.words.len().saturating_sub(1);
        self.words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == last && self.prefix {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The words separated by spaces (PostgreSQL's `search_query` builds its tsquery from them).
    pub fn plain(&self) -> String {
        self.words.join(" ")
    }

    /// Whether a word of a text (as found there) matches.
    fn matches(&self, word: &str) -> bool {
        let word = fold_word(word);
        let last = self.words.len().saturating_sub(1);
        self.words
            .iter()
            .enumerate()
            .any(|(i, w)| *w == word || (i == last && self.prefix && word.starts_with(w.as_str())))
    }
}

/// A piece of text, marked when it is a word the query matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// `text` in pieces, the words that match `terms` marked. Joined, the pieces are `text`.
pub fn highlight(text: &str, terms: &Terms) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |text: &str, hit: bool| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(text),
            _ => out.push(Segment {
                text: text.to_owned(),
                hit,
            }),
        }
    };
    let mut at = 0;
    for (s, e) in word_ranges(text) {
        if terms.matches(&text[s..e]) {
            push(&text[at..s], false);
            push(&text[s..e], true);
            at = e;
        }
    }
    push(&text[at..], false);
    out
}

/// At most about `max_chars` characters of `text` around the first word that matches (its
/// start when none does), white space collapsed, with `…` where it was cut, the matching
/// words marked. Empty for an empty text.
pub fn snippet(text: &str, terms: &Terms, max_chars: usize) -> Vec<Segment> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let words = word_ranges(&text);
    let first_hit = words.iter().find(|(s, e)| terms.matches(&text[*s..*e]));
    // Start a few words before the first hit, so it is read in its sentence.
    let lead = max_chars / 4;
    let start = match first_hit {
        Some((s, _)) if text[..*s].chars().count() > lead => {
            let target = *s
                - text[..*s]
                    .chars()
                    .rev()
                    .take(lead)
                    .map(char::len_utf8)
                    .sum::<usize>();
            // The start of the first word from there (or the hit itself).
            words
                .iter()
                .map(|(ws, _)| *ws)
                .find(|ws| *ws >= target)
                .unwrap_or(*s)
        }
        _ => 0,
    };
    let rest = &text[start..];
    let mut end = start + rest.len();
    if rest.chars().count() > max_chars {
        let limit = start
            + rest
                .chars()
                .take(max_chars)
                .map(char::len_utf8)
                .sum::<usize>();
        // Cut after the last whole word that fits.
        end = words
            .iter()
            .map(|(_, we)| *we)
            .rfind(|we| *we > start && *we <= limit)
            .unwrap_or(limit);
    }
    let mut out = Vec::new();
    if start > 0 {
        out.push(Segment {
            text: "…".into(),
            hit: false,
        });
    }
    out.extend(highlight(&text[start..end], terms));
    if end < text.len() {
        out.push(Segment {
            text: "…".into(),
            hit: false,
        });
    }
    out
}

/// Which people a search may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleScope {
    /// Everyone (those who may read the user directory).
    All,
    /// The caller, the active people on the teams of the projects the caller sees, and the
    /// active users of the caller's own client organisation.
    Related {
        user_id: Uuid,
        client_id: Option<Uuid>,
    },
}

/// What a search may return to an actor: the same rules as the pages, expressed for SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchScope {
    /// The projects whose records (tasks, scope items, drawings, specifications, comments)
    /// may be found, as for project lists.
    pub projects: ProjectScope,
    /// The contractor's side: scope items (prices are internal), drafts of drawings and
    /// specifications, and internal comments. A client user sees none of them: only
    /// drawings with a revision submitted to them, specifications past draft, and comments
    /// marked visible to the client on records they can see.
    pub internal: bool,
    pub clients: ClientScope,
    pub people: PeopleScope,
}

/// The search scope of an actor.
pub fn search_scope(actor: &Actor) -> SearchScope {
    SearchScope {
        projects: project_scope(actor),
        internal: actor.role != Role::Client,
        clients: client_scope(actor),
        people: if authorize(actor, Action::ListUsers, &Resource::Global) {
            PeopleScope::All
        } else {
            PeopleScope::Related {
                user_id: actor.user_id,
                client_id: actor.client_id,
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Terms {
        Terms::parse(q)
    }

    fn marked(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| {
                if s.hit {
                    format!("[{}]", s.text)
                } else {
                    s.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn queries_become_words_with_the_last_a_prefix() {
        let t = terms("  Oak VENEER, ven");
        assert_eq!(t.words, ["oak", "veneer", "ven"]);
        assert!(t.prefix);
        assert_eq!(t.fts5(), "\"oak\" \"veneer\" \"ven\"*");
        assert_eq!(t.plain(), "oak veneer ven");
        // Syntax is only separators: nothing reaches the database as an operator.
        let t = terms("a\" OR * NEAR(b) & c:* -d");
        assert_eq!(t.words, ["a", "or", "near", "b", "c", "d"]);
        assert!(!t.prefix, "a single letter is not a prefix");
        assert_eq!(t.fts5(), "\"a\" \"or\" \"near\" \"b\" \"c\" \"d\"");
        assert!(terms("!!! ---").is_empty());
        assert!(terms("").is_empty());
        // Codes split where the index splits them; accents fold as the index folds them.
        assert_eq!(terms("FPM-26-001").words, ["fpm", "26", "001"]);
        assert_eq!(
            terms("Éric Ångström Straße").words,
            ["eric", "angstrom", "straße"]
        );
        // Repeats count once; at most MAX_WORDS, the last ones typed.
        assert_eq!(terms("oak oak").words, ["oak"]);
        let many = terms("a b c d e f g h i jj");
        assert_eq!(many.words.len(), MAX_WORDS);
        assert_eq!(many.words.last().map(String::as_str), Some("jj"));
        assert!(many.prefix);
        assert_eq!(terms(&"x".repeat(500)).words[0].len(), MAX_WORD_CHARS);
    }

    #[test]
    fn the_fold_table_pairs_each_letter_with_one() {
        assert_eq!(FOLD_FROM.chars().count(), FOLD_TO.chars().count());
        assert_eq!(fold_word("ÀÉÎÕÜ Çå"), "aeiou ca");
        assert_eq!(fold_word("ΩMEGA"), "ωmega");
    }

    #[test]
    fn highlights_whole_words_and_the_prefix() {
        let t = terms("oak ven");
        assert_eq!(
            marked(&highlight("Oak veneer, oakwood and Venice: oak.", &t)),
            "[Oak] [veneer], oakwood and [Venice]: [oak]."
        );
        // Accents and case do not matter, as in the index.
        assert_eq!(
            marked(&highlight("Café ÉCLAIR", &terms("cafe eclair"))),
            "[Café] [ÉCLAIR]"
        );
        // Nothing is lost or added: the pieces are the text.
        let text = "<img src=x onerror=alert(1)> oak";
        let joined: String = highlight(text, &t)
            .iter()
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn snippets_centre_on_the_first_hit() {
        let t = terms("walnut");
        let text = format!(
            "{} walnut edge banding {}",
            "lorem ipsum ".repeat(20),
            "dolor ".repeat(20)
        );
        let s = marked(&snippet(&text, &t, 60));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("[walnut] edge banding"), "{s}");
        assert!(s.chars().count() <= 60 + 4, "{s}");
        // Short text whole; no hit: its start.
        assert_eq!(
            marked(&snippet("Walnut  top\n\nrail", &t, 60)),
            "[Walnut] top rail"
        );
        assert_eq!(marked(&snippet(&"ab ".repeat(50), &t, 10)), "ab ab ab…");
        assert!(snippet("", &t, 10).is_empty());
    }

    #[test]
    fn scopes_follow_the_roles() {
        let actor = |role: Role| Actor {
            user_id: Uuid::from_u128(1),
            name: "A".into(),
            role,
            client_id: (role == Role::Client).then(|| Uuid::from_u128(100)),
        };
        let admin = search_scope(&actor(Role::Admin));
        assert_eq!(admin.projects, ProjectScope::All);
        assert!(admin.internal);
        assert_eq!(admin.people, PeopleScope::All);
        let designer = search_scope(&actor(Role::Designer));
        assert_eq!(
            designer.projects,
            ProjectScope::MemberOf(Uuid::from_u128(1))
        );
        assert!(designer.internal);
        assert!(matches!(designer.people, PeopleScope::Related { .. }));
        assert_eq!(
            search_scope(&actor(Role::ProjectManager)).people,
            PeopleScope::All
        );
        assert_eq!(
            search_scope(&actor(Role::Craftsman)).clients,
            ClientScope::None
        );
        let client = search_scope(&actor(Role::Client));
        assert_eq!(
            client.projects,
            ProjectScope::OfClient(Uuid::from_u128(100))
        );
        assert!(!client.internal);
        assert_eq!(client.clients, ClientScope::Only(Uuid::from_u128(100)));
        assert_eq!(
            client.people,
            PeopleScope::Related {
                user_id: Uuid::from_u128(1),
                client_id: Some(Uuid::from_u128(100))
            }
        );
    }
}
