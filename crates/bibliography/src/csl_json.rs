//! CSL-JSON: an array of CSL items (the Citation Style Language's data
//! schema, `csl-data.json`), as Zotero, Mendeley and citation.js export it.
//!
//! Each item is read on its own, so that one item of the wrong shape is
//! rejected with its line and the rest are kept.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::text::{clean, clean_or_empty, year_of};
use crate::{Parsed, Record, Unreadable, line_of};

/// The fields of a CSL item Curio reads; the schema has many more.
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    title: Option<String>,
    #[serde(default, rename = "abstract")]
    abstract_: Option<String>,
    #[serde(default)]
    author: Vec<Name>,
    #[serde(default, rename = "container-title")]
    container_title: Option<OneOrMany>,
    #[serde(default)]
    issued: Option<Date>,
    #[serde(default, rename = "DOI")]
    doi: Option<String>,
    #[serde(default, rename = "PMID")]
    pmid: Option<StringOrNumber>,
    #[serde(default, rename = "URL")]
    url: Option<String>,
}

/// A CSL name: parts, or a `literal` (organizations).
#[derive(Deserialize)]
struct Name {
    #[serde(default)]
    family: Option<String>,
    #[serde(default)]
    given: Option<String>,
    #[serde(default, rename = "non-dropping-particle")]
    particle: Option<String>,
    #[serde(default)]
    literal: Option<String>,
}

impl Name {
    fn display(&self) -> Option<String> {
        if let Some(literal) = self.literal.as_deref().and_then(clean) {
            return Some(literal);
        }
        let family = [self.particle.as_deref(), self.family.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(clean)
            .collect::<Vec<_>>()
            .join(" ");
        match (clean(&family), self.given.as_deref().and_then(clean)) {
            (Some(f), Some(g)) => Some(format!("{f}, {g}")),
            (f, g) => f.or(g),
        }
    }
}

/// A CSL date: `date-parts` (numbers or digit strings), else `raw` or
/// `literal` text.
#[derive(Deserialize)]
struct Date {
    #[serde(default, rename = "date-parts")]
    date_parts: Vec<Vec<StringOrNumber>>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    literal: Option<String>,
}

impl Date {
    fn year(&self) -> Option<i32> {
        let from_parts = self
            .date_parts
            .first()
            .and_then(|parts| parts.first())
            .and_then(|y| y.text().trim().parse().ok());
        from_parts
            .or_else(|| self.raw.as_deref().and_then(year_of))
            .or_else(|| self.literal.as_deref().and_then(year_of))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Number(serde_json::Number),
}

impl StringOrNumber {
    fn text(&self) -> String {
        match self {
            StringOrNumber::String(s) => s.clone(),
            StringOrNumber::Number(n) => n.to_string(),
        }
    }
}

/// Exporters disagree on whether `container-title` is a string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn first(&self) -> Option<&str> {
        match self {
            OneOrMany::One(s) => Some(s),
            OneOrMany::Many(v) => v.first().map(String::as_str),
        }
    }
}

impl From<Item> for Record {
    fn from(item: Item) -> Self {
        Record {
            title: clean_or_empty(item.title.as_deref().unwrap_or_default()),
            r#abstract: item.abstract_.as_deref().and_then(clean),
            authors: item.author.iter().filter_map(Name::display).collect(),
            journal: item
                .container_title
                .as_ref()
                .and_then(OneOrMany::first)
                .and_then(clean),
            pub_year: item.issued.as_ref().and_then(Date::year),
            doi: item.doi.as_deref().and_then(clean),
            pmid: item.pmid.as_ref().and_then(|p| clean(&p.text())),
            url: item.url.as_deref().and_then(clean),
        }
    }
}

pub(crate) fn parse(input: &str) -> Result<Parsed, Unreadable> {
    let unreadable = |e: serde_json::Error| Unreadable {
        line: e.line(),
        reason: format!("not CSL-JSON: {e}"),
    };
    let trimmed = input.trim_start();
    // One item on its own is a file of one item.
    let items: Vec<&RawValue> = if trimmed.starts_with('{') {
        vec![serde_json::from_str(input).map_err(unreadable)?]
    } else {
        serde_json::from_str(input).map_err(unreadable)?
    };
    let mut parsed = Parsed::default();
    for (i, raw) in items.into_iter().enumerate() {
        // The item's text lies inside `input`: its address says where.
        let offset = raw.get().as_ptr() as usize - input.as_ptr() as usize;
        let line = line_of(input, offset);
        match serde_json::from_str::<Item>(raw.get()) {
            Ok(item) => parsed.push(i + 1, line, item.into()),
            Err(e) => parsed.reject(i + 1, line, format!("not a CSL item: {e}")),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_items_and_rejects_one_of_the_wrong_shape_by_line() {
        let input = r#"[
  {"id": "a", "type": "article-journal", "title": "Gene  therapy\nworks",
   "author": [{"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"},
              {"literal": "WHO Study Group"}],
   "container-title": ["Nature"], "issued": {"date-parts": [["2019", 3]]},
   "DOI": "10.1038/xyz", "PMID": 123456},
  {"id": "b", "title": 17},
  {"id": "c", "author": []}
]"#;
        let parsed = parse(input).unwrap();
        assert_eq!(parsed.records.len(), 1);
        let r = &parsed.records[0].value;
        assert_eq!(r.title, "Gene therapy works");
        assert_eq!(r.authors, ["van Beethoven, Ludwig", "WHO Study Group"]);
        assert_eq!(r.journal.as_deref(), Some("Nature"));
        assert_eq!(r.pub_year, Some(2019));
        assert_eq!(r.pmid.as_deref(), Some("123456"));
        let rejected: Vec<(usize, usize)> =
            parsed.rejected.iter().map(|r| (r.record, r.line)).collect();
        assert_eq!(rejected, [(2, 7), (3, 8)]);
    }

    #[test]
    fn a_file_that_is_not_json_is_unreadable_at_its_line() {
        let err = parse("[\n{\"title\": \"x\"},\n{oops}\n]").unwrap_err();
        assert_eq!(err.line, 3);
    }
}
