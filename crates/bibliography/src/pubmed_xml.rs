//! PubMed XML (`efetch` with `db=pubmed&retmode=xml`, and PubMed's "XML"
//! export): a `PubmedArticleSet` of `PubmedArticle` and
//! `PubmedBookArticle` records, per NLM's `pubmed_250101.dtd`.
//!
//! Read with a streaming reader: the elements Curio keeps are recognised by
//! their parent, since the same names recur deeper (a `PMID` in
//! `CommentsCorrections`, an `ArticleIdList` in a `Reference`).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::text::{clean, year_of};
use crate::{Parsed, Record, Unreadable, line_of};

/// An element whose text the reader is collecting.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Pmid,
    ArticleTitle,
    BookTitle,
    AbstractText { label: Option<String> },
    LastName,
    ForeName,
    CollectiveName,
    JournalTitle,
    JournalAbbreviation,
    PubYear,
    MedlineDate,
    Doi,
}

/// One record being read.
#[derive(Default)]
struct Draft {
    pmid: Option<String>,
    article_title: Option<String>,
    book_title: Option<String>,
    sections: Vec<String>,
    authors: Vec<String>,
    /// The parts of the author being read: last, fore, collective.
    author: Option<[Option<String>; 3]>,
    journal: Option<String>,
    journal_abbreviation: Option<String>,
    year: Option<i32>,
    doi: Option<String>,
}

impl Draft {
    fn keep(&mut self, target: Target, text: &str) {
        let Some(text) = clean(text) else { return };
        let first = |slot: &mut Option<String>, text: String| {
            slot.get_or_insert(text);
        };
        match target {
            Target::Pmid => first(&mut self.pmid, text),
            Target::ArticleTitle => first(&mut self.article_title, text),
            Target::BookTitle => first(&mut self.book_title, text),
            Target::AbstractText { label } => self.sections.push(match label {
                Some(label) => format!("{label}: {text}"),
                None => text,
            }),
            Target::LastName | Target::ForeName | Target::CollectiveName => {
                let index = match target {
                    Target::LastName => 0,
                    Target::ForeName => 1,
                    _ => 2,
                };
                if let Some(parts) = self.author.as_mut() {
                    parts[index].get_or_insert(text);
                }
            }
            Target::JournalTitle => first(&mut self.journal, text),
            Target::JournalAbbreviation => first(&mut self.journal_abbreviation, text),
            Target::PubYear | Target::MedlineDate => {
                if self.year.is_none() {
                    self.year = year_of(&text);
                }
            }
            Target::Doi => first(&mut self.doi, text),
        }
    }

    fn end_author(&mut self) {
        if let Some([last, fore, collective]) = self.author.take() {
            let name = match (last, fore, collective) {
                (Some(l), Some(f), _) => Some(format!("{l}, {f}")),
                (Some(l), None, _) => Some(l),
                (None, _, c) => c,
            };
            self.authors.extend(name);
        }
    }

    fn into_record(self) -> Record {
        Record {
            title: self.article_title.or(self.book_title).unwrap_or_default(),
            r#abstract: (!self.sections.is_empty()).then(|| self.sections.join("\n\n")),
            authors: self.authors,
            journal: self.journal.or(self.journal_abbreviation),
            pub_year: self.year,
            doi: self.doi,
            url: self
                .pmid
                .as_ref()
                .map(|p| format!("https://pubmed.ncbi.nlm.nih.gov/{p}/")),
            pmid: self.pmid,
        }
    }
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let value = e.try_get_attribute(name).ok()??.value;
    quick_xml::escape::unescape(&value)
        .ok()
        .map(|v| v.into_owned())
}

/// What an opening element starts collecting, given its parents.
fn target_of(e: &BytesStart<'_>, name: &str, parent: &str, grandparent: &str) -> Option<Target> {
    let in_record = |p: &str| p == "Article" || p == "BookDocument";
    Some(match (name, parent) {
        ("PMID", "MedlineCitation" | "BookDocument") => Target::Pmid,
        ("ArticleTitle", p) if in_record(p) => Target::ArticleTitle,
        ("BookTitle", "Book") => Target::BookTitle,
        ("AbstractText", "Abstract") if in_record(grandparent) => Target::AbstractText {
            label: attribute(e, "Label").and_then(|l| clean(&l)),
        },
        ("LastName", "Author") => Target::LastName,
        ("ForeName", "Author") => Target::ForeName,
        ("CollectiveName", "Author") => Target::CollectiveName,
        ("Title", "Journal") => Target::JournalTitle,
        ("ISOAbbreviation", "Journal") => Target::JournalAbbreviation,
        ("Year", "PubDate") if matches!(grandparent, "JournalIssue" | "Book") => Target::PubYear,
        ("MedlineDate", "PubDate") if grandparent == "JournalIssue" => Target::MedlineDate,
        ("ELocationID", "Article") if attribute(e, "EIdType").as_deref() == Some("doi") => {
            Target::Doi
        }
        ("ArticleId", "ArticleIdList")
            if matches!(grandparent, "PubmedData" | "PubmedBookData")
                && attribute(e, "IdType").as_deref() == Some("doi") =>
        {
            Target::Doi
        }
        _ => return None,
    })
}

fn is_record(name: &str) -> bool {
    name == "PubmedArticle" || name == "PubmedBookArticle"
}

pub(crate) fn parse(input: &str) -> Result<Parsed, Unreadable> {
    let mut reader = Reader::from_str(input);
    reader.config_mut().trim_text(false);
    let mut parsed = Parsed::default();
    let mut stack: Vec<String> = Vec::new();
    // The record being read: its number, line and fields.
    let mut draft: Option<(usize, usize, Draft)> = None;
    let mut count = 0;
    // The element whose text is being collected, its depth and the text.
    let mut capture: Option<(Target, usize, String)> = None;
    // Authors of an editors' list are not the work's authors.
    let mut editors_depth: Option<usize> = None;
    let unreadable = |reader: &Reader<&[u8]>, reason: String| Unreadable {
        line: line_of(input, reader.error_position() as usize),
        reason,
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| unreadable(&reader, format!("not well-formed XML: {e}")))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if stack.is_empty() && name != "PubmedArticleSet" && name != "PubmedBookArticleSet"
                {
                    return Err(Unreadable {
                        line: line_of(input, reader.buffer_position() as usize),
                        reason: format!(
                            "not PubMed XML: the root element is <{name}>, not <PubmedArticleSet>"
                        ),
                    });
                }
                let parent = stack.last().map_or("", String::as_str);
                let grandparent = stack.len().checked_sub(2).map_or("", |i| stack[i].as_str());
                if is_record(&name) && stack.len() == 1 {
                    count += 1;
                    let line = line_of(input, reader.buffer_position() as usize - 1);
                    draft = Some((count, line, Draft::default()));
                } else if let Some((_, _, d)) = draft.as_mut() {
                    if name == "AuthorList" && attribute(&e, "Type").as_deref() == Some("editors") {
                        editors_depth = Some(stack.len() + 1);
                    }
                    if name == "Author"
                        && parent == "AuthorList"
                        && matches!(grandparent, "Article" | "BookDocument")
                        && editors_depth.is_none()
                    {
                        d.author = Some([None, None, None]);
                    }
                    if capture.is_none()
                        && let Some(target) = target_of(&e, &name, parent, grandparent)
                    {
                        capture = Some((target, stack.len() + 1, String::new()));
                    }
                }
                stack.push(name);
            }
            Event::End(_) => {
                let depth = stack.len();
                if let Some((target, at, text)) = capture.take_if(|(_, at, _)| *at == depth)
                    && let Some((_, _, d)) = draft.as_mut()
                {
                    debug_assert_eq!(at, depth);
                    d.keep(target, &text);
                }
                let name = stack.pop().unwrap_or_default();
                if editors_depth == Some(depth) {
                    editors_depth = None;
                }
                if let Some((_, _, d)) = draft.as_mut()
                    && name == "Author"
                {
                    d.end_author();
                }
                if is_record(&name)
                    && stack.len() == 1
                    && let Some((n, line, d)) = draft.take()
                {
                    parsed.push(n, line, d.into_record());
                }
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = capture.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, _, text)) = capture.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| unreadable(&reader, format!("unknown entity &{};", &*r)))?
                        .to_owned(),
                    Err(e) => {
                        return Err(unreadable(&reader, format!("bad character reference: {e}")));
                    }
                };
                if let Some((_, _, text)) = capture.as_mut() {
                    text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(Unreadable {
            line: line_of(input, input.len()),
            reason: format!(
                "the file ends inside <{}>",
                stack.last().map_or("", String::as_str)
            ),
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet>
<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">31978945</PMID>
    <Article PubModel="Print-Electronic">
      <Journal>
        <JournalIssue CitedMedium="Internet"><PubDate><Year>2020</Year><Month>Feb</Month></PubDate></JournalIssue>
        <Title>The New England journal of medicine</Title>
        <ISOAbbreviation>N Engl J Med</ISOAbbreviation>
      </Journal>
      <ArticleTitle>A Novel Coronavirus from Patients with Pneumonia in China, 2019 &amp; <i>beyond</i>.</ArticleTitle>
      <ELocationID EIdType="doi" ValidYN="Y">10.1056/NEJMoa2001017</ELocationID>
      <Abstract>
        <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">A cluster of
          patients.</AbstractText>
        <AbstractText Label="METHODS">We sequenced&#x2009;genomes.</AbstractText>
      </Abstract>
      <AuthorList CompleteYN="Y">
        <Author ValidYN="Y"><LastName>Zhu</LastName><ForeName>Na</ForeName><Initials>N</Initials></Author>
        <Author ValidYN="Y"><CollectiveName>China Novel Coronavirus Investigating and Research Team</CollectiveName></Author>
      </AuthorList>
    </Article>
    <CommentsCorrectionsList>
      <CommentsCorrections RefType="CommentIn"><RefSource>N Engl J Med.</RefSource><PMID Version="1">99999999</PMID></CommentsCorrections>
    </CommentsCorrectionsList>
  </MedlineCitation>
  <PubmedData>
    <ArticleIdList><ArticleId IdType="pubmed">31978945</ArticleId><ArticleId IdType="doi">10.1056/other</ArticleId></ArticleIdList>
    <ReferenceList><Reference><ArticleIdList><ArticleId IdType="doi">10.1/reference</ArticleId></ArticleIdList></Reference></ReferenceList>
  </PubmedData>
</PubmedArticle>
<PubmedArticle>
  <MedlineCitation><PMID Version="1">2</PMID><Article><Journal><Title>J</Title></Journal></Article></MedlineCitation>
</PubmedArticle>
</PubmedArticleSet>
"#;

    #[test]
    fn reads_the_record_and_not_the_ids_of_comments_or_references() {
        let parsed = parse(SAMPLE).unwrap();
        assert_eq!(parsed.records.len(), 1);
        let located = &parsed.records[0];
        assert_eq!((located.record, located.line), (1, 4));
        let r = &located.value;
        assert_eq!(r.pmid.as_deref(), Some("31978945"));
        assert_eq!(
            r.title,
            "A Novel Coronavirus from Patients with Pneumonia in China, 2019 & beyond."
        );
        assert_eq!(
            r.r#abstract.as_deref(),
            Some("BACKGROUND: A cluster of patients.\n\nMETHODS: We sequenced genomes.")
        );
        assert_eq!(
            r.authors,
            [
                "Zhu, Na",
                "China Novel Coronavirus Investigating and Research Team"
            ]
        );
        assert_eq!(
            r.journal.as_deref(),
            Some("The New England journal of medicine")
        );
        assert_eq!(r.pub_year, Some(2020));
        assert_eq!(r.doi.as_deref(), Some("10.1056/NEJMoa2001017"));
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(
            (parsed.rejected[0].record, parsed.rejected[0].line),
            (2, 34)
        );
    }

    #[test]
    fn malformed_xml_is_unreadable_at_its_line() {
        let err = parse("<PubmedArticleSet>\n<PubmedArticle>\n</Oops>\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        let err = parse("<html></html>").unwrap_err();
        assert!(err.reason.contains("not PubMed XML"), "{err}");
        let err = parse("<PubmedArticleSet><PubmedArticle>").unwrap_err();
        assert!(err.reason.contains("ends inside"), "{err}");
    }
}
