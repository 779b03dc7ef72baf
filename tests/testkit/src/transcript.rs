//! Reference transcripts taken from package files.

use std::collections::HashMap;

/// Quotes and spaces trimmed from both ends of a prompt's text.
const PROMPT_TRIM: [char; 4] = ['\u{201c}', '\u{201d}', '"', ' '];

/// Parses an Asterisk prompt script into prompt name and text.
///
/// Each line of the form `name: text` defines a prompt, and lines starting with `;` are
/// comments. Runs of whitespace in the text collapse to one space, and surrounding quotes are
/// removed. When a name appears twice, the later line wins.
pub(crate) fn parse_prompt_script(script: &str) -> HashMap<&str, String> {
    let mut prompts = HashMap::new();
    for line in script.lines() {
        if line.starts_with(';') {
            continue;
        }
        let Some((name, text)) = line.split_once(':') else {
            continue;
        };

        let words: Vec<&str> = text.split_whitespace().collect();
        let text = words.join(" ").trim_matches(PROMPT_TRIM).to_string();
        prompts.insert(name.trim(), text);
    }
    prompts
}

/// Returns the words of `utterance` in a Sphinx transcription file, without the `<s>` and
/// `</s>` sentence markers, or `None` if no line ends with `(utterance)`.
pub(crate) fn find_transcription_line(transcription: &str, utterance: &str) -> Option<String> {
    let id = format!("({utterance})");
    transcription.lines().find_map(|line| {
        let words = line.trim().strip_suffix(&id)?;
        let words: Vec<&str> = words
            .split_whitespace()
            .filter(|word| *word != "<s>" && *word != "</s>")
            .collect();
        Some(words.join(" "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_script_lines_are_parsed() {
        let script = "; a comment: not a prompt\n\
                      demo-congrats: Congratulations.  You have\tsucceeded.\n\
                      \n\
                      vm-quoted: \u{201c}Press one.\u{201d}\n\
                      plain line without a name\n";

        let prompts = parse_prompt_script(script);

        assert_eq!(prompts.len(), 2);
        assert_eq!(
            prompts["demo-congrats"],
            "Congratulations. You have succeeded."
        );
        assert_eq!(prompts["vm-quoted"], "Press one.");
    }

    #[test]
    fn prompt_text_keeps_later_colons() {
        let prompts = parse_prompt_script("time: It is 10:30 now\n");

        assert_eq!(prompts["time"], "It is 10:30 now");
    }

    #[test]
    fn transcription_line_is_found_by_utterance() {
        let transcription = "<s> ten of clubs  </s> (001)\n<s> five five  </s> (004)\n";

        assert_eq!(
            find_transcription_line(transcription, "004").as_deref(),
            Some("five five")
        );
        assert_eq!(
            find_transcription_line(transcription, "001").as_deref(),
            Some("ten of clubs")
        );
        assert_eq!(find_transcription_line(transcription, "002"), None);
    }

    #[test]
    fn later_prompt_definition_wins() {
        let prompts = parse_prompt_script("a: first\na: second\n");

        assert_eq!(prompts["a"], "second");
    }
}
