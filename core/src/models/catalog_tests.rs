//! Checks of every entry of `catalog.json`.

use std::collections::HashSet;

use super::*;

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn catalog_parses() {
    let models = parse(CATALOG_JSON).unwrap();
    assert_eq!(models.len(), all().len());
}

#[test]
fn catalog_has_every_size_and_language_variant() {
    let names: HashSet<&str> = all().iter().map(|model| model.name).collect();
    let required = [
        "tiny",
        "tiny.en",
        "base",
        "base.en",
        "small",
        "small.en",
        "medium",
        "medium.en",
        "large-v3",
        "large-v3-turbo",
    ];
    for name in required {
        assert!(names.contains(name), "{name} is missing");
    }

    // The quantized files whisper.cpp's download-ggml-model.sh offers.
    let quantized = [
        "tiny-q5_1",
        "tiny.en-q5_1",
        "tiny-q8_0",
        "base-q5_1",
        "base.en-q5_1",
        "base-q8_0",
        "small-q5_1",
        "small.en-q5_1",
        "small-q8_0",
        "medium-q5_0",
        "medium.en-q5_0",
        "medium-q8_0",
        "large-v3-q5_0",
        "large-v3-turbo-q5_0",
        "large-v3-turbo-q8_0",
    ];
    for name in quantized {
        assert!(names.contains(name), "{name} is missing");
    }
    assert_eq!(names.len(), required.len() + quantized.len());
}

#[test]
fn catalog_entries_are_consistent() {
    let families = [
        "tiny",
        "base",
        "small",
        "medium",
        "large-v3",
        "large-v3-turbo",
    ];
    let mut names = HashSet::new();
    let mut hashes = HashSet::new();

    for model in all() {
        let name = model.name;
        assert!(names.insert(name), "{name} appears twice");
        assert!(hashes.insert(model.sha1), "{name} repeats a SHA-1");
        assert_eq!(model.file_name, format!("ggml-{name}.bin"));
        assert!(is_lower_hex(model.sha1, 40), "{name}: SHA-1 {}", model.sha1);
        assert!(
            ["whisper.cpp", "model card"].contains(&model.sha1_source),
            "{name}"
        );
        assert!(!model.description.is_empty(), "{name}");

        assert!(
            families.contains(&model.family),
            "{name}: family {}",
            model.family
        );
        let rest = name
            .strip_prefix(model.family)
            .unwrap_or_else(|| panic!("{name}"));
        let (english, suffix) = match rest.strip_prefix(".en") {
            Some(suffix) => (true, suffix),
            None => (false, rest),
        };
        assert_eq!(model.multilingual, !english, "{name}");
        assert_eq!(
            model.quantization,
            suffix.strip_prefix('-'),
            "{name}: quantization"
        );
        if let Some(quantization) = model.quantization {
            assert!(["q5_0", "q5_1", "q8_0"].contains(&quantization), "{name}");
        }

        assert!(
            !model.translates || model.multilingual,
            "{name} cannot translate"
        );
        assert_eq!(
            model.translates,
            model.multilingual && model.family != "large-v3-turbo",
            "{name}"
        );

        // Memory figures are published for the float16 models only.
        assert_eq!(
            model.memory_mb.is_some(),
            model.quantization.is_none() && model.family != "large-v3-turbo",
            "{name}"
        );
    }
}

#[test]
fn catalog_sizes_agree_with_published_sizes() {
    for model in all() {
        let published = parse_disk_size(model.published_size).unwrap();
        match model.exact_size {
            Some(exact) => {
                assert_eq!(model.size, exact, "{}", model.name);
                // The published size is rounded to whole MiB or to 0.1 GiB.
                let difference = exact.abs_diff(published) as f64 / exact as f64;
                assert!(difference < 0.03, "{}: {exact} vs {published}", model.name);
            }
            None => assert_eq!(model.size, published, "{}", model.name),
        }
        assert!(model.size > 20 << 20, "{}", model.name);
    }
}

#[test]
fn catalog_pypi_routes_are_pinned() {
    let with_route: Vec<&str> = all()
        .iter()
        .filter(|model| model.pypi.is_some())
        .map(|model| model.name)
        .collect();
    assert_eq!(with_route, ["tiny.en", "base"]);

    for model in all() {
        let Some(source) = &model.pypi else { continue };
        let members = source.model_bin.iter().chain([&source.vocabulary]);
        for member in members {
            assert!(
                member.wheel < source.wheels.len(),
                "{}: {}",
                model.name,
                member.path
            );
        }
        for wheel in &source.wheels {
            assert!(is_lower_hex(wheel.sha256, 64), "{}", wheel.filename);
            assert!(wheel.size > 0, "{}", wheel.filename);
        }
        assert!(is_lower_hex(source.output.sha256, 64), "{}", model.name);
        // The converted file has the size of the host's float16 file, within rounding.
        let published = parse_disk_size(model.published_size).unwrap();
        assert!(
            source.output.size.abs_diff(published) < published / 30,
            "{}",
            model.name
        );
    }
}

#[test]
fn parse_disk_size_cases() {
    assert_eq!(parse_disk_size("75 MiB"), Some(75 << 20));
    assert_eq!(parse_disk_size("1.5 GiB"), Some(3 << 29));
    assert_eq!(parse_disk_size("2 GB"), None);
    assert_eq!(parse_disk_size("MiB"), None);
    assert_eq!(parse_disk_size("0 MiB"), None);
}

#[test]
fn parse_rejects_bad_catalog() {
    assert!(parse(r#"{"models": [{"name": "x"}]}"#).is_err());
    assert!(parse("[]").is_err());
}

#[test]
fn find_known_and_unknown() {
    assert_eq!(find("base").map(|m| m.file_name), Some("ggml-base.bin"));
    assert_eq!(find("tiny.en").map(|m| m.multilingual), Some(false));
    assert!(find("large-v9").is_none());
    assert!(find("").is_none());
}

#[test]
fn default_model_is_in_catalog() {
    assert!(find(DEFAULT_MODEL).is_some());
}

#[test]
fn known_names_lists_every_model() {
    let names = known_names();
    assert!(names.starts_with("tiny, tiny-q5_1, "), "{names}");
    assert!(names.ends_with(", large-v3-turbo-q8_0"), "{names}");
    assert_eq!(names.split(", ").count(), all().len());
}
