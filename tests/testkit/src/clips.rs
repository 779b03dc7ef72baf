//! The speech clips: what each one is, how it is made, and its pinned sha256.

use crate::recipe::{Recipe, ReferenceText};
use crate::sources::{
    Source, ALSA_UTILS, ASTERISK_EN, ASTERISK_EN_WAV, ASTERISK_FR, ASTERISK_FR_WAV, NODEJS_WHISPER,
    POCKETSPHINX,
};

/// A speech clip with known content and a reference transcript.
#[derive(Debug)]
pub struct ClipInfo {
    /// File name inside the speech folder, such as `jfk.wav`.
    pub name: &'static str,
    /// ISO 639-1 code of the spoken language: `"en"` or `"fr"`.
    pub language: &'static str,
    /// Length of the audio in seconds, rounded to milliseconds.
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u16,
    /// Container and sample format, such as `"WAV, PCM s16le"`.
    pub format: &'static str,
    /// sha256 of the clip file, in lowercase hex.
    pub sha256: &'static str,
    pub(crate) recipe: Recipe,
    pub(crate) reference: ReferenceText,
}

impl ClipInfo {
    pub(crate) fn source(&self) -> &'static Source {
        self.recipe.source()
    }
}

/// Returns every clip, in a fixed order.
pub fn clips() -> &'static [ClipInfo] {
    &CLIPS
}

/// Returns the clip with this file name, or `None` if there is none.
pub fn find_clip(name: &str) -> Option<&'static ClipInfo> {
    CLIPS.iter().find(|clip| clip.name == name)
}

const WAV_S16: &str = "WAV, PCM s16le";

/// whisper.cpp's expected transcript of its JFK sample, for both the WAV and the MP3.
const JFK_REFERENCE: ReferenceText = ReferenceText::Member {
    source: &NODEJS_WHISPER,
    member: "package/cpp/whisper.cpp/tests/parakeet-expected-jfk-output.txt",
};

const ASTERISK_EN_SCRIPT: &str = "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz";
const ASTERISK_FR_SCRIPT: &str = "usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz";

/// The English prompts joined into `asterisk_en_long_8k.wav`, in order.
const LONG_EN_PROMPTS: [&str; 7] = [
    "demo-congrats",
    "demo-instruct",
    "demo-moreinfo",
    "demo-echotest",
    "demo-abouttotry",
    "basic-pbx-ivr-main",
    "priv-callee-options",
];

/// The recordings of `LONG_EN_PROMPTS`, in the same order.
const LONG_EN_MEMBERS: [&str; 7] = [
    "usr/share/asterisk/sounds/en_US_f_Allison/demo-congrats.wav",
    "usr/share/asterisk/sounds/en_US_f_Allison/demo-instruct.wav",
    "usr/share/asterisk/sounds/en_US_f_Allison/demo-moreinfo.wav",
    "usr/share/asterisk/sounds/en_US_f_Allison/demo-echotest.wav",
    "usr/share/asterisk/sounds/en_US_f_Allison/demo-abouttotry.wav",
    "usr/share/asterisk/sounds/en_US_f_Allison/basic-pbx-ivr-main.wav",
    "usr/share/asterisk/sounds/en_US_f_Allison/priv-callee-options.wav",
];

/// Makes the entry of one LibriVox sentence from the pocketsphinx test data, whose
/// transcript is the `.txt` file beside the recording.
macro_rules! librivox {
    ($id:literal, $duration_s:expr, $sha256:literal) => {
        ClipInfo {
            name: concat!("librivox_", $id, ".wav"),
            language: "en",
            duration_s: $duration_s,
            sample_rate: 16_000,
            channels: 1,
            format: WAV_S16,
            sha256: $sha256,
            recipe: Recipe::Copy {
                source: &POCKETSPHINX,
                member: concat!(
                    "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-",
                    $id,
                    ".wav"
                ),
            },
            reference: ReferenceText::Member {
                source: &POCKETSPHINX,
                member: concat!(
                    "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-",
                    $id,
                    ".txt"
                ),
            },
        }
    };
}

/// Makes the entry of one recording from the pocketsphinx playing-cards test data.
macro_rules! cards {
    ($id:literal, $duration_s:expr, $sha256:literal) => {
        ClipInfo {
            name: concat!("cards_", $id, ".wav"),
            language: "en",
            duration_s: $duration_s,
            sample_rate: 16_000,
            channels: 1,
            format: WAV_S16,
            sha256: $sha256,
            recipe: Recipe::Copy {
                source: &POCKETSPHINX,
                member: concat!("pocketsphinx-5.1.1/test/data/cards/", $id, ".wav"),
            },
            reference: ReferenceText::TranscriptionLine {
                source: &POCKETSPHINX,
                member: "pocketsphinx-5.1.1/test/data/cards/cards.transcription",
                utterance: $id,
            },
        }
    };
}

static CLIPS: [ClipInfo; 19] = [
    ClipInfo {
        name: "jfk.wav",
        language: "en",
        duration_s: 11.0,
        sample_rate: 16_000,
        channels: 1,
        format: WAV_S16,
        sha256: "59dfb9a4acb36fe2a2affc14bacbee2920ff435cb13cc314a08c13f66ba7860e",
        recipe: Recipe::Copy {
            source: &NODEJS_WHISPER,
            member: "package/cpp/whisper.cpp/bindings/go/samples/jfk.wav",
        },
        reference: JFK_REFERENCE,
    },
    ClipInfo {
        name: "jfk.mp3",
        language: "en",
        duration_s: 11.0,
        sample_rate: 16_000,
        channels: 1,
        format: "MP3, MPEG-2 layer III, 64 kbit/s, ID3v2.4 tag",
        sha256: "20d3323a2bcce6f25498b8911a397503a0a99fa92b6ba58d62788cb42b6e5459",
        recipe: Recipe::Copy {
            source: &NODEJS_WHISPER,
            member: "package/cpp/whisper.cpp/samples/jfk.mp3",
        },
        reference: JFK_REFERENCE,
    },
    librivox!(
        "0870",
        7.1,
        "b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c"
    ),
    librivox!(
        "0880",
        2.99,
        "fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414"
    ),
    librivox!(
        "0890",
        5.3,
        "5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10"
    ),
    librivox!(
        "0920",
        6.05,
        "40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59"
    ),
    librivox!(
        "0930",
        3.29,
        "954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7"
    ),
    ClipInfo {
        name: "goforward.wav",
        language: "en",
        duration_s: 2.786,
        sample_rate: 16_000,
        channels: 1,
        format: WAV_S16,
        sha256: "97ec638609b9c7eeb616764b4e5713d7ed2d0a8e1a2f8246631d9074d47aaf11",
        recipe: Recipe::RawPcm {
            source: &POCKETSPHINX,
            member: "pocketsphinx-5.1.1/test/data/goforward.raw",
            sample_rate: 16_000,
        },
        reference: ReferenceText::Literal {
            text: "go forward ten meters",
            origin: "the text that the pocketsphinx-5.1.1 unit tests (test/unit/test_jsgf.c \
                     and others) expect for goforward.raw",
        },
    },
    cards!(
        "001",
        1.095,
        "899951e768666f27c8f8b1d4090b96fe7909cae9cec01bec0a5d5d1b8a8d566e"
    ),
    cards!(
        "002",
        1.96,
        "a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec"
    ),
    cards!(
        "003",
        1.538,
        "00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b"
    ),
    cards!(
        "004",
        1.554,
        "4c44a8177f5b128b99f078cdeb918119933155574231f1833e8840d1af09c521"
    ),
    cards!(
        "005",
        3.502,
        "090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9"
    ),
    ClipInfo {
        name: "meeting_stereo_11k.wav",
        language: "en",
        duration_s: 20.871,
        sample_rate: 11_025,
        channels: 2,
        format: WAV_S16,
        sha256: "84cb850a234d4cf30370fa6a49b749ea479f6910053ed5c3aa424e32e45d726a",
        recipe: Recipe::Copy {
            source: &POCKETSPHINX,
            member: "pocketsphinx-5.1.1/test/regression/chan3.2chan.wav",
        },
        reference: ReferenceText::Literal {
            text: "Yeah, we had a long discussion about how easy we want to make it for people \
                   to bleep things out. Morgan wants to make it hard. I didn't even check \
                   yesterday whether it was moving.",
            origin: "not from the package, which has no transcript: the output of Whisper base \
                     (faster-whisper and whisper.cpp agree, greedy decoding); spontaneous, \
                     partly overlapping speech",
        },
    },
    ClipInfo {
        name: "asterisk_en_demo-instruct_8k.wav",
        language: "en",
        duration_s: 73.349,
        sample_rate: 8_000,
        channels: 1,
        format: WAV_S16,
        sha256: "0013075fde30d7b0bf41bd5b0183bc657dc7164b0a8f322f712145f4f996bbe3",
        recipe: Recipe::Copy {
            source: &ASTERISK_EN_WAV,
            member: "usr/share/asterisk/sounds/en_US_f_Allison/demo-instruct.wav",
        },
        reference: ReferenceText::PromptScript {
            source: &ASTERISK_EN,
            member: ASTERISK_EN_SCRIPT,
            prompts: &["demo-instruct"],
        },
    },
    ClipInfo {
        name: "asterisk_en_long_8k.wav",
        language: "en",
        duration_s: 212.035,
        sample_rate: 8_000,
        channels: 1,
        format: WAV_S16,
        sha256: "fe55ac177ee5bb86612334566e31bda5431a26f6cb76aee1d953e7bc34e899af",
        recipe: Recipe::Join {
            source: &ASTERISK_EN_WAV,
            members: &LONG_EN_MEMBERS,
        },
        reference: ReferenceText::PromptScript {
            source: &ASTERISK_EN,
            member: ASTERISK_EN_SCRIPT,
            prompts: &LONG_EN_PROMPTS,
        },
    },
    ClipInfo {
        name: "asterisk_fr_demo-echotest_8k.wav",
        language: "fr",
        duration_s: 19.366,
        sample_rate: 8_000,
        channels: 1,
        format: WAV_S16,
        sha256: "9f5ab681151b1e5170001ec07af9b6f9c02ae9e05488c86642c2dd04170cd866",
        recipe: Recipe::Copy {
            source: &ASTERISK_FR_WAV,
            member: "usr/share/asterisk/sounds/fr_CA_f_June/demo-echotest.wav",
        },
        reference: ReferenceText::PromptScript {
            source: &ASTERISK_FR,
            member: ASTERISK_FR_SCRIPT,
            prompts: &["demo-echotest"],
        },
    },
    ClipInfo {
        name: "asterisk_fr_demo-instruct_8k.wav",
        language: "fr",
        duration_s: 70.748,
        sample_rate: 8_000,
        channels: 1,
        format: WAV_S16,
        sha256: "3dc16f234003315bcc39645e60724c4925108e7c5fbb17821c3679fddc08bd22",
        recipe: Recipe::Copy {
            source: &ASTERISK_FR_WAV,
            member: "usr/share/asterisk/sounds/fr_CA_f_June/demo-instruct.wav",
        },
        reference: ReferenceText::PromptScript {
            source: &ASTERISK_FR,
            member: ASTERISK_FR_SCRIPT,
            prompts: &["demo-instruct"],
        },
    },
    ClipInfo {
        name: "alsa_front_center_48k.wav",
        language: "en",
        duration_s: 1.428,
        sample_rate: 48_000,
        channels: 1,
        format: WAV_S16,
        sha256: "0d61518bcd3f13b0c709a5298e939caf698b80d31d71d50475365ee0e5536cc9",
        recipe: Recipe::Copy {
            source: &ALSA_UTILS,
            member: "usr/share/sounds/alsa/Front_Center.wav",
        },
        reference: ReferenceText::Literal {
            text: "Front center",
            origin: "what the clip says: speaker-test announces the channel name",
        },
    },
];
