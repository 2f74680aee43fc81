//! List pages: the current filters as a URL, sortable column headers and the pager.
//! Links are plain `href`s (they work without JavaScript); templates add `hx-get`
//! with the same URL so htmx can swap just the results.

use formula_app::query::{Dir, Page, Paging};

use crate::ui::forms::FormData;

/// Keys that belong to the list position rather than to its filters.
const POSITION_KEYS: &[&str] = &["page", "sort", "m", "limit"];

/// A list's path and its current filters, to build links that keep them.
pub struct ListUrl {
    path: String,
    filters: Vec<(String, String)>,
    sort: Option<String>,
}

impl ListUrl {
    /// Keeps the non-empty filter values among `keys` from the query.
    pub fn new(path: impl Into<String>, query: &FormData, keys: &[&str]) -> Self {
        let filters = keys
            .iter()
            .filter(|k| !POSITION_KEYS.contains(k))
            .filter_map(|k| query.opt(k).map(|v| ((*k).to_owned(), v)))
            .collect();
        ListUrl {
            path: path.into(),
            filters,
            sort: query.opt("sort"),
        }
    }

    fn build(&self, sort: Option<&str>, page: Option<u64>) -> String {
        let mut pairs: Vec<(&str, String)> = self
            .filters
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        if let Some(s) = sort {
            pairs.push(("sort", s.to_owned()));
        }
        if let Some(p) = page.filter(|p| *p > 1) {
            pairs.push(("page", p.to_string()));
        }
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if qs.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{qs}", self.path)
        }
    }

    /// This list (filters and sort) at page `n`.
    pub fn page(&self, n: u64) -> String {
        self.build(self.sort.as_deref(), Some(n))
    }

    /// This list, first page, sorted by `sort`.
    pub fn sorted(&self, sort: &str) -> String {
        self.build(Some(sort), None)
    }

    /// The current URL (filters, sort, first page).
    pub fn current(&self) -> String {
        self.build(self.sort.as_deref(), None)
    }

    /// The raw `sort` parameter.
    pub fn sort_param(&self) -> Option<&str> {
        self.sort.as_deref()
    }

    /// Whether any filter is set (for "clear filters" links and empty-state wording).
    pub fn filtered(&self) -> bool {
        !self.filters.is_empty()
    }
}

/// `url` with the flash code `m` appended (see `layout::Flash::from_code`).
pub fn with_flash(url: &str, code: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}m={code}")
}

/// A sortable column header.
pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending`, or empty when the list is not sorted by this column.
    pub aria_sort: &'static str,
    pub num: bool,
}

/// Headers for `columns` (`(key, label)`); clicking the sorted column flips the direction.
pub fn sort_links(
    url: &ListUrl,
    columns: &[(&'static str, &'static str)],
    active: (&str, Dir),
) -> Vec<SortLink> {
    columns
        .iter()
        .map(|(key, label)| {
            let is_active = *key == active.0;
            let (aria_sort, next) = match (is_active, active.1) {
                (true, Dir::Asc) => ("ascending", format!("-{key}")),
                (true, Dir::Desc) => ("descending", (*key).to_owned()),
                (false, _) => ("", (*key).to_owned()),
            };
            SortLink {
                label,
                href: url.sorted(&next),
                aria_sort,
                num: false,
            }
        })
        .collect()
}

/// The sort key and direction from a raw `sort` value (`-name` → `name`, descending).
pub fn active_sort<'a>(
    raw: Option<&'a str>,
    allowed: &[&str],
    default: (&'a str, Dir),
) -> (&'a str, Dir) {
    let Some(raw) = raw else { return default };
    let (dir, key) = match raw.strip_prefix('-') {
        Some(k) => (Dir::Desc, k),
        None => (Dir::Asc, raw),
    };
    if allowed.contains(&key) {
        (key, dir)
    } else {
        default
    }
}

/// One numbered page link.
pub struct PageLink {
    pub number: u64,
    pub href: String,
    pub current: bool,
    /// A gap ("…") shown before this link.
    pub gap_before: bool,
}

/// The pager under a list.
pub struct Pager {
    pub links: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// `Showing 51–100 of 230`.
    pub info: String,
}

impl Pager {
    pub fn new<T>(page: &Page<T>, url: &ListUrl) -> Pager {
        let pages = page.pages();
        let current = page.page.min(pages.max(1));
        let first = (current - 1) * u64::from(page.limit) + 1;
        let shown = page.items.len() as u64;
        let info = if page.total == 0 {
            "No results".to_owned()
        } else if shown == 0 {
            format!("Page {current} is past the end of {} results", page.total)
        } else {
            format!("Showing {first}–{} of {}", first + shown - 1, page.total)
        };
        let mut links = Vec::new();
        let mut last_shown = 0;
        if pages > 1 {
            for n in 1..=pages {
                if n == 1 || n == pages || n.abs_diff(current) <= 2 {
                    links.push(PageLink {
                        number: n,
                        href: url.page(n),
                        current: n == current,
                        gap_before: last_shown != 0 && n > last_shown + 1,
                    });
                    last_shown = n;
                }
            }
        }
        Pager {
            links,
            prev: (current > 1).then(|| url.page(current - 1)),
            next: (current < pages).then(|| url.page(current + 1)),
            info,
        }
    }
}

/// Paging from `page` in the query (bad values fall back to the first page).
pub fn paging(query: &FormData, limit: u32) -> Paging {
    let page = query
        .raw("page")
        .parse::<u64>()
        .ok()
        .filter(|p| (1..=1_000_000).contains(p));
    Paging::new(page, Some(limit)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_filters_and_flip_sort() {
        let q = FormData(vec![
            ("q".into(), "oak & ash".into()),
            ("status".into(), "".into()),
            ("sort".into(), "name".into()),
            ("page".into(), "3".into()),
        ]);
        let url = ListUrl::new("/clients", &q, &["q", "status"]);
        assert_eq!(url.page(2), "/clients?q=oak+%26+ash&sort=name&page=2");
        let links = sort_links(
            &url,
            &[("name", "Name"), ("status", "Status")],
            active_sort(url.sort_param(), &["name", "status"], ("name", Dir::Asc)),
        );
        assert_eq!(links[0].aria_sort, "ascending");
        assert_eq!(links[0].href, "/clients?q=oak+%26+ash&sort=-name");
        assert_eq!(links[1].href, "/clients?q=oak+%26+ash&sort=status");
    }

    #[test]
    fn pager_shows_neighbours_and_gaps() {
        let page = Page {
            items: vec![0; 10],
            total: 200,
            page: 10,
            limit: 10,
        };
        let url = ListUrl::new("/p", &FormData::default(), &[]);
        let p = Pager::new(&page, &url);
        let numbers: Vec<u64> = p.links.iter().map(|l| l.number).collect();
        assert_eq!(numbers, vec![1, 8, 9, 10, 11, 12, 20]);
        assert!(p.links[1].gap_before && !p.links[2].gap_before);
        assert_eq!(p.info, "Showing 91–100 of 200");
        assert_eq!(p.prev.as_deref(), Some("/p?page=9"));
    }
}
