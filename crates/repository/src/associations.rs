//! Report–article associations: the articles of a report and their curation.

use std::collections::HashMap;

use chrono::Utc;
use entity::report_article_association as association;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::articles::{self, Article};
use crate::{RepoError, chunk};

pub use entity::report_article_association::Model as Association;

/// Columns written per association row (sizes the INSERT chunks).
const INSERT_COLUMNS: usize = 9;

/// An article of a report together with its association.
#[derive(Debug, Clone)]
pub struct ReportArticle {
    pub association: Association,
    pub article: Article,
}

/// An association to create.
#[derive(Debug, Clone)]
pub struct NewAssociation {
    pub article_id: i32,
    pub ranking: i32,
    pub relevance_score: Option<f64>,
    pub presentation_categories: Vec<String>,
    pub curator_added: bool,
}

/// A curator's edit of one association; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AssociationEdit {
    pub ranking: Option<i32>,
    pub ai_summary: Option<Option<String>>,
    pub presentation_categories: Option<Vec<String>>,
    pub notes: Option<Option<String>>,
}

/// Creates associations for a report in multi-row chunks.
pub async fn create_many<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    new: Vec<NewAssociation>,
) -> Result<(), RepoError> {
    let now = Utc::now();
    for part in new.chunks(chunk::insert_rows(INSERT_COLUMNS)) {
        association::Entity::insert_many(part.iter().map(|a| association::ActiveModel {
            report_id: Set(report_id),
            article_id: Set(a.article_id),
            ranking: Set(a.ranking),
            relevance_score: Set(a.relevance_score),
            presentation_categories: Set(a.presentation_categories.clone().into()),
            is_hidden: Set(false),
            curator_added: Set(a.curator_added),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The association of an article with a report, if any.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    article_id: i32,
) -> Result<Option<Association>, RepoError> {
    Ok(association::Entity::find_by_id((report_id, article_id))
        .one(db)
        .await?)
}

/// The articles of one report with their associations, ordered by ranking,
/// in one statement (a join; an association has exactly one article).
/// `include_hidden` adds excluded articles.
pub async fn load_for_report<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    include_hidden: bool,
) -> Result<Vec<ReportArticle>, RepoError> {
    let mut query = association::Entity::find().filter(association::Column::ReportId.eq(report_id));
    if !include_hidden {
        query = query.filter(association::Column::IsHidden.eq(false));
    }
    Ok(query
        .order_by_asc(association::Column::Ranking)
        .order_by_asc(association::Column::ArticleId)
        .find_also_related(entity::article::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(association, article)| {
            Some(ReportArticle {
                association,
                article: article?,
            })
        })
        .collect())
}

/// The articles of many reports, keyed by report id, ordered by ranking:
/// one statement for the associations and one for the articles per chunk of
/// ids (never one per report or per article).
pub async fn load_for_reports<C: ConnectionTrait>(
    db: &C,
    report_ids: &[i32],
    include_hidden: bool,
) -> Result<HashMap<i32, Vec<ReportArticle>>, RepoError> {
    let mut rows: Vec<Association> = Vec::new();
    for part in report_ids.chunks(chunk::IN_LIST) {
        let mut query = association::Entity::find()
            .filter(association::Column::ReportId.is_in(part.iter().copied()));
        if !include_hidden {
            query = query.filter(association::Column::IsHidden.eq(false));
        }
        rows.extend(
            query
                .order_by_asc(association::Column::ReportId)
                .order_by_asc(association::Column::Ranking)
                .order_by_asc(association::Column::ArticleId)
                .all(db)
                .await?,
        );
    }
    let mut article_ids: Vec<i32> = rows.iter().map(|a| a.article_id).collect();
    article_ids.sort_unstable();
    article_ids.dedup();
    let articles: HashMap<i32, Article> = articles::find_many(db, &article_ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut by_report: HashMap<i32, Vec<ReportArticle>> = HashMap::new();
    for association in rows {
        // Cloned: an article can appear in several reports of a page.
        let Some(article) = articles.get(&association.article_id).cloned() else {
            continue;
        };
        by_report
            .entry(association.report_id)
            .or_default()
            .push(ReportArticle {
                association,
                article,
            });
    }
    Ok(by_report)
}

/// The highest ranking in the report plus one (1 for an empty report).
pub async fn next_ranking<C: ConnectionTrait>(db: &C, report_id: i32) -> Result<i32, RepoError> {
    let max: Option<Option<i32>> = association::Entity::find()
        .select_only()
        .column_as(association::Column::Ranking.max(), "max_ranking")
        .filter(association::Column::ReportId.eq(report_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// Number of visible (not excluded) articles of a report.
pub async fn count_visible<C: ConnectionTrait>(db: &C, report_id: i32) -> Result<u64, RepoError> {
    Ok(association::Entity::find()
        .filter(association::Column::ReportId.eq(report_id))
        .filter(association::Column::IsHidden.eq(false))
        .count(db)
        .await?)
}

/// Visible articles of a report, and how many of them have a generated
/// summary, in one query.
pub async fn count_summarized<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
) -> Result<(u64, u64), RepoError> {
    let counts: Option<(i64, i64)> = association::Entity::find()
        .select_only()
        .column_as(Expr::col(association::Column::ArticleId).count(), "visible")
        .column_as(
            Expr::col(association::Column::AiSummary).count(),
            "summarized",
        )
        .filter(association::Column::ReportId.eq(report_id))
        .filter(association::Column::IsHidden.eq(false))
        .into_tuple()
        .one(db)
        .await?;
    let (visible, summarized) = counts.unwrap_or_default();
    Ok((
        u64::try_from(visible).unwrap_or(0),
        u64::try_from(summarized).unwrap_or(0),
    ))
}

/// The ids of all of a report's articles, excluded ones too.
pub async fn article_ids<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
) -> Result<std::collections::HashSet<i32>, RepoError> {
    let ids: Vec<i32> = association::Entity::find()
        .select_only()
        .column(association::Column::ArticleId)
        .filter(association::Column::ReportId.eq(report_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The ids of a report's visible articles, by ranking.
pub async fn visible_article_ids<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
) -> Result<Vec<i32>, RepoError> {
    Ok(association::Entity::find()
        .select_only()
        .column(association::Column::ArticleId)
        .filter(association::Column::ReportId.eq(report_id))
        .filter(association::Column::IsHidden.eq(false))
        .order_by_asc(association::Column::Ranking)
        .order_by_asc(association::Column::ArticleId)
        .into_tuple()
        .all(db)
        .await?)
}

/// Excludes (`hidden = true`) or re-includes the article of `current`, an
/// association the caller has just read (in its transaction).
pub async fn set_hidden<C: ConnectionTrait>(
    db: &C,
    current: Association,
    hidden: bool,
    by: i32,
    notes: Option<String>,
) -> Result<Association, RepoError> {
    let mut active: association::ActiveModel = current.into();
    active.is_hidden = Set(hidden);
    if notes.is_some() {
        active.curator_notes = Set(notes);
    }
    active.curated_by = Set(Some(by));
    active.curated_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// Applies a curator's edit; the first edit of a field keeps the value it
/// replaced in the matching `original_*` column (an empty
/// `original_ai_summary` means there was no summary). `current` is the
/// association as the caller has just read it (in its transaction).
pub async fn edit<C: ConnectionTrait>(
    db: &C,
    current: Association,
    edit: AssociationEdit,
    by: i32,
) -> Result<Association, RepoError> {
    let mut active: association::ActiveModel = current.clone().into();
    if let Some(ranking) = edit.ranking {
        if current.original_ranking.is_none() {
            active.original_ranking = Set(Some(current.ranking));
        }
        active.ranking = Set(ranking);
    }
    if let Some(summary) = edit.ai_summary {
        if current.original_ai_summary.is_none() {
            // Empty marks "there was no summary before the first edit", so a
            // second edit cannot mistake the first edit's text for the original.
            active.original_ai_summary = Set(Some(current.ai_summary.clone().unwrap_or_default()));
        }
        active.ai_summary = Set(summary);
    }
    if let Some(categories) = edit.presentation_categories {
        if current.original_presentation_categories.is_none() {
            active.original_presentation_categories =
                Set(Some(current.presentation_categories.clone()));
        }
        active.presentation_categories = Set(categories.into());
    }
    if let Some(notes) = edit.notes {
        active.curator_notes = Set(notes);
    }
    active.curated_by = Set(Some(by));
    active.curated_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// Stores generated article summaries (not curator edits) of one report:
/// one `UPDATE … SET ai_summary = CASE article_id WHEN … END` per chunk.
pub async fn set_ai_summaries<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    summaries: &[(i32, String)],
) -> Result<(), RepoError> {
    let parts = chunk::by_size(
        summaries,
        chunk::update_rows(1),
        chunk::statement_bytes(db),
        |(_, summary)| 32 + summary.len(),
    );
    for part in parts {
        let values = part
            .iter()
            .map(|(a, summary)| (*a, summary.as_str().into()));
        set_per_article(db, report_id, association::Column::AiSummary, values).await?;
    }
    Ok(())
}

/// Sets the rankings of a report's articles: one
/// `UPDATE … SET ranking = CASE article_id WHEN … END` per chunk.
pub async fn set_rankings<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    rankings: &[(i32, i32)],
) -> Result<u64, RepoError> {
    let mut matched = 0;
    for part in rankings.chunks(chunk::update_rows(1)) {
        let values = part.iter().map(|&(a, ranking)| (a, ranking.into()));
        matched += set_per_article(db, report_id, association::Column::Ranking, values).await?;
    }
    Ok(matched)
}

/// `UPDATE … SET column = CASE article_id WHEN … END` over the given
/// articles of one report; the rows it matched.
async fn set_per_article<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    column: association::Column,
    values: impl Iterator<Item = (i32, sea_orm::Value)>,
) -> Result<u64, RepoError> {
    let mut case = CaseStatement::new();
    let mut ids = Vec::new();
    for (article_id, value) in values {
        case = case.case(
            Expr::col(association::Column::ArticleId).eq(article_id),
            Expr::val(value),
        );
        ids.push(article_id);
    }
    let update = Query::update()
        .table(association::Entity)
        .value(column, case.finally(Expr::col(column)))
        .and_where(Expr::col(association::Column::ReportId).eq(report_id))
        .and_where(Expr::col(association::Column::ArticleId).is_in(ids))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected())
}

/// The (report, article) pairs of the reports that hold any of `article_ids`.
pub async fn holders<C: ConnectionTrait>(
    db: &C,
    article_ids: &[i32],
) -> Result<Vec<(i32, i32)>, RepoError> {
    let mut pairs = Vec::new();
    for part in article_ids.chunks(chunk::IN_LIST) {
        let rows: Vec<(i32, i32)> = association::Entity::find()
            .select_only()
            .column(association::Column::ReportId)
            .column(association::Column::ArticleId)
            .filter(association::Column::ArticleId.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        pairs.extend(rows);
    }
    pairs.sort_unstable();
    Ok(pairs)
}
