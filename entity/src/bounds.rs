//! Bounds on the values a request carries. Each kind of bound is a type
//! that owns its rule, the message a client reads when a value breaks it,
//! and (with the `openapi` feature) its JSON Schema. A request field names
//! its bound beside its declaration (`#[schema(schema_with =
//! Name::schema)]`) and the validator that collects the request's errors
//! checks the field with the same type, so the OpenAPI document states what
//! validation enforces, with no list keyed by schema and property names to
//! keep in step.
//!
//! The bounds are marker types rather than wrappers of the values: the
//! validators report every broken bound of a request at once (a bulk import
//! lists each article's errors), which parsing into wrappers, stopping at
//! the first, would not.

use std::marker::PhantomData;

/// Text of `MIN` to `MAX` characters; with `NON_BLANK`, at least one that
/// is not whitespace.
pub struct Text<const MIN: usize, const MAX: usize, const NON_BLANK: bool = false>;

impl<const MIN: usize, const MAX: usize, const NON_BLANK: bool> Text<MIN, MAX, NON_BLANK> {
    /// Why `text` breaks the bound, as a client reads it.
    pub fn refusal(text: &str) -> Option<String> {
        let n = text.chars().count();
        let within = (MIN..=MAX).contains(&n) && !(NON_BLANK && text.trim().is_empty());
        (!within).then(|| match (NON_BLANK, MIN) {
            (true, _) => format!("must be {} to {MAX} characters, not all blank", MIN.max(1)),
            (false, 0) => format!("must be at most {MAX} characters"),
            (false, _) => format!("must be {MIN} to {MAX} characters"),
        })
    }
}

/// A syntactically plausible email address of at most `MAX` characters:
/// one `@`, a dotted domain, no spaces (surrounding ones are ignored).
pub struct Email<const MAX: usize>;

impl<const MAX: usize> Email<MAX> {
    pub fn refusal(email: &str) -> Option<String> {
        let email = email.trim();
        let plausible = email.chars().count() <= MAX
            && !email.contains(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            });
        (!plausible).then(|| "must be a valid email address".to_owned())
    }
}

/// An absolute `http` or `https` URL with a host, of at most `MAX`
/// characters: what a report, an email or a feed may turn into a link.
/// `javascript:`, `data:` and the like would run in a reader's browser.
pub struct WebLink<const MAX: usize>;

impl<const MAX: usize> WebLink<MAX> {
    pub fn refusal(url: &str) -> Option<String> {
        if url.chars().count() > MAX {
            return Some(format!("must be at most {MAX} characters"));
        }
        (!is_web_link(url)).then(|| "must be an http or https URL".to_owned())
    }
}

/// Whether `url` is an absolute `http` or `https` URL with a host.
pub fn is_web_link(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A relative path of at most `MAX` characters inside a directory the
/// operator names: components of letters, digits, `.`, `_` and `-` that
/// start with a letter or digit, joined by `/`. No component can be `..`
/// or hidden, and nothing can be absolute, so the path stays inside.
pub struct RelativePath<const MAX: usize>;

impl<const MAX: usize> RelativePath<MAX> {
    pub fn refusal(path: &str) -> Option<String> {
        if path.chars().count() > MAX {
            return Some(format!("must be at most {MAX} characters"));
        }
        (!is_relative_path(path)).then(|| {
            "must be a relative path of names made of letters, digits, `.`, `_` and `-`, \
             each starting with a letter or digit, joined by `/`"
                .to_owned()
        })
    }
}

/// Whether `path` is a [`RelativePath`] (length aside).
pub fn is_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
}

/// An integer from `MIN` to `MAX`.
pub struct Range<const MIN: i64, const MAX: i64>;

impl<const MIN: i64, const MAX: i64> Range<MIN, MAX> {
    pub fn refusal(n: impl Into<i64>) -> Option<String> {
        (!(MIN..=MAX).contains(&n.into())).then(|| format!("must be between {MIN} and {MAX}"))
    }
}

/// `MIN` to `MAX` items, each described by `T`; with `UNIQUE`, none twice
/// (the schema says so; the validator that knows the items checks it).
pub struct Items<T, const MIN: usize, const MAX: usize, const UNIQUE: bool = false>(PhantomData<T>);

impl<T, const MIN: usize, const MAX: usize, const UNIQUE: bool> Items<T, MIN, MAX, UNIQUE> {
    /// Why a list of `count` items breaks the bound.
    pub fn refusal(count: usize) -> Option<String> {
        (!(MIN..=MAX).contains(&count)).then(|| match MIN {
            0 => format!("must have at most {MAX} items"),
            _ => format!("must have {MIN} to {MAX} items"),
        })
    }
}

/// A component of the document as the item of a bounded list, referred to
/// by its name.
pub struct Component<T>(PhantomData<T>);

/// The JSON Schema of each bound, from the same constants: `schema` for a
/// field and `nullable` for a field that may be `null`.
#[cfg(feature = "openapi")]
mod schemas {
    use utoipa::openapi::schema::{
        ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    use utoipa::{Number, PartialSchema, ToSchema};

    use super::*;

    /// Text with at least one character that is not whitespace, and no NUL.
    pub const NON_BLANK_TEXT: &str = r"^[^\u0000]*[^\s\u0000][^\u0000]*$";
    /// An absolute `http`/`https` URL (the service parses it as well).
    pub const WEB_LINK: &str =
        r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,4})?([/?#][^\s\u0000]*)?$";
    /// A [`RelativePath`]: the same rule as `is_relative_path`.
    pub const RELATIVE_PATH: &str = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$";
    /// Text without NUL characters, which every request refuses.
    pub const NO_NUL: &str = r"^[^\u0000]*$";

    /// `ty`, or `[ty, "null"]` for a field that may be `null`.
    pub fn of(ty: Type, nullable: bool) -> SchemaType {
        if nullable {
            SchemaType::from_iter([ty, Type::Null])
        } else {
            SchemaType::Type(ty)
        }
    }

    /// `schema()` and `nullable()` of a bound described by `describe`.
    macro_rules! schema_fns {
        () => {
            pub fn schema() -> RefOr<Schema> {
                Self::describe(false).into()
            }

            pub fn nullable() -> RefOr<Schema> {
                Self::describe(true).into()
            }
        };
    }

    impl<const MIN: usize, const MAX: usize, const NON_BLANK: bool> Text<MIN, MAX, NON_BLANK> {
        fn describe(nullable: bool) -> ObjectBuilder {
            let min = if NON_BLANK { MIN.max(1) } else { MIN };
            ObjectBuilder::new()
                .schema_type(of(Type::String, nullable))
                .min_length((min > 0).then_some(min))
                .max_length(Some(MAX))
                .pattern(Some(if NON_BLANK { NON_BLANK_TEXT } else { NO_NUL }))
        }
        schema_fns!();
    }

    impl<const MAX: usize> Email<MAX> {
        fn describe(nullable: bool) -> ObjectBuilder {
            ObjectBuilder::new()
                .schema_type(of(Type::String, nullable))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
                .max_length(Some(MAX))
                .pattern(Some(NO_NUL))
        }
        schema_fns!();
    }

    impl<const MAX: usize> WebLink<MAX> {
        fn describe(nullable: bool) -> ObjectBuilder {
            ObjectBuilder::new()
                .schema_type(of(Type::String, nullable))
                .max_length(Some(MAX))
                .pattern(Some(WEB_LINK))
        }
        schema_fns!();
    }

    impl<const MAX: usize> RelativePath<MAX> {
        fn describe(nullable: bool) -> ObjectBuilder {
            ObjectBuilder::new()
                .schema_type(of(Type::String, nullable))
                .min_length(Some(1))
                .max_length(Some(MAX))
                .pattern(Some(RELATIVE_PATH))
        }
        schema_fns!();
    }

    impl<const MIN: i64, const MAX: i64> Range<MIN, MAX> {
        fn describe(nullable: bool) -> ObjectBuilder {
            let int32 = i32::try_from(MIN).is_ok() && i32::try_from(MAX).is_ok();
            let format = if int32 {
                KnownFormat::Int32
            } else {
                KnownFormat::Int64
            };
            ObjectBuilder::new()
                .schema_type(of(Type::Integer, nullable))
                .format(Some(SchemaFormat::KnownFormat(format)))
                .minimum(Some(Number::Int(MIN as isize)))
                .maximum(Some(Number::Int(MAX as isize)))
        }
        schema_fns!();
    }

    /// The schema of an item of a bounded list.
    pub trait Item {
        fn item() -> RefOr<Schema>;
    }

    impl<const MIN: usize, const MAX: usize, const NON_BLANK: bool> Item for Text<MIN, MAX, NON_BLANK> {
        fn item() -> RefOr<Schema> {
            Self::schema()
        }
    }

    impl Item for String {
        fn item() -> RefOr<Schema> {
            <String as PartialSchema>::schema()
        }
    }

    impl Item for i32 {
        fn item() -> RefOr<Schema> {
            <i32 as PartialSchema>::schema()
        }
    }

    impl<T: ToSchema> Item for Component<T> {
        fn item() -> RefOr<Schema> {
            RefOr::Ref(Ref::from_schema_name(T::name()))
        }
    }

    impl<T: Item, const MIN: usize, const MAX: usize, const UNIQUE: bool> Items<T, MIN, MAX, UNIQUE> {
        fn describe(nullable: bool) -> ArrayBuilder {
            let array = ArrayBuilder::new()
                .items(T::item())
                .min_items((MIN > 0).then_some(MIN))
                .max_items(Some(MAX))
                .unique_items(UNIQUE);
            if nullable {
                array.schema_type(of(Type::Array, true))
            } else {
                array
            }
        }
        schema_fns!();
    }
}

#[cfg(feature = "openapi")]
pub use schemas::{Item, NO_NUL, of as schema_type};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_path_cannot_climb_hide_or_start_at_the_root() {
        for ok in ["feed.atom", "journals/nejm-toc.xml", "a/b/c_1-2.json"] {
            assert!(is_relative_path(ok), "{ok}");
        }
        for refused in [
            "",
            "/etc/passwd",
            "../secret",
            "a/../b",
            "a/./b",
            ".hidden",
            "a//b",
            "a/",
            "a b",
            "a\\b",
            "ü.xml",
        ] {
            assert!(!is_relative_path(refused), "{refused:?}");
        }
        assert!(RelativePath::<8>::refusal("abcdefghi").is_some());
    }
}
