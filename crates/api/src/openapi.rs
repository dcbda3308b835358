//! The OpenAPI 3.1 document: paths and schemas are collected from the
//! handlers' annotations; this module adds the shared parts (security, the
//! problem schema) and the error responses each operation can give.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::dto::{ArticleUpdateIn, DecisionIn, EditArticleRequest, NewArticleIn, ReportArticleIn};
use crate::error::{Problem, ProblemFailedItem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(title = "Curio", description = "Research streams, curated reports and LLM summaries over a REST API."),
    // The items of bounded lists, which the lists' schemas refer to by name.
    components(schemas(Problem, ProblemField, ProblemFailedItem, NewArticleIn, ArticleUpdateIn,
        ReportArticleIn, DecisionIn, service::streams::Category,
        service::stream_config::ExclusionReason, service::stream_config::Source,
        service::stream_config::PubmedDateField)),
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

/// States what the handlers' annotations cannot: that request text refuses
/// NUL, the role rule of a new user, and the pagination and id bounds of
/// every operation's parameters. The bounds of body fields are stated by
/// the fields themselves (see `service::limits`).
pub fn document_limits(openapi: &mut OpenApiDoc) {
    use utoipa::Number;
    use utoipa::openapi::schema::Schema;
    let schemas = &mut openapi
        .components
        .as_mut()
        .expect("the document has components")
        .schemas;
    forbid_nul(schemas);
    document_role_rule(schemas);
    // A patch that changes nothing is refused. Stated here because
    // `#[schema(min_properties = 1)]` writes `maxProperties` (utoipa-gen 5.5).
    if let Some(RefOr::T(Schema::Object(patch))) =
        schemas.get_mut(&*<EditArticleRequest as utoipa::ToSchema>::name())
    {
        patch.min_properties = Some(1);
    }
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

/// Text without NUL characters, which every request refuses (see
/// `json_guard`).
use service::limits::NO_NUL;

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
