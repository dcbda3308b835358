//! The database URL forms Curio accepts, normalized to what sqlx reads.

use url::Url;

/// Accepts sqlx URLs and the SQLAlchemy forms of the service Curio replaces:
/// `mysql+pymysql://`, `mysql+aiomysql://`, `postgresql+asyncpg://`,
/// `postgresql://`, `sqlite+aiosqlite:///relative.db` (three slashes: relative,
/// four: absolute). `charset` must be `utf8mb4` (or `utf8`, read as
/// `utf8mb4`) because titles carry emoji; SQLite files get `mode=rwc` so a
/// fresh machine creates its database.
pub fn normalize(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let (scheme, rest) = raw
        .split_once(':')
        .ok_or_else(|| "database URL has no scheme".to_owned())?;
    let (base, driver) = match scheme.split_once('+') {
        Some((base, driver)) => (base.to_ascii_lowercase(), Some(driver.to_ascii_lowercase())),
        None => (scheme.to_ascii_lowercase(), None),
    };
    match base.as_str() {
        "sqlite" => normalize_sqlite(rest, driver.is_some()),
        "mysql" | "mariadb" => normalize_server("mysql", rest, true),
        "postgres" | "postgresql" => normalize_server("postgres", rest, false),
        other => Err(format!(
            "unsupported database scheme `{other}` (expected sqlite, mysql or postgres)"
        )),
    }
}

fn normalize_sqlite(rest: &str, sqlalchemy_form: bool) -> Result<String, String> {
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if path == ":memory:" || path == "///:memory:" || path == "//:memory:" {
        return Ok("sqlite::memory:".into());
    }
    let path = path
        .strip_prefix("//")
        .ok_or_else(|| "sqlite URL must look like sqlite://path".to_owned())?;
    // SQLAlchemy: `sqlite:///rel.db` is relative and `sqlite:////abs.db`
    // absolute; sqlx reads one slash fewer.
    let path = if sqlalchemy_form {
        path.strip_prefix('/').unwrap_or(path)
    } else {
        path
    };
    if path.is_empty() {
        return Err("sqlite URL has no file path".into());
    }
    let mut params: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc".into());
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

fn normalize_server(scheme: &str, rest: &str, mysql: bool) -> Result<String, String> {
    let mut url = Url::parse(&format!("{scheme}:{rest}"))
        .map_err(|e| format!("invalid database URL: {e}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("database URL has no host".into());
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "charset" if mysql => {
                let charset = value.to_ascii_lowercase();
                if charset != "utf8mb4" && charset != "utf8" {
                    return Err(format!("charset `{value}` is not supported: use utf8mb4"));
                }
                pairs.push(("charset".into(), "utf8mb4".into()));
            }
            "charset" => {}
            _ => pairs.push((key.into_owned(), value.into_owned())),
        }
    }
    if mysql && !pairs.iter().any(|(k, _)| k == "charset") {
        pairs.push(("charset".into(), "utf8mb4".into()));
    }
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    Ok(url.to_string())
}

/// The URL without user, password or query: `mysql://db.internal:3306/curio`.
pub fn redacted(raw: &str) -> String {
    match normalize(raw) {
        Ok(url) if url.starts_with("sqlite:") => url.split('?').next().unwrap_or("sqlite").into(),
        Ok(url) => match Url::parse(&url) {
            Ok(u) => format!(
                "{}://{}:{}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.port()
                    .unwrap_or(if u.scheme() == "mysql" { 3306 } else { 5432 }),
                u.path()
            ),
            Err(_) => "<unparseable database URL>".into(),
        },
        Err(_) => "<invalid database URL>".into(),
    }
}

/// The file of a file-backed SQLite URL in normalized form (`None` for
/// servers and in-memory SQLite).
pub fn sqlite_file(url: &str) -> Option<&str> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// "cannot connect to <where>: <error and its causes, each once>", naming
/// the database without credentials.
/// The host and port of a database server URL (none for SQLite): what a
/// client probes first, so that a server that is down is one clear error at
/// once instead of a pool's wait for a connection that never comes.
pub fn server_address(url: &str) -> Option<(String, u16)> {
    if url.starts_with("sqlite:") {
        return None;
    }
    let parsed = Url::parse(url).ok()?;
    let port = parsed
        .port_or_known_default()
        .unwrap_or(if parsed.scheme() == "mysql" {
            3306
        } else {
            5432
        });
    let host = parsed
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    Some((host.to_owned(), port))
}

pub fn connect_error(raw_url: &str, err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        source = s.source();
    }
    format!("cannot connect to {}: {text}", redacted(raw_url))
}
