use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;
use service::curation::{EditArticle, EditSummaries};
use service::reports::ReportFilter;
use service::reports::{CreateReport, ReportArticleInput};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{
    AcknowledgeCheckRequest, AddArticlesRequest, AddedArticlesOut, ApprovalStatus, AssociationOut,
    CreateReportRequest, EditArticleRequest, EditSummariesRequest, Enrichments, EstimateOut,
    EventOut, FunnelOut, List, NotesRequest, PatchReportRequest, PreviewOut, PreviewRequest,
    RankingRequest, ReasonRequest, ReportDetailOut, ReportOut, SummarizeOut, SummarizeRequest,
    SummaryOut, SummaryRunOut, UsageTotals,
};
use crate::error::ApiResult;
use crate::extractors::{AuthUser, PageParams};
use crate::json_body::{Json, OptionalJson};
use crate::preconditions::{IfMatch, etag, prefers_async};
use crate::state::AppState;

/// Filters of the report list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListParams {
    pub stream_id: Option<i32>,
    pub approval_status: Option<ApprovalStatus>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
}

/// Options of a summarize.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummarizeParams {
    /// Answer what the summarize would cost (calls, tokens, reused
    /// summaries) without calling or storing anything.
    pub dry_run: Option<bool>,
}

/// How a report is shown.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportViewParams {
    /// The curator's view: excluded articles too, with `is_hidden: true`
    /// (403 for those who may not curate the report's stream).
    pub include_hidden: Option<bool>,
}

/// Create a report with its articles, in one transaction.
#[utoipa::path(operation_id = "createReport", tag = "reports", security(("bearer" = [])), request_body = CreateReportRequest,
    responses((status = 201, description = "Created", body = ReportOut),
        (status = 429, description = "A member created `quotas.member_reports_per_day` reports in the last 24 hours; retry after `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/streams/{stream_id}/reports")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<CreateReportRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = CreateReport {
        report_name: b.report_name,
        report_date: b.report_date,
        articles: b
            .articles
            .into_iter()
            .map(|a| ReportArticleInput {
                article_id: a.article_id,
                ranking: a.ranking,
                relevance_score: a.relevance_score,
                presentation_categories: a.presentation_categories,
            })
            .collect(),
        from_candidates: b.from_candidates.map(Into::into),
    };
    let report = state
        .services
        .reports
        .create(&user.0, path.into_inner(), input)
        .await?;
    Ok(HttpResponse::Created().json(ReportOut::from(report)))
}

/// A report with its visible articles (by ranking) and its enrichments;
/// with `include_hidden=true`, the curator's view with excluded ones too.
#[utoipa::path(operation_id = "getReport", tag = "reports", security(("bearer" = [])), params(ReportViewParams), responses((status = 200, description = "The report; `ETag` is its version, for `If-Match` on curation writes", body = ReportDetailOut,
        headers(("ETag" = String, description = "The report's version, e.g. `\"3\"`")))))]
#[get("/reports/{report_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    view: web::Query<ReportViewParams>,
) -> ApiResult<HttpResponse> {
    let detail = state
        .services
        .reports
        .detail(
            &user.0,
            path.into_inner(),
            view.include_hidden.unwrap_or(false),
        )
        .await?;
    let loaded = detail.loaded;
    let enrichments = Enrichments::of(&loaded.report, &detail.citations, detail.curator);
    // `article_count` counts what members see, whichever view this is.
    let count = loaded
        .articles
        .iter()
        .filter(|a| !a.association.is_hidden)
        .count() as u64;
    let version = loaded.report.version;
    Ok(HttpResponse::Ok()
        .insert_header(etag(version))
        .json(ReportDetailOut {
            report: ReportOut::from((loaded.report, count)),
            articles: loaded.articles.into_iter().map(Into::into).collect(),
            enrichments,
        }))
}

/// Visible reports, newest first, with their article counts.
#[utoipa::path(operation_id = "listReports", tag = "reports", security(("bearer" = [])), params(ReportListParams),
    responses((status = 200, description = "A page of reports", body = List<ReportOut>)))]
#[get("/reports")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ReportListParams>,
) -> ApiResult<web::Json<List<ReportOut>>> {
    let page = PageParams {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let filter = ReportFilter {
        stream_id: q.stream_id,
        approval_status: q.approval_status,
    };
    let page = state.services.reports.list(&user.0, filter, page).await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Rename or re-date a report.
#[utoipa::path(operation_id = "updateReport", tag = "reports", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = PatchReportRequest,
    responses((status = 200, description = "Changed", body = ReportOut)))]
#[patch("/reports/{report_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<PatchReportRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let report = state
        .services
        .reports
        .update(
            &user.0,
            path.into_inner(),
            b.report_name,
            b.report_date,
            if_match.0,
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(report.version))
        .json(ReportOut::from(report)))
}

/// Delete a report with its associations and events.
#[utoipa::path(operation_id = "deleteReport", tag = "reports", security(("bearer" = [])), responses((status = 204, description = "Deleted")))]
#[delete("/reports/{report_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    state
        .services
        .reports
        .delete(&user.0, path.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set_excluded(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    if_match: IfMatch,
    body: OptionalJson<NotesRequest>,
    excluded: bool,
) -> ApiResult<web::Json<AssociationOut>> {
    let (report_id, article_id) = path.into_inner();
    let notes = body.into_inner().notes;
    let a = state
        .services
        .curation
        .if_match(if_match.0)
        .set_excluded(&user.0, report_id, article_id, excluded, notes)
        .await?;
    Ok(web::Json(a.into()))
}

/// The report's funnel: what its stream took in for it (any reader of the
/// report).
#[utoipa::path(operation_id = "getReportFunnel", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "The funnel", body = FunnelOut)))]
#[get("/reports/{report_id}/funnel")]
pub async fn funnel(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<FunnelOut>> {
    let funnel = state
        .services
        .reports
        .funnel(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(funnel.into()))
}

/// Add articles to a draft, after its last ranking: candidates of its
/// stream's pool or articles by id (one `add_articles` curation event).
#[utoipa::path(operation_id = "addReportArticles", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = AddArticlesRequest,
    responses((status = 200, description = "Added", body = AddedArticlesOut)))]
#[post("/reports/{report_id}/articles")]
pub async fn add_articles(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<AddArticlesRequest>,
) -> ApiResult<web::Json<AddedArticlesOut>> {
    let add = service::curation::AddArticles::try_from(body.into_inner())?;
    let added = state
        .services
        .curation
        .if_match(if_match.0)
        .add_articles(&user.0, path.into_inner(), add)
        .await?;
    Ok(web::Json(AddedArticlesOut { added }))
}

/// Exclude an article from a report.
#[utoipa::path(operation_id = "excludeReportArticle", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = Option<NotesRequest>,
    responses((status = 200, description = "Excluded", body = AssociationOut)))]
#[post("/reports/{report_id}/articles/{article_id}/exclude")]
pub async fn exclude(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    if_match: IfMatch,
    body: OptionalJson<NotesRequest>,
) -> ApiResult<web::Json<AssociationOut>> {
    set_excluded(state, user, path, if_match, body, true).await
}

/// Re-include an excluded article.
#[utoipa::path(operation_id = "includeReportArticle", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = Option<NotesRequest>,
    responses((status = 200, description = "Included", body = AssociationOut)))]
#[post("/reports/{report_id}/articles/{article_id}/include")]
pub async fn include(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    if_match: IfMatch,
    body: OptionalJson<NotesRequest>,
) -> ApiResult<web::Json<AssociationOut>> {
    set_excluded(state, user, path, if_match, body, false).await
}

/// Edit an article's ranking, summary, categories or notes (the first edit keeps the original).
#[utoipa::path(operation_id = "editReportArticle", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = EditArticleRequest,
    responses((status = 200, description = "Edited", body = AssociationOut)))]
#[patch("/reports/{report_id}/articles/{article_id}")]
pub async fn edit_article(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    if_match: IfMatch,
    body: Json<EditArticleRequest>,
) -> ApiResult<web::Json<AssociationOut>> {
    let (report_id, article_id) = path.into_inner();
    let b = body.into_inner();
    let edit = EditArticle {
        ranking: b.ranking,
        ai_summary: b.ai_summary,
        presentation_categories: b.presentation_categories,
        notes: b.notes,
    };
    Ok(web::Json(
        state
            .services
            .curation
            .if_match(if_match.0)
            .edit(&user.0, report_id, article_id, edit)
            .await?
            .into(),
    ))
}

/// Reorder all visible articles atomically.
#[utoipa::path(operation_id = "rankReportArticles", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = RankingRequest,
    responses((status = 204, description = "Reordered")))]
#[put("/reports/{report_id}/ranking")]
pub async fn ranking(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<RankingRequest>,
) -> ApiResult<HttpResponse> {
    state
        .services
        .curation
        .if_match(if_match.0)
        .reorder(&user.0, path.into_inner(), body.into_inner().article_ids)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Submit a draft for approval (409 unless it is a draft with visible articles).
#[utoipa::path(operation_id = "submitReport", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), responses((status = 200, description = "Awaiting approval", body = ReportOut)))]
#[post("/reports/{report_id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let curation = state.services.curation.if_match(if_match.0);
    transitioned(curation.submit(&user.0, path.into_inner()).await?)
}

/// Approve a report awaiting approval (409 from any other status, without
/// visible articles, or while a summary run is in progress). An approved
/// report is immutable until reopened. Its mail to the stream's
/// subscribers is queued in the same transaction.
#[utoipa::path(operation_id = "approveReport", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), responses((status = 200, description = "Approved", body = ReportOut)))]
#[post("/reports/{report_id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let curation = state.services.curation.if_match(if_match.0);
    let approved = curation.approve(&user.0, path.into_inner()).await?;
    state.services.deliveries.notify();
    transitioned(approved)
}

/// Reject a report awaiting approval, with a reason.
#[utoipa::path(operation_id = "rejectReport", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = ReasonRequest,
    responses((status = 200, description = "Rejected", body = ReportOut)))]
#[post("/reports/{report_id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<ReasonRequest>,
) -> ApiResult<HttpResponse> {
    let curation = state.services.curation.if_match(if_match.0);
    let reason = body.into_inner().reason;
    transitioned(curation.reject(&user.0, path.into_inner(), reason).await?)
}

/// Reopen an approved or rejected report: back to `draft`, with a reason
/// kept in its audit trail.
#[utoipa::path(operation_id = "reopenReport", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = ReasonRequest,
    responses((status = 200, description = "Back to draft", body = ReportOut)))]
#[post("/reports/{report_id}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<ReasonRequest>,
) -> ApiResult<HttpResponse> {
    let curation = state.services.curation.if_match(if_match.0);
    let reason = body.into_inner().reason;
    transitioned(curation.reopen(&user.0, path.into_inner(), reason).await?)
}

/// Edit the executive summary or category summaries (by category id); the
/// first LLM text stays as `original`. 409 while the report is approved.
#[utoipa::path(operation_id = "editReportSummaries", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = EditSummariesRequest,
    responses((status = 200, description = "The report's summaries after the edit", body = Enrichments)))]
#[patch("/reports/{report_id}/summaries")]
pub async fn edit_summaries(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<EditSummariesRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = EditSummaries {
        executive_summary: b.executive_summary,
        category_summaries: b.category_summaries,
        notes: b.notes,
    };
    let id = path.into_inner();
    let curation = state.services.curation.if_match(if_match.0);
    curation.edit_summaries(&user.0, id, input).await?;
    summaries_after_change(&state, &user, id).await
}

/// The summaries with their checks, read after a change's transaction:
/// body, checks and ETag are of one version (a later change's, if one
/// came in between).
async fn summaries_after_change(
    state: &AppState,
    user: &AuthUser,
    id: i32,
) -> ApiResult<HttpResponse> {
    let detail = state.services.reports.detail(&user.0, id, false).await?;
    let report = &detail.loaded.report;
    Ok(HttpResponse::Ok()
        .insert_header(etag(report.version))
        .json(Enrichments::of(report, &detail.citations, detail.curator)))
}

/// Let a sentence that a check flagged stand as written, with a reason
/// (an `acknowledge_check` curation event). It holds while the sentence
/// reads as it did; on a stream with `require_checked_summaries`, approval
/// waits for every flagged sentence to be fixed or acknowledged. 409 while
/// the report is approved or when the sentence carries no flag.
#[utoipa::path(operation_id = "acknowledgeReportCheck", tag = "curation", security(("bearer" = [])), params(("If-Match" = Option<String>, Header, description = "The report's `ETag`: change only that version (412 otherwise)")), request_body = AcknowledgeCheckRequest,
    responses((status = 200, description = "The report's summaries with their checks after the acknowledgement", body = Enrichments)))]
#[post("/reports/{report_id}/acknowledgements")]
pub async fn acknowledge_check(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    if_match: IfMatch,
    body: Json<AcknowledgeCheckRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let id = path.into_inner();
    let curation = state.services.curation.if_match(if_match.0);
    curation
        .acknowledge_check(&user.0, id, &b.summary, b.sentence as usize, b.reason)
        .await?;
    summaries_after_change(&state, &user, id).await
}

/// A report after a life-cycle transition, with its new `ETag`.
fn transitioned(report: service::reports::Report) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header(etag(report.version))
        .json(ReportOut::from(report)))
}

/// The report's audit trail, oldest first.
#[utoipa::path(operation_id = "listReportEvents", tag = "curation", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of events", body = List<EventOut>)))]
#[get("/reports/{report_id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<EventOut>>> {
    let page = state
        .services
        .reports
        .events(&user.0, path.into_inner(), q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Generate article, category and executive summaries (parallel, bounded, resumable).
/// The request starts a summary run, or joins the report's run in progress
/// (in any process), and answers when it ends; with `Prefer: respond-async`
/// it answers at once with the run.
#[utoipa::path(operation_id = "summarizeReport", tag = "summaries", security(("bearer" = [])), request_body = Option<SummarizeRequest>,
    params(("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 with the run instead of waiting for it"), SummarizeParams),
    responses((status = 200, description = "Summarized, or with `dry_run=true` what it would cost", body = SummarizeOut),
        (status = 202, description = "Started or joined; follow `Location`", body = SummaryRunOut,
            headers(("Location" = String, description = "`/api/v1/summary-runs/{id}`"))),
        (status = 429, description = "The organization's monthly LLM limit would be exceeded (`detail` names the limit and when it resets), or the organization or the caller has `jobs.max_active_runs_per_org` / `jobs.max_active_runs_per_user` runs queued or running; retry after `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The LLM provider failed; `failed` lists the items", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The LLM provider timed out", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/reports/{report_id}/summarize")]
pub async fn summarize(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    req: HttpRequest,
    q: web::Query<SummarizeParams>,
    body: OptionalJson<SummarizeRequest>,
) -> ApiResult<HttpResponse> {
    let force = body.into_inner().force;
    let summaries = &state.services.summaries;
    if q.dry_run.unwrap_or(false) {
        let report_id = path.into_inner();
        let e = summaries.estimate(&user.0, report_id, force).await?;
        return Ok(HttpResponse::Ok().json(SummarizeOut::Estimate(EstimateOut {
            report_id,
            dry_run: true,
            llm_calls: e.llm_calls,
            article_calls: e.article_calls,
            reused: e.reused,
            prompt_tokens: e.prompt_tokens,
            max_completion_tokens: e.max_completion_tokens,
        })));
    }
    if prefers_async(&req) {
        let (run, _) = summaries.start(&user.0, path.into_inner(), force).await?;
        return Ok(HttpResponse::Accepted()
            .insert_header(("Location", format!("/api/v1/summary-runs/{}", run.id)))
            .insert_header(("Preference-Applied", "respond-async"))
            .json(SummaryRunOut::from(run)));
    }
    let r = summaries
        .summarize(&user.0, path.into_inner(), force)
        .await?;
    Ok(HttpResponse::Ok().json(SummarizeOut::Summary(SummaryOut {
        report_id: r.report_id,
        executive_summary: r.executive_summary,
        category_summaries: r.category_summaries,
        article_summaries: r.article_summaries,
        provider: r.provider,
        model: r.model,
        usage: UsageTotals {
            llm_calls: r.usage.llm_calls,
            prompt_tokens: r.usage.prompt_tokens,
            completion_tokens: r.usage.completion_tokens,
        },
    })))
}

/// What a prompt would produce for this report (or one article); nothing is saved.
#[utoipa::path(operation_id = "previewReportSummary", tag = "summaries", security(("bearer" = [])), request_body = PreviewRequest,
    responses((status = 200, description = "The generated text", body = PreviewOut),
        (status = 429, description = "The organization's monthly LLM limit would be exceeded, or the caller asked for more than `llm.previews_per_minute` previews; retry after `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The LLM provider failed; `failed` lists the items", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The LLM provider timed out", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/reports/{report_id}/summaries/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<PreviewRequest>,
) -> ApiResult<web::Json<PreviewOut>> {
    let b = body.into_inner();
    let p = state
        .services
        .summaries
        .preview(
            &user.0,
            path.into_inner(),
            b.prompt_type,
            service::summaries::PreviewPrompts {
                system_prompt: b.system_prompt,
                user_prompt_template: b.user_prompt_template,
            },
            b.article_id,
        )
        .await?;
    Ok(web::Json(PreviewOut {
        prompt_type: p.prompt_type,
        system_prompt: p.system_prompt,
        user_prompt: p.user_prompt,
        text: p.text,
        provider: p.provider,
        model: p.model,
    }))
}

/// This module's routes, mounted under `/api/v1`; the OpenAPI operations come
/// from the same registration.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(get)
        .service(list)
        .service(update)
        .service(remove)
        .service(funnel)
        .service(add_articles)
        .service(exclude)
        .service(include)
        .service(edit_article)
        .service(edit_summaries)
        .service(acknowledge_check)
        .service(ranking)
        .service(submit)
        .service(approve)
        .service(reject)
        .service(reopen)
        .service(events)
        .service(summarize)
        .service(preview);
}
