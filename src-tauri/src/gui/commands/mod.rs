//! The commands the page calls, grouped by what they work on. Each is a thin wrapper:
//! the work lives in the core or in the window's other modules, and anything slow runs on
//! a blocking thread or behind an async dialog, so the window never waits on it.

pub mod jobs;
pub mod models;
pub mod settings;
