//! What each prompt is filled with: one builder per prompt type, shared by
//! runs and previews so that a preview shows the prompt a run would send.

use std::collections::HashMap;

use repository::articles::Article;
use repository::streams::Stream;

use crate::streams::Category;
use crate::{ConflictKind, ServiceError};

use super::templates;
use entity::enums::LlmStage;

/// A template's placeholder values by name.
pub(super) type Values = HashMap<&'static str, String>;

/// The stream's own fields, in every prompt.
fn stream_values(stream: &Stream) -> Values {
    HashMap::from([
        ("stream_name", stream.stream_name.clone()),
        ("stream_purpose", stream.purpose.clone()),
    ])
}

/// The article-summary prompt's values for one article.
pub(super) fn article(stream: &Stream, article: &Article) -> Values {
    let mut values = stream_values(stream);
    values.extend([
        ("title", article.title.clone()),
        ("abstract", article.r#abstract.clone().unwrap_or_default()),
        ("journal", article.journal.clone().unwrap_or_default()),
        (
            "pub_year",
            article.pub_year.map(|y| y.to_string()).unwrap_or_default(),
        ),
        ("doi", article.doi.clone().unwrap_or_default()),
        ("authors", article.authors.join(", ")),
    ]);
    values
}

/// The category-summary prompt's values: the category and its articles'
/// lines (see [`listed`]).
pub(super) fn category(stream: &Stream, category: &Category, lines: &[String]) -> Values {
    let mut values = stream_values(stream);
    values.extend([
        ("category_name", category.name.clone()),
        ("category_topics", category.topics.join(", ")),
        ("articles_summaries", lines.join("\n")),
    ]);
    values
}

/// The executive-summary prompt's values: every article's line and every
/// category summary, under the category's name (its id when the stream no
/// longer names it).
pub(super) fn executive<'a>(
    stream: &Stream,
    categories: &[Category],
    report_name: &str,
    article_lines: &[String],
    category_summaries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Values {
    let name_of = |id: &'a str| -> &str {
        categories
            .iter()
            .find(|c| c.id == id && !c.name.trim().is_empty())
            .map_or(id, |c| c.name.as_str())
    };
    let mut values = stream_values(stream);
    values.extend([
        ("report_name", report_name.to_owned()),
        ("articles_summaries", article_lines.join("\n")),
        (
            "categories_summaries",
            category_summaries
                .into_iter()
                .map(|(id, text)| format!("- {}: {text}", name_of(id)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]);
    values
}

/// One article as the category and executive prompts list it: with its
/// number in the report, which its citation markers use (`[3]`).
pub(super) fn listed(number: usize, title: &str, summary: &str) -> String {
    format!("- [{number}] {title}: {summary}")
}

/// Renders a stream's template. Templates are checked when a stream is
/// saved, so a failure here is a stored template the renderer refuses: the
/// stream's owner must fix it, nothing is sent.
pub(super) fn render(
    prompt: LlmStage,
    template: &str,
    values: &Values,
) -> Result<String, ServiceError> {
    templates::render(template, values).map_err(|e| {
        ConflictKind::TemplateInvalid.because(format!(
            "the stream's {} template does not render: {e}",
            prompt
        ))
    })
}
