//! Request and response bodies of the HTTP API (documented in OpenAPI).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use service::Paginated;
use utoipa::ToSchema;

/// `null`-aware optional field: absent → `None`, `null` → `Some(None)`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Deserialize::deserialize(de).map(Some)
}

/// `i32` fields that also accept a whole number written with a zero
/// fraction (`250.0`): JSON Schema's `integer` includes such numbers, and
/// some JSON encoders write them.
pub mod whole {
    use serde::de::{self, Deserialize, Deserializer, Visitor};

    struct Whole(i32);

    impl<'de> Deserialize<'de> for Whole {
        fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Whole;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a 32-bit integer")
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Whole, E> {
                    i32::try_from(v)
                        .map(Whole)
                        .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Whole, E> {
                    i32::try_from(v)
                        .map(Whole)
                        .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Whole, E> {
                    let whole =
                        v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX);
                    whole
                        .then_some(Whole(v as i32))
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            de.deserialize_any(V)
        }
    }

    pub fn one<'de, D: Deserializer<'de>>(de: D) -> Result<i32, D::Error> {
        Whole::deserialize(de).map(|w| w.0)
    }

    pub fn optional<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i32>, D::Error> {
        Ok(Option::<Whole>::deserialize(de)?.map(|w| w.0))
    }

    /// Absent → `None`, `null` → `Some(None)` (with `#[serde(default)]`).
    pub fn nullable<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Option<i32>>, D::Error> {
        Ok(Some(Option::<Whole>::deserialize(de)?.map(|w| w.0)))
    }

    pub fn many<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<i32>, D::Error> {
        Ok(Vec::<Whole>::deserialize(de)?
            .into_iter()
            .map(|w| w.0)
            .collect())
    }
}

/// A page of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub offset: u64,
    pub limit: u64,
    pub total: u64,
}

impl<T: ToSchema> List<T> {
    pub fn from_page<U>(page: Paginated<U>, f: impl FnMut(U) -> T) -> Self {
        let meta = PageMeta {
            offset: page.page.offset(),
            limit: page.page.limit(),
            total: page.total,
        };
        List {
            data: page.items.into_iter().map(f).collect(),
            meta,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    OrgAdmin,
    Member,
}

impl From<service::enums::UserRole> for Role {
    fn from(r: service::enums::UserRole) -> Self {
        use service::enums::UserRole as R;
        match r {
            R::PlatformAdmin => Role::PlatformAdmin,
            R::OrgAdmin => Role::OrgAdmin,
            R::Member => Role::Member,
        }
    }
}

impl From<Role> for service::enums::UserRole {
    fn from(r: Role) -> Self {
        use service::enums::UserRole as R;
        match r {
            Role::PlatformAdmin => R::PlatformAdmin,
            Role::OrgAdmin => R::OrgAdmin,
            Role::Member => R::Member,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Personal,
    Organization,
    Global,
}

impl From<service::enums::StreamScope> for Scope {
    fn from(s: service::enums::StreamScope) -> Self {
        use service::enums::StreamScope as S;
        match s {
            S::Personal => Scope::Personal,
            S::Organization => Scope::Organization,
            S::Global => Scope::Global,
        }
    }
}

impl From<Scope> for service::enums::StreamScope {
    fn from(s: Scope) -> Self {
        use service::enums::StreamScope as S;
        match s {
            Scope::Personal => S::Personal,
            Scope::Organization => S::Organization,
            Scope::Global => S::Global,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
}

impl From<service::enums::ApprovalStatus> for ApprovalStatus {
    fn from(s: service::enums::ApprovalStatus) -> Self {
        use service::enums::ApprovalStatus as A;
        match s {
            A::Pending => ApprovalStatus::Pending,
            A::Approved => ApprovalStatus::Approved,
            A::Rejected => ApprovalStatus::Rejected,
        }
    }
}

impl From<ApprovalStatus> for service::enums::ApprovalStatus {
    fn from(s: ApprovalStatus) -> Self {
        use service::enums::ApprovalStatus as A;
        match s {
            ApprovalStatus::Pending => A::Pending,
            ApprovalStatus::Approved => A::Approved,
            ApprovalStatus::Rejected => A::Rejected,
        }
    }
}

// ----- auth -----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    pub user: UserOut,
}

/// A token for a new session (after a password change revoked the old ones).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

// ----- users -----

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i32,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Role,
    pub org_id: Option<i32>,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An organization as a user's reference to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRef {
    pub id: i32,
    pub name: String,
    pub is_active: bool,
}

/// A user with its organization (`null` for platform admins).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserWithOrganizationOut {
    #[serde(flatten)]
    pub user: UserOut,
    pub organization: Option<OrganizationRef>,
}

impl From<service::users::UserWithOrganization> for UserWithOrganizationOut {
    fn from((user, org): service::users::UserWithOrganization) -> Self {
        UserWithOrganizationOut {
            user: user.into(),
            organization: org.map(|o| OrganizationRef {
                id: o.id,
                name: o.name,
                is_active: o.is_active,
            }),
        }
    }
}

impl From<service::users::User> for UserOut {
    fn from(u: service::users::User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            full_name: u.full_name,
            role: u.role.into(),
            org_id: u.org_id,
            is_active: u.is_active,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "new.member@example.org", "password": "a long passphrase", "full_name": "New Member", "role": "member", "org_id": 1}))]
pub struct CreateUserRequest {
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "whole::optional")]
    pub org_id: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserRequest {
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub full_name: Option<Option<String>>,
    pub password: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

// ----- organizations -----

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: i32,
    pub name: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_count: Option<u64>,
}

impl From<service::organizations::Organization> for OrganizationOut {
    fn from(o: service::organizations::Organization) -> Self {
        OrganizationOut {
            id: o.id,
            name: o.name,
            is_active: o.is_active,
            created_at: o.created_at,
            member_count: None,
            stream_count: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrganizationRequest {
    pub name: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageOut {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub model: String,
    pub calls: i64,
    pub failed_calls: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

// ----- streams -----

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamOut {
    pub id: i32,
    pub stream_name: String,
    pub purpose: String,
    pub scope: Scope,
    pub org_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    #[schema(value_type = Object)]
    pub presentation_config: Json,
    #[schema(value_type = Object)]
    pub enrichment_config: Json,
    #[schema(value_type = Object)]
    pub llm_config: Json,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<service::streams::Stream> for StreamOut {
    fn from(s: service::streams::Stream) -> Self {
        StreamOut {
            id: s.id,
            stream_name: s.stream_name,
            purpose: s.purpose,
            scope: s.scope.into(),
            org_id: s.org_id,
            owner_user_id: s.owner_user_id,
            presentation_config: s.presentation_config,
            enrichment_config: s.enrichment_config,
            llm_config: s.llm_config,
            is_active: s.is_active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stream_name": "Gene therapy watch", "purpose": "New clinical results in gene therapy", "scope": "personal",
    "presentation_config": {"categories": [{"id": "clinical", "name": "Clinical trials", "topics": ["phase 3"]}]}}))]
pub struct CreateStreamRequest {
    pub stream_name: String,
    pub purpose: String,
    /// Defaults to `personal`.
    pub scope: Option<Scope>,
    /// For `organization` streams; defaults to the caller's organization.
    #[serde(default, deserialize_with = "whole::optional")]
    pub org_id: Option<i32>,
    #[schema(value_type = Option<Object>)]
    pub presentation_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub enrichment_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub llm_config: Option<Json>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchStreamRequest {
    pub stream_name: Option<String>,
    pub purpose: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub presentation_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub enrichment_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub llm_config: Option<Json>,
    pub is_active: Option<bool>,
}

// ----- articles -----

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleOut {
    pub id: i32,
    pub title: String,
    #[serde(rename = "abstract")]
    pub r#abstract: Option<String>,
    pub authors: Vec<String>,
    pub journal: Option<String>,
    pub pub_year: Option<i32>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl From<service::articles::Article> for ArticleOut {
    fn from(a: service::articles::Article) -> Self {
        ArticleOut {
            id: a.id,
            authors: strings(&a.authors),
            title: a.title,
            r#abstract: a.r#abstract,
            journal: a.journal,
            pub_year: a.pub_year,
            doi: a.doi,
            pmid: a.pmid,
            url: a.url,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticleIn {
    pub title: String,
    #[serde(rename = "abstract")]
    pub r#abstract: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    pub journal: Option<String>,
    #[serde(default, deserialize_with = "whole::optional")]
    pub pub_year: Option<i32>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkImportRequest {
    /// Up to 10,000 articles.
    pub articles: Vec<NewArticleIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkImportResponse {
    /// Ids in input order (rows sharing a DOI or PMID share an id).
    pub ids: Vec<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleUpdateIn {
    #[serde(deserialize_with = "whole::one")]
    pub article_id: i32,
    pub title: Option<String>,
    #[serde(rename = "abstract", default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub r#abstract: Option<Option<String>>,
    pub authors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub journal: Option<Option<String>>,
    #[serde(default, deserialize_with = "whole::nullable")]
    #[schema(value_type = Option<i32>)]
    pub pub_year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub doi: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub pmid: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"updates": [{"article_id": 1, "journal": "Nature Medicine"}]}))]
pub struct BulkUpdateRequest {
    pub updates: Vec<ArticleUpdateIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkUpdateResponse {
    pub updated: u64,
}

// ----- reports -----

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub id: i32,
    pub stream_id: i32,
    pub report_name: String,
    pub report_date: NaiveDate,
    pub approval_status: ApprovalStatus,
    pub rejection_reason: Option<String>,
    pub approved_by: Option<i32>,
    pub approved_at: Option<DateTime<Utc>>,
    pub has_curation_edits: bool,
    pub last_curated_by: Option<i32>,
    pub last_curated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_count: Option<u64>,
}

impl From<service::reports::Report> for ReportOut {
    fn from(r: service::reports::Report) -> Self {
        ReportOut {
            id: r.id,
            stream_id: r.stream_id,
            report_name: r.report_name,
            report_date: r.report_date,
            approval_status: r.approval_status.into(),
            rejection_reason: r.rejection_reason,
            approved_by: r.approved_by,
            approved_at: r.approved_at,
            has_curation_edits: r.has_curation_edits,
            last_curated_by: r.last_curated_by,
            last_curated_at: r.last_curated_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            article_count: None,
        }
    }
}

impl From<(service::reports::Report, u64)> for ReportOut {
    fn from((r, n): (service::reports::Report, u64)) -> Self {
        ReportOut {
            article_count: Some(n),
            ..ReportOut::from(r)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportArticleOut {
    #[serde(flatten)]
    pub article: ArticleOut,
    pub ranking: i32,
    pub relevance_score: Option<f64>,
    pub ai_summary: Option<String>,
    pub original_ai_summary: Option<String>,
    pub presentation_categories: Vec<String>,
    pub is_hidden: bool,
    pub curator_added: bool,
    pub curator_notes: Option<String>,
    pub curated_by: Option<i32>,
    pub curated_at: Option<DateTime<Utc>>,
}

impl From<service::reports::ReportArticle> for ReportArticleOut {
    fn from(ra: service::reports::ReportArticle) -> Self {
        let a = ra.association;
        ReportArticleOut {
            article: ra.article.into(),
            ranking: a.ranking,
            relevance_score: a.relevance_score,
            presentation_categories: strings(&a.presentation_categories),
            ai_summary: a.ai_summary,
            original_ai_summary: a.original_ai_summary.filter(|s| !s.is_empty()),
            is_hidden: a.is_hidden,
            curator_added: a.curator_added,
            curator_notes: a.curator_notes,
            curated_by: a.curated_by,
            curated_at: a.curated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssociationOut {
    pub report_id: i32,
    pub article_id: i32,
    pub ranking: i32,
    pub ai_summary: Option<String>,
    pub original_ai_summary: Option<String>,
    pub presentation_categories: Vec<String>,
    pub is_hidden: bool,
    pub curator_notes: Option<String>,
}

impl From<service::reports::Association> for AssociationOut {
    fn from(a: service::reports::Association) -> Self {
        AssociationOut {
            report_id: a.report_id,
            article_id: a.article_id,
            ranking: a.ranking,
            presentation_categories: strings(&a.presentation_categories),
            ai_summary: a.ai_summary,
            original_ai_summary: a.original_ai_summary.filter(|s| !s.is_empty()),
            is_hidden: a.is_hidden,
            curator_notes: a.curator_notes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrichments {
    pub executive_summary: Option<String>,
    pub category_summaries: BTreeMap<String, String>,
    pub provider: Option<String>,
    pub model: Option<String>,
}

impl Enrichments {
    pub fn from_json(v: Option<&Json>) -> Self {
        let v = v.cloned().unwrap_or(Json::Null);
        Enrichments {
            executive_summary: v["executive_summary"].as_str().map(str::to_owned),
            category_summaries: v["category_summaries"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, s)| Some((k.clone(), s.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            provider: v["provider"].as_str().map(str::to_owned),
            model: v["model"].as_str().map(str::to_owned),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetailOut {
    #[serde(flatten)]
    pub report: ReportOut,
    pub articles: Vec<ReportArticleOut>,
    pub enrichments: Enrichments,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportArticleIn {
    #[serde(deserialize_with = "whole::one")]
    pub article_id: i32,
    #[serde(default, deserialize_with = "whole::optional")]
    pub ranking: Option<i32>,
    pub relevance_score: Option<f64>,
    pub presentation_categories: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReportRequest {
    pub report_name: String,
    pub report_date: NaiveDate,
    #[serde(default)]
    pub articles: Vec<ReportArticleIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchReportRequest {
    pub report_name: Option<String>,
    pub report_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NotesRequest {
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditArticleRequest {
    #[serde(default, deserialize_with = "whole::optional")]
    pub ranking: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub ai_summary: Option<Option<String>>,
    pub presentation_categories: Option<Vec<String>>,
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingRequest {
    #[serde(deserialize_with = "whole::many")]
    pub article_ids: Vec<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: i32,
    pub report_id: i32,
    pub article_id: Option<i32>,
    pub user_id: Option<i32>,
    pub event_type: String,
    pub notes: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub details: Option<Json>,
    pub created_at: DateTime<Utc>,
}

impl From<service::reports::CurationEvent> for EventOut {
    fn from(e: service::reports::CurationEvent) -> Self {
        EventOut {
            id: e.id,
            report_id: e.report_id,
            article_id: e.article_id,
            user_id: e.user_id,
            event_type: serde_json::to_value(e.event_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            notes: e.notes,
            details: e.details,
            created_at: e.created_at,
        }
    }
}

// ----- summaries -----

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SummarizeRequest {
    /// Regenerate every article summary, not only the missing ones.
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTotals {
    pub llm_calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryOut {
    pub report_id: i32,
    pub executive_summary: String,
    pub category_summaries: BTreeMap<String, String>,
    /// Article summaries generated by this call.
    pub article_summaries: usize,
    pub provider: String,
    pub model: String,
    pub usage: UsageTotals,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromptTypeIn {
    ArticleSummary,
    CategorySummary,
    ExecutiveSummary,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub prompt_type: PromptTypeIn,
    pub system_prompt: Option<String>,
    pub user_prompt_template: Option<String>,
    #[serde(default, deserialize_with = "whole::optional")]
    pub article_id: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    pub prompt_type: String,
    pub system_prompt: String,
    pub user_prompt: String,
    pub text: String,
    pub provider: String,
    pub model: String,
}

// ----- operations -----

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_fields_take_whole_numbers_written_with_a_zero_fraction_and_nothing_else() {
        let r: RankingRequest =
            serde_json::from_str(r#"{"article_ids": [3, 250.0, -1.0]}"#).unwrap();
        assert_eq!(r.article_ids, vec![3, 250, -1]);
        for bad in [
            r#"{"article_ids": [2.5]}"#,
            r#"{"article_ids": [2147483648]}"#,
            r#"{"article_ids": [1e300]}"#,
            r#"{"article_ids": ["1"]}"#,
        ] {
            assert!(
                serde_json::from_str::<RankingRequest>(bad).is_err(),
                "{bad}"
            );
        }
        let u: ArticleUpdateIn =
            serde_json::from_str(r#"{"article_id": 7.0, "pub_year": null}"#).unwrap();
        assert_eq!((u.article_id, u.pub_year), (7, Some(None)));
        let u: ArticleUpdateIn = serde_json::from_str(r#"{"article_id": 7}"#).unwrap();
        assert_eq!(u.pub_year, None, "absent is not null");
        let e: EditArticleRequest = serde_json::from_str(r#"{"ranking": 2.0}"#).unwrap();
        assert_eq!(e.ranking, Some(2));
    }
}
