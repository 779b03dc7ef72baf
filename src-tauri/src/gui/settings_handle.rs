//! The settings the window works with: loaded once at start, changed by the page, and
//! written back to `settings.json` on every change.

use std::sync::{Mutex, PoisonError};

use whisperrr_core::settings::{Settings, SettingsError, SettingsStore};

pub struct SettingsHandle {
    store: SettingsStore,
    current: Mutex<Settings>,
    /// Problems found while loading, shown to the user once the page asks.
    load_warnings: Vec<String>,
}

impl SettingsHandle {
    /// Loads the settings, repairing a damaged file; see [`SettingsStore::load`].
    pub fn load(store: SettingsStore) -> Self {
        let loaded = store.load();
        Self { store, current: Mutex::new(loaded.settings), load_warnings: loaded.warnings }
    }

    pub fn get(&self) -> Settings {
        self.current.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn load_warnings(&self) -> &[String] {
        &self.load_warnings
    }

    /// Saves `settings` to disk, then makes them current. On failure the current settings
    /// stay as they were.
    pub fn replace(&self, settings: Settings) -> Result<(), SettingsError> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        self.store.save(&settings)?;
        tracing::info!(path = %self.store.path().display(), "settings saved");
        *current = settings;
        Ok(())
    }

    /// Applies `change` to a copy of the current settings and saves the result.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) -> Result<Settings, SettingsError> {
        let mut settings = self.get();
        change(&mut settings);
        self.replace(settings.clone())?;
        Ok(settings)
    }
}
