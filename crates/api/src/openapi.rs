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

/// Adds the error responses of the contract to every operation: which ones
/// depends on the operation (authentication, body, LLM work).
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
            let login = path.ends_with("/auth/login");
            let mut codes: Vec<(&str, &str)> = vec![
                ("400", "Malformed JSON, query or path parameter"),
                ("422", "Validation failed, per field"),
                ("500", "Internal error (the body carries only a request id)"),
                (
                    "503",
                    "Database unavailable or pool exhausted; retry after `Retry-After`",
                ),
            ];
            if login {
                codes.push(("401", "Unknown email or wrong password"));
                codes.push(("429", "Too many failed attempts; retry after `Retry-After`"));
            } else {
                codes.push(("401", "Missing, malformed, expired or tampered token"));
                codes.push(("403", "Visible, but the role does not allow the action"));
                codes.push(("404", "Absent, or not visible to the caller"));
            }
            if method != "get" {
                codes.push(("413", "Body too large"));
                codes.push(("409", "Conflict with the current state (duplicate, stale)"));
            }
            if path.contains("/summarize") || path.contains("/summaries/preview") {
                codes.push(("502", "The LLM provider failed; `failed` lists the items"));
                codes.push(("504", "The LLM provider timed out"));
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
