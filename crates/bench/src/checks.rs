//! S12: what reading and checking a report's summaries costs. The checks
//! run on the stored text each time a report is read (no statement of
//! their own), so their cost is CPU per read: here the summaries of an
//! 8-article report (an executive summary and three category summaries,
//! 14 sentences with percentages, counts, p-values and doses) read as cited
//! sentences and checked against the articles' titles and abstracts, as
//! `service::summary_checks` does, on one thread.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

/// What one measurement found.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ChecksCost {
    pub reports: u32,
    pub sentences_per_report: usize,
    pub flags_per_report: usize,
    pub micros_per_report: f64,
}

const ABSTRACTS: [&str; 8] = [
    "PD-1 blockade in melanoma. Of 412 patients, 16% had a complete response at 12 months (p = 0.003).",
    "CAR-T cells in lymphoma. An infusion of 2 × 10^6 cells/kg gave a response in 84 percent of 58 patients.",
    "IL-6 and exhaustion. IL-6 rose 3.2-fold in exhausted CD8 T cells; blockade lowered it by 40%.",
    "RASA2 knockout. RASA2 loss extended T cell persistence from 14 to 35 days in mice (n = 24).",
    "Neoantigen vaccines. 30% of 120 patients mounted a response to at least 5 of 20 neoantigens.",
    "TIL therapy. Tumour-infiltrating lymphocytes gave a 49% response rate in 2023 in 168 patients.",
    "Microbiome and checkpoints. Fecal transfer raised response from 20% to 35% (p < 0.05).",
    "Dosing. 200 mg every 3 weeks matched 400 mg every 6 weeks in 1,200 patients.",
];

const EXECUTIVE: &str = "PD-1 blockade gave complete responses in 16% of 412 patients [1]. \
    CAR-T cells at 2 × 10^6 cells/kg reached 84 percent [2]. \
    RASA2 loss extended persistence to 35 days [4]. \
    Fecal transfer raised responses to 35% [7], and dosing every 6 weeks matched every 3 weeks [8]. \
    Neoantigen vaccines reached 31% of patients [5].";

const CATEGORIES: [(&str, &str, [usize; 3]); 3] = [
    (
        "checkpoint",
        "Complete responses reached 16 % at 12 months [1]. Fecal transfer raised response from 20% to 35% [7]. 400 mg every 6 weeks matched 200 mg every 3 weeks [8].",
        [0, 6, 7],
    ),
    (
        "cell_therapy",
        "CAR-T cells responded in 84% of 58 patients [2]. TIL therapy gave a 49% response rate [6]. RASA2 knockout extended persistence from 14 to 35 days [4].",
        [1, 5, 3],
    ),
    (
        "mechanisms",
        "IL-6 rose 3.2-fold in exhausted CD8 T cells [3]. Blockade lowered it by 40% [3]. Responses to 5 of 20 neoantigens were seen [5, 9].",
        [2, 4, 2],
    ),
];

/// The report's articles and what each summary may cite.
struct Corpus {
    numbering: Vec<i32>,
    all: HashMap<i32, String>,
    categories: Vec<HashMap<i32, String>>,
}

impl Corpus {
    fn new() -> Self {
        let numbering: Vec<i32> = (101..109).collect();
        let source = |i: usize| (numbering[i], ABSTRACTS[i].to_owned());
        Corpus {
            all: (0..ABSTRACTS.len()).map(source).collect(),
            categories: CATEGORIES
                .iter()
                .map(|(_, _, members)| members.iter().map(|i| source(*i)).collect())
                .collect(),
            numbering,
        }
    }

    /// Every summary read and checked: its sentences and their flags.
    fn check(&self) -> (usize, Vec<citations::Flag>) {
        let summaries = std::iter::once((EXECUTIVE, &self.all)).chain(
            CATEGORIES
                .iter()
                .zip(&self.categories)
                .map(|((_, text, _), citable)| (*text, citable)),
        );
        let mut sentences = 0;
        let mut flags = Vec::new();
        for (text, citable) in summaries {
            let cited = citations::read(black_box(text), black_box(&self.numbering));
            for sentence in &cited.sentences {
                sentences += 1;
                flags.extend(citations::check(sentence, citable));
            }
        }
        (sentences, flags)
    }
}

/// Reads and checks the report's summaries `reports` times.
pub fn measure(reports: u32) -> ChecksCost {
    let corpus = Corpus::new();
    let (sentences_per_report, flags) = corpus.check();
    let started = Instant::now();
    for _ in 0..reports {
        black_box(corpus.check());
    }
    ChecksCost {
        reports,
        sentences_per_report,
        flags_per_report: flags.len(),
        micros_per_report: started.elapsed().as_secs_f64() * 1e6 / f64::from(reports.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_report_carries_its_two_planted_errors_and_nothing_else() {
        let (sentences, flags) = Corpus::new().check();
        assert_eq!(sentences, 14);
        let found: Vec<(&str, &str)> = flags
            .iter()
            .map(|f| (f.kind.as_str(), f.detail.as_str()))
            .collect();
        // The executive summary's 31% is no article's; marker 9 names none.
        assert_eq!(
            found,
            [
                ("unsupported_number", "31%"),
                ("unknown_citation", "[9] names no article of the report")
            ],
            "{flags:?}"
        );
    }
}
