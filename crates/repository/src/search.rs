//! Full-text search over articles with each engine's own index (see the
//! migration `m20261203_000016_article_search`): SQLite FTS5, MariaDB
//! `FULLTEXT` in boolean mode, PostgreSQL `tsvector` (`simple`).
//!
//! The engines split text into words alike for letters and digits, but
//! differ beyond that: MariaDB skips words under three characters and a list
//! of stop words, SQLite and MariaDB fold accents while PostgreSQL's
//! `simple` configuration does not, and none stems (`trial` does not find
//! `trials`). So that one query finds the same articles everywhere, a query
//! is reduced to the words every engine indexes ([`SearchTerms`]), and an
//! article matches when it holds all of them.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, SimpleExpr};

/// Words of a query at most; more are ignored.
pub const MAX_TERMS: usize = 16;
/// InnoDB's `innodb_ft_min_token_size` and `innodb_ft_max_token_size`.
const MIN_CHARS: usize = 3;
const MAX_CHARS: usize = 84;

/// InnoDB's default full-text stop words: MariaDB does not index them, so
/// no engine is asked for them.
const STOP_WORDS: [&str; 35] = [
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how",
    "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "was", "what",
    "when", "where", "who", "will", "with", "und", "www",
];

/// The words of a query that every engine indexes: runs of letters and
/// digits, lowercase, of 3 to 84 characters, not stop words, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    /// The terms of `query`, or `None` when it holds none.
    pub fn parse(query: &str) -> Option<Self> {
        let mut terms: Vec<String> = Vec::new();
        for word in query.split(|c: char| !c.is_alphanumeric()) {
            let word = word.to_lowercase();
            let chars = word.chars().count();
            if (MIN_CHARS..=MAX_CHARS).contains(&chars)
                && !STOP_WORDS.contains(&word.as_str())
                && !terms.contains(&word)
            {
                terms.push(word);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        (!terms.is_empty()).then_some(Self(terms))
    }

    pub fn terms(&self) -> &[String] {
        &self.0
    }

    /// A condition on a query of `articles`: the article holds every term
    /// in its title, abstract, journal or authors.
    pub fn condition(&self, backend: DbBackend) -> SimpleExpr {
        match backend {
            DbBackend::MySql => Expr::cust_with_values(
                "MATCH (title, abstract, journal, authors_text) AGAINST (? IN BOOLEAN MODE)",
                [self.joined("+", " ")],
            ),
            DbBackend::Postgres => Expr::cust_with_values(
                "search @@ to_tsquery('simple', $1)",
                [self.joined("", " & ")],
            ),
            _ => Expr::cust_with_values(
                "id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)",
                // Quoted, each word is a plain term (never FTS5 syntax).
                [self
                    .0
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(" ")],
            ),
        }
    }

    fn joined(&self, prefix: &str, separator: &str) -> String {
        self.0
            .iter()
            .map(|t| format!("{prefix}{t}"))
            .collect::<Vec<_>>()
            .join(separator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_keeps_the_words_every_engine_indexes() {
        let terms = SearchTerms::parse("The T-cell trial, of CAR-T in MICE; mice!").unwrap();
        assert_eq!(terms.terms(), ["cell", "trial", "car", "mice"]);
        assert_eq!(SearchTerms::parse("of the a in"), None);
        // Query syntax of any engine is not passed on: only its words.
        assert_eq!(
            SearchTerms::parse("\"* OR NEAR(+-").unwrap().terms(),
            ["near"]
        );
    }
}
