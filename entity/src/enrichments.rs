//! What a summary run adds to a report: the executive summary, a summary
//! per category, and which provider and model wrote them. Written by the
//! summary runs and by curators' edits, read by the API and the prompts.
//!
//! Unknown fields are ignored rather than refused: the value is only ever
//! written by Curio, and a field added later must not make older rows
//! unreadable, nor a row written by a newer process unreadable to an older
//! one during a rolling deploy.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct ReportEnrichments {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executive_summary: Option<String>,
    /// By category id.
    #[serde(default)]
    pub category_summaries: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<DateTime<Utc>>,
    /// The articles as the category and executive prompts numbered them:
    /// a summary's marker `[n]` cites the `n`-th. Empty for summaries
    /// written before prompts numbered articles; they are read by the
    /// report's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbering: Vec<i32>,
    /// Flagged sentences a curator let stand, with the reason. Each names
    /// the sentence by its summary and text, so that an edit of the
    /// sentence (or a new run) asks again; the curation event of each is
    /// the audit trail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<Acknowledgement>,
}

/// A curator's word that a flagged sentence stands as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// `executive` or a category id.
    pub summary: String,
    /// The sentence as it read when acknowledged (markers removed).
    pub text: String,
    pub reason: String,
    pub user_id: i32,
    pub at: DateTime<Utc>,
}
