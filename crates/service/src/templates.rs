//! Prompt templates: `{name}` placeholders, `{{` and `}}` for literal braces.

use std::collections::HashMap;

// The kinds of prompt are the LLM's stages (the summary pipeline's three
// and screening): one enum, so that a prompt, its LLM settings, its calls
// and its ledger rows name a stage alike.
use entity::enums::LlmStage;

/// The placeholders a template of this type may use.
pub fn placeholders(prompt: LlmStage) -> &'static [&'static str] {
    match prompt {
        LlmStage::ArticleSummary => &[
            "title",
            "abstract",
            "journal",
            "authors",
            "pub_year",
            "doi",
            "stream_name",
            "stream_purpose",
        ],
        LlmStage::CategorySummary => &[
            "category_name",
            "category_topics",
            "articles_summaries",
            "stream_name",
            "stream_purpose",
        ],
        LlmStage::ExecutiveSummary => &[
            "report_name",
            "articles_summaries",
            "categories_summaries",
            "stream_name",
            "stream_purpose",
        ],
        LlmStage::Screening => &[
            "criteria",
            "title",
            "abstract",
            "journal",
            "authors",
            "pub_year",
            "stream_name",
            "stream_purpose",
        ],
    }
}

/// The built-in prompt: (system prompt, user prompt template).
pub fn default_prompt(prompt: LlmStage) -> (&'static str, &'static str) {
    match prompt {
        LlmStage::ArticleSummary => (
            "You are a biomedical research analyst. Summarize articles for a research stream in two or three plain sentences: the finding, the evidence, why it matters for the stream.",
            "Research stream: {stream_name}\nPurpose: {stream_purpose}\n\nTitle: {title}\nJournal: {journal} ({pub_year})\nAuthors: {authors}\n\nAbstract:\n{abstract}",
        ),
        LlmStage::CategorySummary => (
            "You are a biomedical research analyst. Synthesize the article summaries of one category into one paragraph: common themes, notable results, open questions. Each article is listed with its number in brackets: end every sentence with the numbers of the articles it draws on, as [2] or [2, 5], and state no number those articles do not state.",
            "Research stream: {stream_name}\nPurpose: {stream_purpose}\nCategory: {category_name} (topics: {category_topics})\n\nArticle summaries:\n{articles_summaries}",
        ),
        LlmStage::ExecutiveSummary => (
            "You are a biomedical research analyst writing for busy executives. Write a short executive summary of the report: the three most important developments and what they mean for the stream's purpose. Each article is listed with its number in brackets: end every sentence with the numbers of the articles it draws on, as [2] or [2, 5], and state no number those articles do not state.",
            "Report: {report_name}\nResearch stream: {stream_name}\nPurpose: {stream_purpose}\n\nCategory summaries:\n{categories_summaries}\n\nArticle summaries:\n{articles_summaries}",
        ),
        // The answer is read as JSON (see `summaries::screening`); other
        // text is kept as the rationale with no score. No braces: system
        // prompts are checked as templates too.
        LlmStage::Screening => (
            "You screen scientific articles for a research stream against its inclusion criteria, as a systematic reviewer would. Answer with one JSON object and nothing else, with two members: \"relevance\", a number from 0 (clearly out of scope) to 1 (clearly in scope), and \"rationale\", one sentence saying why.",
            "Research stream: {stream_name}\nPurpose: {stream_purpose}\n\nInclusion criteria:\n{criteria}\n\nTitle: {title}\nJournal: {journal} ({pub_year})\nAuthors: {authors}\n\nAbstract:\n{abstract}",
        ),
    }
}

/// A template segment.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Text(&'a str),
    Literal(char),
    Field(&'a str),
}

/// Why a template is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}}")]
    UnknownPlaceholder(String),
    #[error("unbalanced brace at byte {0}: write {{{{ or }}}} for a literal brace")]
    Unbalanced(usize),
}

fn parse(template: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    let mut out = Vec::new();
    let bytes = template.as_bytes();
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push(Segment::Text(&template[start..i]));
                out.push(Segment::Literal('{'));
                i += 2;
                start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push(Segment::Text(&template[start..i]));
                out.push(Segment::Literal('}'));
                i += 2;
                start = i;
            }
            b'{' => {
                let end = template[i + 1..].find(['}', '{']).map(|e| e + i + 1);
                match end {
                    Some(end) if bytes[end] == b'}' => {
                        out.push(Segment::Text(&template[start..i]));
                        out.push(Segment::Field(&template[i + 1..end]));
                        i = end + 1;
                        start = i;
                    }
                    _ => return Err(TemplateError::Unbalanced(i)),
                }
            }
            b'}' => return Err(TemplateError::Unbalanced(i)),
            _ => i += 1,
        }
    }
    out.push(Segment::Text(&template[start..]));
    Ok(out)
}

/// Checks that a template parses and names only the placeholders of its type.
pub fn validate(prompt: LlmStage, template: &str) -> Result<(), TemplateError> {
    for segment in parse(template)? {
        if let Segment::Field(name) = segment
            && !placeholders(prompt).contains(&name)
        {
            return Err(TemplateError::UnknownPlaceholder(name.to_owned()));
        }
    }
    Ok(())
}

/// Renders a template; placeholders without a value render empty.
pub fn render(template: &str, values: &HashMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 256);
    for segment in parse(template)? {
        match segment {
            Segment::Text(t) => out.push_str(t),
            Segment::Literal(c) => out.push(c),
            Segment::Field(name) => {
                out.push_str(values.get(name).map(String::as_str).unwrap_or(""))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn renders_fields_and_escaped_braces() {
        let values = HashMap::from([("title", "CRISPR 🧬".to_owned())]);
        assert_eq!(
            render("T: {title} {{json}}", &values).unwrap(),
            "T: CRISPR 🧬 {json}"
        );
        assert_eq!(render("{abstract}", &values).unwrap(), "");
    }

    #[test]
    fn rejects_unknown_placeholders_and_unbalanced_braces() {
        assert_eq!(
            validate(LlmStage::ArticleSummary, "{title} {secret}"),
            Err(TemplateError::UnknownPlaceholder("secret".into()))
        );
        assert!(matches!(
            validate(LlmStage::ArticleSummary, "{title"),
            Err(TemplateError::Unbalanced(0))
        ));
        assert!(matches!(
            validate(LlmStage::ArticleSummary, "x } y"),
            Err(TemplateError::Unbalanced(2))
        ));
        assert!(
            validate(LlmStage::CategorySummary, "{title}").is_err(),
            "field of another type"
        );
        for p in LlmStage::iter() {
            let (system, user) = default_prompt(p);
            assert!(validate(p, system).is_ok() && validate(p, user).is_ok());
        }
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // A cheap exhaustive sweep over short strings of the risky characters.
        let alphabet = ['{', '}', 'a', 't', 'é', '🧬'];
        let mut stack = vec![String::new()];
        while let Some(s) = stack.pop() {
            let _ = render(&s, &HashMap::new());
            let _ = validate(LlmStage::ArticleSummary, &s);
            if s.chars().count() < 6 {
                for c in alphabet {
                    stack.push(format!("{s}{c}"));
                }
            }
        }
    }
}
