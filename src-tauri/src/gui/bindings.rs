//! The typed bridge between Rust and the page: every command and event, registered with
//! tauri-specta, which also writes `ui/bindings.js` (JavaScript with JSDoc types).
//!
//! `ui/bindings.js` is committed, because building the app must not need Node or a code
//! generator. A test fails when it no longer matches the Rust side; regenerate it with
//! `UPDATE_BINDINGS=1 cargo test -p whisperrr bindings_match`.

use tauri_specta::{collect_commands, collect_events, Builder};

use super::commands::{jobs, models, settings};
use super::events::{
    ActiveModelChanged, InputsChecked, JobChanged, JobSegmentAdded, JobsRemoved, ModelFetchEnded, ModelFetchProgress,
};

pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            jobs::list_jobs,
            jobs::open_files,
            jobs::drop_paths_for_automation,
            jobs::cancel_job,
            jobs::cancel_all_jobs,
            jobs::remove_job,
            jobs::remove_finished_jobs,
            jobs::save_transcript_as,
            jobs::save_unsaved_job,
            jobs::show_in_folder,
            settings::get_settings,
            settings::update_settings,
            settings::choose_output_folder,
            models::list_models,
            models::get_active_model,
            models::fetch_model,
            models::cancel_model_fetch,
            models::use_model,
            models::import_model,
            models::import_model_for_automation,
            models::remove_model,
        ])
        .events(collect_events![
            JobChanged,
            JobSegmentAdded,
            JobsRemoved,
            ActiveModelChanged,
            InputsChecked,
            ModelFetchProgress,
            ModelFetchEnded,
        ])
        // Every 64-bit integer crossing to the page is a count of milliseconds, bytes,
        // segments or jobs, far below 2^53, so a JavaScript number represents it exactly.
        .dangerously_cast_bigints_to_number()
}

/// JSDoc output without the documentation of fields and enum variants.
///
/// specta-typescript 0.0.13 writes those docs as `/** ... */` inside the JSDoc comment of
/// their type, which ends that comment early and makes the file invalid JavaScript. The
/// docs of whole types are kept.
// NOTE: drop this wrapper once tauri-specta moves to a specta-typescript that fixes it.
#[cfg(test)]
struct JsDocWithoutMemberDocs;

#[cfg(test)]
impl tauri_specta::LanguageExt for JsDocWithoutMemberDocs {
    type Error = specta_typescript::Error;

    fn export(self, config: &tauri_specta::BuilderConfiguration, path: &std::path::Path) -> Result<(), Self::Error> {
        let mut config = config.clone();
        config.types.iter_mut(|named| {
            if let Some(data_type) = &mut named.ty {
                strip_member_docs(data_type);
            }
        });
        specta_typescript::JSDoc::default().export(&config, path)
    }
}

#[cfg(test)]
fn strip_member_docs(data_type: &mut specta::datatype::DataType) {
    use specta::datatype::DataType;

    match data_type {
        DataType::Struct(structure) => strip_field_docs(&mut structure.fields),
        DataType::Enum(enumeration) => {
            for (_, variant) in &mut enumeration.variants {
                variant.docs = "".into();
                strip_field_docs(&mut variant.fields);
            }
        }
        DataType::Nullable(inner) => strip_member_docs(inner),
        DataType::Intersection(parts) => parts.iter_mut().for_each(strip_member_docs),
        _ => {}
    }
}

#[cfg(test)]
fn strip_field_docs(fields: &mut specta::datatype::Fields) {
    use specta::datatype::Fields;

    let fields: Vec<&mut specta::datatype::Field> = match fields {
        Fields::Unit => Vec::new(),
        Fields::Unnamed(unnamed) => unnamed.fields.iter_mut().collect(),
        Fields::Named(named) => named.fields.iter_mut().map(|(_, field)| field).collect(),
    };
    for field in fields {
        field.docs = "".into();
        if let Some(data_type) = &mut field.ty {
            strip_member_docs(data_type);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The generated file, relative to the repository root.
    const BINDINGS_PATH: &str = "ui/bindings.js";

    fn committed_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(BINDINGS_PATH)
    }

    #[test]
    fn bindings_match_rust_side() {
        let dir = tempfile::tempdir().unwrap();
        let generated = dir.path().join("bindings.js");
        builder().export(JsDocWithoutMemberDocs, &generated).unwrap();
        let generated = std::fs::read_to_string(&generated).unwrap();

        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(committed_path(), &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
        assert!(
            committed == generated,
            "{BINDINGS_PATH} is stale: the commands or events changed. Regenerate it with \
             `UPDATE_BINDINGS=1 cargo test -p whisperrr bindings_match` and commit it."
        );
    }

    #[test]
    fn bindings_have_no_nested_comments() {
        let dir = tempfile::tempdir().unwrap();
        let generated = dir.path().join("bindings.js");
        builder().export(JsDocWithoutMemberDocs, &generated).unwrap();
        let text = std::fs::read_to_string(&generated).unwrap();

        let mut open = false;
        for (number, line) in text.lines().enumerate() {
            let opens = line.contains("/*");
            assert!(!(open && opens), "line {}: a comment opens inside a comment: {line}", number + 1);
            if opens {
                open = true;
            }
            if line.contains("*/") {
                open = false;
            }
        }
    }
}
