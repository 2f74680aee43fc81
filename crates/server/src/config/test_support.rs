//! Helpers the configuration tests share.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Config, ConfigErrors};

/// Loads a configuration from exactly these variables.
pub(super) fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(|name| map.get(name).cloned())
}

/// The error message naming `variable`; panics when loading succeeds or names it not.
pub(super) fn error_for(vars: &[(&str, &str)], variable: &str) -> String {
    match load(vars) {
        Ok(_) => panic!("expected an error for {variable}"),
        Err(e) => e
            .get(variable)
            .map(|e| e.to_string())
            .unwrap_or_else(|| panic!("no error names {variable}: {e}")),
    }
}

/// A file in the system temp directory, removed when dropped.
pub(super) struct TempFile(PathBuf);

impl TempFile {
    pub(super) fn new(name: &str, content: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "formula-pm-config-test-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
    pub(super) fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
