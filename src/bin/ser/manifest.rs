//! Manifests in the format of `../shared/data/manifest.csv`:
//! `path,corpus,speaker,gender,emotion,intensity,duration_s`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestRow {
    pub path: String,
    #[serde(default)]
    pub corpus: String,
    #[serde(default)]
    pub speaker: String,
    #[serde(default)]
    pub gender: String,
    pub emotion: String,
    #[serde(default)]
    pub intensity: String,
}

impl ManifestRow {
    pub fn resolve(&self, root: &Path) -> PathBuf {
        root.join(&self.path)
    }
}

/// Reads a manifest. Relative paths in it resolve against `root`, or else the manifest's folder.
pub fn read_manifest(path: &Path) -> Result<Vec<ManifestRow>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: cannot read the manifest ({e}).", path.display()))?;
    let mut rows = Vec::new();
    for (i, row) in reader.deserialize::<ManifestRow>().enumerate() {
        rows.push(row.map_err(|e| {
            format!("{}: line {} is not a manifest row with path and emotion columns ({e}).", path.display(), i + 2)
        })?);
    }
    if rows.is_empty() {
        return Err(format!("{}: the manifest lists no clips.", path.display()));
    }
    Ok(rows)
}

pub fn default_root(manifest: &Path, root: Option<&Path>) -> PathBuf {
    match root {
        Some(r) => r.to_path_buf(),
        None => manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
    }
}
