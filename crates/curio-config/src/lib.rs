//! Where Curio's configuration comes from, shared by the `curio` binary and
//! the migration CLI so that both read the same database: embedded
//! defaults (`config/default.toml`) < a second file (`CURIO_CONFIG`) <
//! `CURIO__SECTION__KEY` environment variables < `DATABASE_URL`. Also the
//! database URL forms Curio accepts ([`database_url`]).

pub mod database_url;

pub use config::{Config, ConfigError};
use config::{Environment, File, FileFormat};

/// The embedded defaults.
pub const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// One section of the embedded defaults, as its settings type: the `Default`
/// of every settings section, so that each default is written once, in
/// `config/default.toml`, whether Curio reads its layers or a program builds
/// a section in code.
///
/// # Panics
///
/// When the embedded file lacks the section or holds a value of another
/// type: a build defect, which every crate's tests meet first.
pub fn defaults<T: serde::de::DeserializeOwned>(section: &str) -> T {
    Config::builder()
        .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
        .build()
        .and_then(|defaults| defaults.get(section))
        .unwrap_or_else(|e| panic!("config/default.toml: [{section}]: {e}"))
}

/// Keys whose environment value is a comma-separated list.
const LIST_KEYS: &[&str] = &["server.cors_origins", "server.trusted_proxies"];

/// The layers read from `vars` (the process environment, or a test's own).
pub fn layered(vars: &[(String, String)]) -> Result<Config, ConfigError> {
    let get = |k: &str| {
        vars.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
    if let Some(path) = get("CURIO_CONFIG") {
        builder = builder.add_source(File::with_name(&path).required(true));
    }
    let env: config::Map<String, String> = vars
        .iter()
        .filter(|(k, _)| k.starts_with("CURIO__"))
        .cloned()
        .collect();
    let mut environment = Environment::with_prefix("CURIO")
        .prefix_separator("__")
        .separator("__")
        .list_separator(",")
        .try_parsing(true)
        .source(Some(env));
    for key in LIST_KEYS {
        environment = environment.with_list_parse_key(key);
    }
    builder = builder.add_source(environment);
    if let Some(url) = get("DATABASE_URL") {
        builder = builder.set_override("database.url", url)?;
    }
    builder.build()
}

/// The database URL the layers name, as written there.
pub fn database_url(vars: &[(String, String)]) -> Result<String, ConfigError> {
    layered(vars)?.get_string("database.url")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn database_url_comes_from_the_highest_layer_that_sets_it() {
        assert_eq!(database_url(&[]).unwrap(), "sqlite://data/curio.db");
        let from_env = env(&[("CURIO__DATABASE__URL", "postgres://db/curio")]);
        assert_eq!(database_url(&from_env).unwrap(), "postgres://db/curio");
        let both = env(&[
            ("CURIO__DATABASE__URL", "postgres://db/curio"),
            ("DATABASE_URL", "mysql://db/x"),
        ]);
        assert_eq!(database_url(&both).unwrap(), "mysql://db/x");
    }
}
