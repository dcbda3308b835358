//! The OpenAPI 3.1 document: paths and schemas are collected from the
//! handlers' annotations; this module adds the shared parts (security, the
//! problem schema) and the error responses each operation can give.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::{Problem, ProblemFailedItem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(title = "Curio", description = "Research streams, curated reports and LLM summaries over a REST API."),
    components(schemas(Problem, ProblemField, ProblemFailedItem)),
    modifiers(&Shared)
)]
pub struct ApiDoc;

struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Adds the error responses every operation shares, by what it takes (a
/// token, a body, `If-Match`); the statuses particular to one operation
/// (its quotas, LLM failures) are documented on its handler.
pub fn document_errors(openapi: &mut OpenApiDoc) {
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !path.starts_with("/api/") {
            continue;
        }
        let methods = [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ];
        for (method, op) in methods {
            let Some(op) = op else { continue };
            // An operation without a token (sign-in) documents its own
            // 401 and 429; every other one answers these three.
            let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut codes: Vec<(&str, &str)> = vec![
                ("400", "Malformed JSON, query or path parameter"),
                ("422", "Validation failed, per field"),
                ("500", "Internal error (the body carries only a request id)"),
                (
                    "503",
                    "Database unavailable or pool exhausted; retry after `Retry-After`",
                ),
            ];
            if signed_in {
                codes.push(("401", "Missing, malformed, expired or tampered token"));
                codes.push(("403", "Visible, but the role does not allow the action"));
                codes.push(("404", "Absent, or not visible to the caller"));
            }
            if method != "get" {
                codes.push(("413", "Body too large"));
                codes.push((
                    "408",
                    "The body did not arrive within `server.body_read_timeout_secs`",
                ));
                codes.push(("409", "Conflict with the current state (duplicate, stale)"));
            }
            let conditional = op.parameters.iter().flatten().any(|p| p.name == "If-Match");
            if conditional {
                codes.push(("412", "`If-Match` names another version of the report"));
            }
            for (code, description) in codes {
                op.responses
                    .responses
                    .entry(code.to_owned())
                    .or_insert_with(|| problem(description));
            }
        }
    }
}

/// One constraint that validation enforces, stated in the schema.
enum Limit {
    /// 1 to `max` characters, not all whitespace.
    NonBlank(usize),
    /// `min` to `max` characters.
    Chars(usize, usize),
    /// At most `max` characters in each item of an array of strings.
    ItemChars(usize),
    /// `min` to `max` items.
    Items(usize, usize),
    /// An integer from `min` to `max`.
    Int(i64, i64),
    /// A number from `min` to `max`.
    Num(f64, f64),
    Email,
    /// No item twice.
    Unique,
    /// At least this many properties in the object itself (property "").
    MinProperties(usize),
    /// A date every backend stores: years 1000 to 9999.
    StorableDate,
    /// An `http` or `https` URL of at most `max` characters.
    WebLink(usize),
}

/// What the service validates, per schema and property, from the same
/// constants it validates with: generated clients and fuzzers see the
/// bounds the API enforces.
// Long on purpose: one table row per bounded field, read top to bottom.
fn request_limits() -> Vec<(&'static str, &'static str, Limit)> {
    use service::limits::article_columns as column;
    use service::limits::*;
    let article = |schema: &'static str, title: Limit| {
        vec![
            (schema, "title", title),
            (schema, "abstract", Limit::Chars(0, column::ABSTRACT)),
            (schema, "authors", Limit::Items(0, column::AUTHORS)),
            (schema, "authors", Limit::ItemChars(column::AUTHOR)),
            (schema, "journal", Limit::Chars(0, column::JOURNAL)),
            (schema, "doi", Limit::Chars(0, column::DOI)),
            (schema, "pmid", Limit::Chars(0, column::PMID)),
            (schema, "url", Limit::WebLink(column::URL)),
            (schema, "pub_year", Limit::Int(1500, 2200)),
        ]
    };
    let mut limits = vec![
        // A patch that changes nothing is refused.
        ("EditArticleRequest", "", Limit::MinProperties(1)),
        ("LoginRequest", "email", Limit::Chars(0, EMAIL_CHARS)),
        (
            "LoginRequest",
            "password",
            Limit::Chars(0, PASSWORD_MAX_CHARS),
        ),
        (
            "ChangePasswordRequest",
            "current_password",
            Limit::Chars(0, PASSWORD_MAX_CHARS),
        ),
        (
            "ChangePasswordRequest",
            "new_password",
            Limit::Chars(PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS),
        ),
        ("CreateUserRequest", "email", Limit::Email),
        (
            "CreateUserRequest",
            "password",
            Limit::Chars(PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS),
        ),
        (
            "CreateUserRequest",
            "full_name",
            Limit::Chars(0, NAME_CHARS),
        ),
        (
            "CreateUserRequest",
            "org_id",
            Limit::Int(1, i32::MAX.into()),
        ),
        (
            "CreateStreamRequest",
            "org_id",
            Limit::Int(1, i32::MAX.into()),
        ),
        (
            "ReportArticleIn",
            "article_id",
            Limit::Int(1, i32::MAX.into()),
        ),
        ("PatchUserRequest", "email", Limit::Email),
        (
            "PatchUserRequest",
            "password",
            Limit::Chars(PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS),
        ),
        ("PatchUserRequest", "full_name", Limit::Chars(0, NAME_CHARS)),
        (
            "CreateOrganizationRequest",
            "name",
            Limit::NonBlank(NAME_CHARS),
        ),
        (
            "PatchOrganizationRequest",
            "name",
            Limit::NonBlank(NAME_CHARS),
        ),
        (
            "CreateStreamRequest",
            "stream_name",
            Limit::NonBlank(NAME_CHARS),
        ),
        (
            "CreateStreamRequest",
            "purpose",
            Limit::NonBlank(PURPOSE_CHARS),
        ),
        (
            "PatchStreamRequest",
            "stream_name",
            Limit::NonBlank(NAME_CHARS),
        ),
        (
            "PatchStreamRequest",
            "purpose",
            Limit::NonBlank(PURPOSE_CHARS),
        ),
        (
            "BulkImportRequest",
            "articles",
            Limit::Items(1, ARTICLES_PER_REQUEST),
        ),
        (
            "BulkUpdateRequest",
            "updates",
            Limit::Items(1, ARTICLES_PER_REQUEST),
        ),
        (
            "ArticleUpdateIn",
            "article_id",
            Limit::Int(1, i32::MAX.into()),
        ),
        (
            "CreateReportRequest",
            "report_name",
            Limit::NonBlank(REPORT_NAME_CHARS),
        ),
        (
            "CreateReportRequest",
            "articles",
            Limit::Items(0, ARTICLES_PER_REPORT),
        ),
        ("ReportArticleIn", "ranking", Limit::Int(1, i32::MAX.into())),
        ("ReportArticleIn", "relevance_score", Limit::Num(0.0, 1.0)),
        (
            "ReportArticleIn",
            "presentation_categories",
            Limit::Items(0, CATEGORIES_PER_ARTICLE),
        ),
        (
            "PatchReportRequest",
            "report_name",
            Limit::NonBlank(REPORT_NAME_CHARS),
        ),
        ("CreateReportRequest", "report_date", Limit::StorableDate),
        ("PatchReportRequest", "report_date", Limit::StorableDate),
        ("NotesRequest", "notes", Limit::Chars(0, NOTES_CHARS)),
        (
            "EditArticleRequest",
            "ranking",
            Limit::Int(1, i32::MAX.into()),
        ),
        (
            "EditArticleRequest",
            "ai_summary",
            Limit::Chars(0, SUMMARY_CHARS),
        ),
        (
            "EditArticleRequest",
            "presentation_categories",
            Limit::Items(0, CATEGORIES_PER_ARTICLE),
        ),
        ("EditArticleRequest", "notes", Limit::Chars(0, NOTES_CHARS)),
        (
            "EditSummariesRequest",
            "executive_summary",
            Limit::Chars(0, SUMMARY_CHARS),
        ),
        (
            "EditSummariesRequest",
            "notes",
            Limit::Chars(0, NOTES_CHARS),
        ),
        (
            "RankingRequest",
            "article_ids",
            Limit::Items(0, ARTICLES_PER_REPORT),
        ),
        ("RankingRequest", "article_ids", Limit::Unique),
        ("ReasonRequest", "reason", Limit::NonBlank(NOTES_CHARS)),
        (
            "PatchOrganizationRequest",
            "monthly_llm_calls",
            Limit::Int(0, i32::MAX.into()),
        ),
        (
            "PatchOrganizationRequest",
            "monthly_llm_tokens",
            Limit::Int(0, i64::MAX),
        ),
        (
            "PreviewRequest",
            "system_prompt",
            Limit::Chars(0, PROMPT_CHARS),
        ),
        (
            "PreviewRequest",
            "user_prompt_template",
            Limit::Chars(0, PROMPT_CHARS),
        ),
    ];
    // A stream's typed configurations (their own schemas, shared by the
    // bodies that carry them). The LLM ceilings are the operator's
    // settings; the schema states the type's range.
    limits.extend([
        (
            "PresentationConfig",
            "categories",
            Limit::Items(0, CATEGORIES_PER_STREAM),
        ),
        ("StreamCategory", "id", Limit::NonBlank(CATEGORY_ID_CHARS)),
        ("StreamCategory", "name", Limit::NonBlank(NAME_CHARS)),
        (
            "StreamCategory",
            "topics",
            Limit::Items(0, TOPICS_PER_CATEGORY),
        ),
        ("StreamCategory", "topics", Limit::ItemChars(TOPIC_CHARS)),
        (
            "PromptOverride",
            "system_prompt",
            Limit::Chars(0, PROMPT_CHARS),
        ),
        (
            "PromptOverride",
            "user_prompt_template",
            Limit::Chars(0, PROMPT_CHARS),
        ),
        ("StageLlm", "temperature", Limit::Num(0.0, 2.0)),
        ("StageLlm", "max_tokens", Limit::Int(1, u32::MAX.into())),
        ("StageLlm", "max_concurrent", Limit::Int(1, u32::MAX.into())),
    ]);
    limits.extend(article("NewArticleIn", Limit::NonBlank(column::TITLE)));
    limits.extend(article("ArticleUpdateIn", Limit::NonBlank(column::TITLE)));
    limits
}

/// Writes [`request_limits`] and the pagination bounds into the document.
/// A limit naming a schema or property the document lacks is a programming
/// error, caught by every test that builds the application.
// Long on purpose: one arm per kind of limit, each writing its JSON Schema
// keywords; split up, the arms would only pass the same borrows around.
pub fn document_limits(openapi: &mut OpenApiDoc) {
    use utoipa::Number;
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat};
    let schemas = &mut openapi
        .components
        .as_mut()
        .expect("the document has components")
        .schemas;
    for (schema, property, limit) in request_limits() {
        let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(schema) else {
            panic!("no object schema {schema} to constrain");
        };
        if let Limit::MinProperties(min) = limit {
            object.min_properties = Some(min);
            continue;
        }
        let Some(RefOr::T(target)) = object.properties.get_mut(property) else {
            panic!("no property {schema}.{property} to constrain");
        };
        match (target, limit) {
            (Schema::Object(s), Limit::NonBlank(max)) => {
                s.min_length = Some(1);
                s.max_length = Some(max);
                s.pattern = Some(NON_BLANK.into());
            }
            (Schema::Object(s), Limit::Chars(min, max)) => {
                s.min_length = (min > 0).then_some(min);
                s.max_length = Some(max);
            }
            (Schema::Object(s), Limit::Int(min, max)) => {
                s.minimum = Some(Number::Int(min as isize));
                s.maximum = Some(Number::Int(max as isize));
            }
            (Schema::Object(s), Limit::Num(min, max)) => {
                s.minimum = Some(Number::Float(min));
                s.maximum = Some(Number::Float(max));
            }
            (Schema::Object(s), Limit::Email) => {
                s.format = Some(SchemaFormat::KnownFormat(KnownFormat::Email));
                s.max_length = Some(service::limits::EMAIL_CHARS);
            }
            (Schema::Object(s), Limit::WebLink(max)) => {
                s.max_length = Some(max);
                s.pattern = Some(WEB_LINK.into());
            }
            (Schema::Object(s), Limit::StorableDate) => {
                s.pattern = Some(STORABLE_DATE.into());
                s.description = Some(format!(
                    "A date from {} to {} (what every backend stores).",
                    service::limits::EARLIEST_DATE,
                    service::limits::LATEST_DATE
                ));
            }
            (Schema::Array(a), Limit::Items(min, max)) => {
                a.min_items = (min > 0).then_some(min);
                a.max_items = Some(max);
            }
            (Schema::Array(a), Limit::Unique) => a.unique_items = true,
            (Schema::Array(a), Limit::ItemChars(max)) => match &mut a.items {
                ArrayItems::RefOrSchema(item) => match item.as_mut() {
                    RefOr::T(Schema::Object(s)) => s.max_length = Some(max),
                    _ => panic!("{schema}.{property} items are not strings"),
                },
                ArrayItems::False => panic!("{schema}.{property} has no items"),
            },
            _ => panic!("{schema}.{property} cannot take this limit"),
        }
    }
    forbid_nul(schemas);
    document_role_rule(schemas);
    let max_limit = service::pagination::MAX_LIMIT as isize;
    for item in openapi.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for param in op.parameters.iter_mut().flatten() {
                let bounds = match param.name.as_str() {
                    "limit" => (1, max_limit),
                    "offset" => (0, service::pagination::MAX_OFFSET as isize),
                    // Ids are positive `i32`s; a larger one is a 400.
                    id if id.ends_with("_id") => (1, i32::MAX as isize),
                    _ => continue,
                };
                if let Some(RefOr::T(Schema::Object(s))) = param.schema.as_mut() {
                    s.minimum = Some(Number::Int(bounds.0));
                    s.maximum = Some(Number::Int(bounds.1));
                }
            }
        }
    }
}

/// Text with at least one character that is not whitespace, and no NUL.
const NON_BLANK: &str = r"^[^\u0000]*[^\s\u0000][^\u0000]*$";
/// An absolute `http`/`https` URL (the service parses it as well).
const WEB_LINK: &str =
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,4})?([/?#][^\s\u0000]*)?$";
/// `YYYY-MM-DD` with a year of four digits, 1000 to 9999.
const STORABLE_DATE: &str = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$";
/// Text without NUL characters, which every request refuses (see
/// `json_guard`).
const NO_NUL: &str = r"^[^\u0000]*$";

/// States on every string of every request body (`…Request`, `…In`) that
/// NUL characters are refused.
fn forbid_nul(
    schemas: &mut std::collections::BTreeMap<String, RefOr<utoipa::openapi::schema::Schema>>,
) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    fn is_string(s: &utoipa::openapi::schema::Object) -> bool {
        match &s.schema_type {
            SchemaType::Type(t) => *t == Type::String,
            SchemaType::Array(types) => types.contains(&Type::String),
            SchemaType::AnyValue => false,
        }
    }
    fn visit(schema: &mut Schema) {
        match schema {
            Schema::Object(o) if is_string(o) && o.pattern.is_none() => {
                o.pattern = Some(NO_NUL.into())
            }
            Schema::Object(o) => {
                for property in o.properties.values_mut() {
                    if let RefOr::T(p) = property {
                        visit(p);
                    }
                }
            }
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(item) = &mut a.items
                    && let RefOr::T(item) = item.as_mut()
                {
                    visit(item);
                }
            }
            _ => {}
        }
    }
    for (name, schema) in schemas.iter_mut() {
        if (name.ends_with("Request") || name.ends_with("In"))
            && let RefOr::T(schema) = schema
        {
            visit(schema);
        }
    }
}

/// A new user's role decides its organization: a platform admin has none,
/// anyone else needs one. Stated as `allOf: [fields, anyOf: [platform
/// admin without organization, other role with organization]]`.
fn document_role_rule(
    schemas: &mut std::collections::BTreeMap<String, RefOr<utoipa::openapi::schema::Schema>>,
) {
    use serde_json::json;
    use utoipa::openapi::schema::{
        AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, SchemaType, Type,
    };
    let Some(fields) = schemas.remove("CreateUserRequest") else {
        panic!("no CreateUserRequest schema");
    };
    // An `ObjectBuilder` is `type: object` unless told otherwise: a role is
    // a string (or null), so its schema states values only.
    let role = |values: &[serde_json::Value]| {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .enum_values(Some(values.iter().cloned()))
    };
    let platform_admin = ObjectBuilder::new()
        .property("role", role(&[json!("platform_admin")]))
        .property("org_id", ObjectBuilder::new().schema_type(Type::Null))
        .required("role");
    let member = ObjectBuilder::new()
        .property(
            "role",
            role(&[json!("org_admin"), json!("member"), json!(null)]),
        )
        .property(
            "org_id",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(i32::MAX)),
        )
        .required("org_id");
    let rule = AnyOfBuilder::new()
        .item(platform_admin)
        .item(member)
        .description(Some(
            "A platform admin belongs to no organization; every other role needs `org_id`.",
        ));
    schemas.insert(
        "CreateUserRequest".into(),
        RefOr::T(Schema::AllOf(
            AllOfBuilder::new().item(fields).item(rule).build(),
        )),
    );
}
