//! The JWT secret of the embedded SQLite default: generated at first start,
//! kept beside the database file, readable by its owner only.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secrecy::SecretString;
use tokio::io::AsyncWriteExt;

/// Where the generated secret of the database at `db_file` lives.
pub fn secret_file(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".jwt-secret");
    PathBuf::from(name)
}

/// Reads the secret beside `db_file`, creating it (mode 0600) on first use.
/// Restarts reuse it, so tokens survive them.
pub async fn load_or_create(db_file: &Path) -> anyhow::Result<SecretString> {
    let path = secret_file(db_file);
    match read(&path).await? {
        Some(secret) => Ok(secret),
        None => create(&path).await,
    }
}

/// The secret in `path`, `None` when there is no such file.
async fn read(path: &Path) -> anyhow::Result<Option<SecretString>> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let secret = text.trim();
    if secret.len() < service::settings::MIN_SECRET_BYTES {
        bail!(
            "{} holds a secret shorter than {} bytes: delete it to generate a new one",
            path.display(),
            service::settings::MIN_SECRET_BYTES
        );
    }
    Ok(Some(SecretString::from(secret.to_owned())))
}

async fn create(path: &Path) -> anyhow::Result<SecretString> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let secret = service::auth::generate_secret();
    let mut options = tokio::fs::OpenOptions::new();
    // create_new: two processes starting at once never overwrite each
    // other's secret; the loser reads the winner's.
    options.write(true).create_new(true).mode(0o600);
    let mut file = match options.open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return read(path)
                .await?
                .with_context(|| format!("{} vanished while it was read", path.display()));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    file.write_all(secret.as_bytes())
        .await
        .and(file.sync_all().await)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(file = %path.display(), "generated a JWT secret for the embedded database");
    Ok(SecretString::from(secret))
}
