//! Fingerprints the migrations (their sources) so that the PostgreSQL
//! template database a test clones is the one these migrations build: a
//! changed migration makes a new template instead of reusing a stale one.

// A build script runs before any runtime exists.
#![allow(clippy::disallowed_methods)]

use std::hash::Hasher;

/// FNV-1a: stable across builds and toolchains, unlike `DefaultHasher`.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migration/src");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migration crate's sources")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    for file in files {
        hash.write(file.file_name().unwrap_or_default().as_encoded_bytes());
        hash.write(&std::fs::read(&file).expect("a migration source"));
    }
    println!(
        "cargo:rustc-env=CURIO_MIGRATIONS_FINGERPRINT={:016x}",
        hash.finish()
    );
}
