//! Demo data for the embedded default: created once, on an empty database.

use crate::candidates::{DecisionInput, Format};
use crate::reports::{CreateReport, ReportArticleInput};
use crate::streams::CreateStream;
use crate::{Actor, ServiceError, Services};
use chrono::NaiveDate;
use entity::enums::{CandidateStatus, StreamScope, UserRole};
use repository::articles::NewArticle;

/// The demo logins (printed by `make run`).
pub const DEMO_USERS: [(&str, &str, UserRole); 3] = [
    (
        "admin@curio.local",
        "curio-admin-demo",
        UserRole::PlatformAdmin,
    ),
    (
        "curator@curio.local",
        "curio-curator-demo",
        UserRole::OrgAdmin,
    ),
    ("reader@curio.local", "curio-reader-demo", UserRole::Member),
];

const ARTICLES: [(&str, &str, &str, i32, &str, &str); 8] = [
    (
        "PD-1 blockade reinvigorates exhausted CD8 T cells in patient-derived tumour organoids",
        "Tumour organoids from 41 patients were co-cultured with autologous lymphocytes and exposed to PD-1 blockade. Organoids from clinical responders showed expansion of progenitor-exhausted CD8 T cells within five days. Non-responder organoids lacked this population. The organoid readout predicted clinical response with 83% accuracy. Organoid co-culture may help select patients for checkpoint therapy.",
        "Nature Medicine",
        2026,
        "10.5555/curio.demo.1",
        "39000001",
    ),
    (
        "Single-cell atlas of the tumour microenvironment in microsatellite-stable colorectal cancer",
        "We profiled 312,000 cells from 58 microsatellite-stable colorectal tumours. Two fibroblast states excluded T cells from tumour nests. Their abundance correlated with resistance to immunotherapy. Targeting TGF-beta signalling in mouse models restored T cell infiltration. The atlas is openly available.",
        "Cell",
        2026,
        "10.5555/curio.demo.2",
        "39000002",
    ),
    (
        "Base editing corrects a pathogenic TP53 variant in human haematopoietic stem cells",
        "Adenine base editors corrected the R248Q variant in 71% of alleles in haematopoietic stem cells. Edited cells engrafted in immunodeficient mice for 20 weeks. Off-target editing was below detection at predicted sites. Bystander edits occurred at low frequency. The approach may enable autologous therapy for inherited cancer predisposition.",
        "Science",
        2025,
        "10.5555/curio.demo.3",
        "39000003",
    ),
    (
        "CRISPR screens in primary T cells identify regulators of exhaustion",
        "Genome-wide knockout screens were performed in primary human T cells under chronic stimulation. Loss of the transcription factor RASA2 delayed exhaustion and improved tumour control. RASA2-deficient CAR T cells persisted longer in mice. Combining RASA2 loss with PD-1 blockade gave additive benefit. These regulators are candidate targets for engineered cell therapies.",
        "Nature",
        2025,
        "10.5555/curio.demo.4",
        "39000004",
    ),
    (
        "Circulating tumour DNA guides adjuvant chemotherapy in stage II colon cancer",
        "In a randomized trial of 455 patients, ctDNA-guided management reduced adjuvant chemotherapy use from 28% to 15%. Recurrence-free survival at three years was non-inferior. Patients with positive ctDNA who received chemotherapy had better outcomes than those who declined. ctDNA testing spared many patients unnecessary treatment.",
        "New England Journal of Medicine",
        2025,
        "10.5555/curio.demo.5",
        "39000005",
    ),
    (
        "Spatial transcriptomics maps tertiary lymphoid structures in melanoma",
        "Spatial transcriptomics of 87 melanomas located tertiary lymphoid structures at the invasive margin. Mature structures contained germinal-centre B cells and clonally expanded T cells. Their density predicted response to combined checkpoint blockade. Immature structures did not. Spatial profiling may refine immunotherapy biomarkers.",
        "Cancer Cell",
        2026,
        "10.5555/curio.demo.6",
        "39000006",
    ),
    (
        "Prime editing of the CFTR F508del mutation in airway organoids",
        "Prime editors were optimized to correct F508del in patient airway organoids. Correction restored chloride transport to 45% of wild-type levels. Editing efficiency improved with engineered pegRNAs. Indel byproducts remained below 2%. The work supports prime editing as a route to durable cystic fibrosis therapy.",
        "Cell Stem Cell",
        2025,
        "10.5555/curio.demo.7",
        "39000007",
    ),
    (
        "Microbiome composition modulates response to anti-PD-1 therapy in lung cancer",
        "Stool metagenomes from 210 patients with non-small cell lung cancer were sequenced before anti-PD-1 therapy. Akkermansia abundance associated with longer progression-free survival. Antibiotic exposure reduced response rates. Faecal transfer from responders improved tumour control in germ-free mice. The microbiome is a modifiable factor in immunotherapy response.",
        "Lancet Oncology",
        2026,
        "10.5555/curio.demo.8",
        "39000008",
    ),
];

impl Services {
    /// Creates the demo organization, users, streams, articles and reports,
    /// unless the database already has users. True when it created them.
    // Long on purpose: demo content, read as a script.
    pub async fn seed_demo_data(&self) -> Result<bool, ServiceError> {
        let db = &self.db;
        if repository::users::list(db, None, repository::Page::first())
            .await?
            .total
            > 0
        {
            return Ok(false);
        }
        let org = repository::organizations::create(db, "Curio Demo Lab").await?;
        let mut actors = Vec::new();
        for (email, password, role) in DEMO_USERS {
            let hash = crate::passwords::hash(password.into()).await?;
            let user = repository::users::create(
                db,
                repository::users::NewUser {
                    email: email.into(),
                    password_hash: hash,
                    full_name: Some(format!(
                        "Demo {}",
                        email.split('@').next().unwrap_or("user")
                    )),
                    role,
                    org_id: (role != UserRole::PlatformAdmin).then_some(org.id),
                },
            )
            .await?;
            actors.push(Actor::from(&user));
        }
        let (admin, curator, reader) = (&actors[0], &actors[1], &actors[2]);
        let ids = self
            .articles
            .bulk_import(
                admin,
                ARTICLES
                    .iter()
                    .map(|(title, abstract_, journal, year, doi, pmid)| NewArticle {
                        title: (*title).into(),
                        r#abstract: Some((*abstract_).into()),
                        authors: vec!["A. Researcher".into(), "B. Scientist".into()],
                        journal: Some((*journal).into()),
                        pub_year: Some(*year),
                        doi: Some((*doi).into()),
                        pmid: Some((*pmid).into()),
                        url: Some(format!("https://doi.org/{doi}")),
                    })
                    .collect(),
            )
            .await?
            .ids;
        let category = |id: &str, name: &str, topics: &[&str]| crate::streams::Category {
            id: id.into(),
            name: name.into(),
            topics: topics.iter().map(|t| (*t).into()).collect(),
        };
        let categories = crate::streams::PresentationConfig {
            categories: vec![
                category(
                    "immunotherapy",
                    "Immunotherapy",
                    &["checkpoint blockade", "T cells", "microbiome"],
                ),
                category(
                    "gene_editing",
                    "Gene editing",
                    &["CRISPR", "base editing", "prime editing"],
                ),
                category(
                    "diagnostics",
                    "Diagnostics",
                    &["ctDNA", "spatial profiling"],
                ),
            ],
            send_at: None,
        };
        let demo_feed = self.place_demo_feed().await?;
        let org_stream = self.streams.create(curator,
        CreateStream {
            stream_name: "Immuno-oncology watch".into(),
            purpose: "Track advances that change how patients are selected for and respond to immunotherapy.".into(),
            scope: StreamScope::Organization,
            org_id: Some(org.id),
            presentation_config: Some(categories.clone()),
            enrichment_config: None,
            llm_config: None,
            retrieval_config: Some(crate::streams::RetrievalConfig {
                exclusion_reasons: [
                    ("off_topic", "Off topic"),
                    ("wrong_population", "Wrong population"),
                    ("preclinical_only", "Preclinical only"),
                ]
                .into_iter()
                .map(|(code, label)| crate::streams::ExclusionReason {
                    code: code.into(),
                    label: label.into(),
                })
                .collect(),
                sources: demo_feed.into_iter().collect(),
                // Screened by whichever provider is configured (offline by
                // default) at the end of the retrieval the demo starts.
                screening: Some(crate::stream_config::Screening {
                    criteria: "Studies in patients treated with immune checkpoint inhibitors \
                               or PD-1 blockade that report response, resistance or biomarkers."
                        .into(),
                    threshold: 0.25,
                }),
                ..Default::default()
            }),
        },
    )
    .await?;
        let personal = self
            .streams
            .create(
                reader,
                CreateStream {
                    stream_name: "My gene editing reading".into(),
                    purpose: "Follow therapeutic gene editing.".into(),
                    scope: StreamScope::Personal,
                    org_id: None,
                    presentation_config: Some(categories),
                    enrichment_config: None,
                    llm_config: None,
                    retrieval_config: None,
                },
            )
            .await?;
        let category = |i: usize| match i {
            2 | 3 | 6 => "gene_editing",
            4 | 5 => "diagnostics",
            _ => "immunotherapy",
        };
        let report = |name: &str, day: u32, picks: &[usize]| CreateReport {
            report_name: name.into(),
            report_date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default(),
            articles: picks
                .iter()
                .map(|&i| ReportArticleInput {
                    article_id: ids[i],
                    ranking: None,
                    relevance_score: Some(0.9 - i as f64 * 0.05),
                    presentation_categories: Some(vec![category(i).into()]),
                })
                .collect(),
            from_candidates: None,
        };
        let week1 = self
            .reports
            .create(
                curator,
                org_stream.id,
                report("Week 46", 16, &[0, 1, 3, 4, 5, 7]),
            )
            .await?;
        self.reports
            .create(curator, org_stream.id, report("Week 47", 23, &[0, 5, 7, 1]))
            .await?;
        self.reports
            .create(
                reader,
                personal.id,
                report("Editing digest", 20, &[2, 3, 6]),
            )
            .await?;
        self.curation.submit(curator, week1.id).await?;
        self.curation.approve(curator, week1.id).await?;
        self.fill_pool(curator, org_stream.id).await?;
        if !org_stream.retrieval_config.sources.is_empty() {
            // Read by the retrieval workers once they start.
            self.retrievals.start(curator, org_stream.id).await?;
        }
        Ok(true)
    }

    /// Puts the bundled feed in `sources.feed_files_dir` (which `--demo`
    /// sets when it is empty): the demo stream's source, read without a
    /// network. `None` when no folder is configured.
    async fn place_demo_feed(&self) -> Result<Option<crate::stream_config::Source>, ServiceError> {
        const NAME: &str = "curio-demo-preprints.atom";
        let Some(dir) = self.sources.feed_files() else {
            return Ok(None);
        };
        let written = async {
            tokio::fs::create_dir_all(&dir).await?;
            tokio::fs::write(dir.join(NAME), include_bytes!("../demo/preprints.atom")).await
        };
        written.await.map_err(|e| {
            ServiceError::Internal(
                format!("writing the demo feed to {}: {e}", dir.display()).into(),
            )
        })?;
        Ok(Some(crate::stream_config::Source::FeedFile {
            path: NAME.into(),
        }))
    }

    /// The demo stream's candidate pool: a PubMed XML file and an RIS file
    /// (which repeats one work of the first and one of a report, counted as
    /// duplicates), one candidate included and one excluded with a reason.
    async fn fill_pool(&self, curator: &Actor, stream_id: i32) -> Result<(), ServiceError> {
        for (format, file) in [
            (Format::PubmedXml, &include_bytes!("../demo/pool.xml")[..]),
            (Format::Ris, &include_bytes!("../demo/pool.ris")[..]),
        ] {
            self.candidates
                .import(curator, stream_id, format, file.to_vec())
                .await?;
        }
        let pool = self
            .candidates
            .list(curator, stream_id, Default::default(), crate::Page::first())
            .await?;
        let by_doi = |suffix: &str| {
            pool.items
                .iter()
                .find(|p| {
                    p.article
                        .doi
                        .as_deref()
                        .is_some_and(|d| d.ends_with(suffix))
                })
                .map(|p| p.candidate.id)
        };
        let decide = |candidate_id, status, reason: Option<&str>| DecisionInput {
            candidate_id,
            status,
            reason: reason.map(Into::into),
            notes: None,
            version: None,
        };
        let decisions: Vec<DecisionInput> = [
            by_doi("pool.1").map(|id| decide(id, CandidateStatus::Included, None)),
            by_doi("pool.3").map(|id| decide(id, CandidateStatus::Excluded, Some("off_topic"))),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.candidates
            .decide(curator, stream_id, decisions)
            .await?;
        Ok(())
    }
}
