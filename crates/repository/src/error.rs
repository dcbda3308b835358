//! The repository's error type: database failures, classified.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// A unique constraint of the schema, identified by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    UserEmail,
    OrganizationName,
    ArticleDoi,
    ArticlePmid,
    /// A primary key or another unique index.
    Other(String),
}

impl Constraint {
    /// Maps a constraint (index) name, as the database reports it, to the
    /// schema's named constraints.
    pub fn from_name(name: &str) -> Self {
        match name {
            "uq_users_email" => Self::UserEmail,
            "uq_organizations_name" => Self::OrganizationName,
            "uq_articles_doi" => Self::ArticleDoi,
            "uq_articles_pmid" => Self::ArticlePmid,
            other => Self::Other(other.to_owned()),
        }
    }

    /// SQLite names the violated columns, not the index.
    fn from_sqlite_columns(columns: &str) -> Self {
        match columns {
            "users.email" => Self::UserEmail,
            "organizations.name" => Self::OrganizationName,
            "articles.doi" => Self::ArticleDoi,
            "articles.pmid" => Self::ArticlePmid,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// What can go wrong in the data layer.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The row does not exist.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: i64 },
    /// A unique constraint rejected the write.
    #[error("duplicate value for {0:?}")]
    Duplicate(Constraint),
    /// A foreign key rejected the write (missing parent, or children remain).
    #[error("foreign key violation: {0}")]
    ForeignKey(String),
    /// The pool had no free connection in time, or the database is unreachable.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] DbErr),
    /// A value no backend-independent column can hold (see [`crate::dates`]);
    /// refused before any statement binds it.
    #[error("value cannot be stored: {0}")]
    Unstorable(String),
    /// The configuration is unusable (bad URL, unknown key).
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// Any other database error.
    #[error(transparent)]
    Db(DbErr),
}

impl RepoError {
    /// True when the error is the named unique constraint.
    pub fn is_duplicate(&self, constraint: &Constraint) -> bool {
        matches!(self, RepoError::Duplicate(c) if c == constraint)
    }

    /// True when the database gave up the statement to break a deadlock or
    /// a serialization conflict (InnoDB, for one, deadlocks inserters of
    /// the same unique key): running it again is correct.
    pub fn is_deadlock(&self) -> bool {
        match self {
            RepoError::Db(err) => matches!(
                database_code(err).as_deref(),
                Some("40001" | "40P01" | "1213")
            ),
            _ => false,
        }
    }
}

impl From<DbErr> for RepoError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                RepoError::Duplicate(violated_constraint(&err))
            }
            Some(SqlErr::ForeignKeyConstraintViolation(message)) => RepoError::ForeignKey(message),
            _ if is_unavailable(&err) => RepoError::Unavailable(err),
            // SQLite reports a RESTRICT foreign key as extended code 1811,
            // which SeaORM does not classify.
            _ if database_code(&err).as_deref() == Some("1811") => {
                RepoError::ForeignKey("FOREIGN KEY constraint failed".into())
            }
            _ => RepoError::Db(err),
        }
    }
}

/// Connection-level failures: the request may succeed later (HTTP 503).
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                SqlxError::Io(_)
                    | SqlxError::PoolTimedOut
                    | SqlxError::PoolClosed
                    | SqlxError::WorkerCrashed
                    | SqlxError::Tls(_)
            ) || is_lost_connection(e.as_ref())
        }
        _ => false,
    }
}

/// A protocol error means the connection is unusable, except the one sqlx
/// reports for a statement sent with fewer values than placeholders: that is
/// a value its driver could not encode (a bug of the caller, HTTP 500, see
/// [`crate::dates`]), not an unavailable database.
fn is_lost_connection(err: &sea_orm::sqlx::Error) -> bool {
    match err {
        sea_orm::sqlx::Error::Protocol(message) => !message.contains("parameters were provided"),
        _ => false,
    }
}

fn database_code(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The name of the unique constraint an error reports: PostgreSQL says it,
/// MySQL/MariaDB put it last in the message (`… for key 'name'`), SQLite
/// names the columns (`UNIQUE constraint failed: table.column`).
fn violated_constraint(err: &DbErr) -> Constraint {
    let database_error = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(db) => db,
                _ => return Constraint::Other(String::new()),
            }
        }
        _ => return Constraint::Other(String::new()),
    };
    if let Some(name) = database_error.constraint() {
        return Constraint::from_name(name);
    }
    let message = database_error.message();
    if let Some(rest) = message.strip_prefix("UNIQUE constraint failed: ") {
        let first = rest.split(',').next().unwrap_or(rest).trim();
        return Constraint::from_sqlite_columns(first);
    }
    if let Some(pos) = message.rfind("for key '") {
        let key = message[pos + "for key '".len()..].trim_end_matches('\'');
        // MySQL 8 prefixes the table: `users.uq_users_email`.
        let key = key.rsplit('.').next().unwrap_or(key);
        return Constraint::from_name(key);
    }
    Constraint::Other(message.to_owned())
}
