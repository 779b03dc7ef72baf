//! Pinned package archives that the speech clips and their references are cut from.

/// Where an archive is downloaded from.
#[derive(Debug)]
pub(crate) enum Origin {
    /// A fixed URL.
    Url(&'static str),

    /// A file of a PyPI project, found through the project's page in PyPI's simple JSON
    /// index (PEP 691), because its download URL contains a path that PyPI assigns.
    PypiFile { project: &'static str },
}

/// A package archive with the sha256 that every download of it must match.
#[derive(Debug)]
pub(crate) struct Source {
    /// Package name and version as the registry spells them.
    pub package: &'static str,
    pub registry: &'static str,
    /// File name in the download cache, and on PyPI the name of the file to pick.
    pub file_name: &'static str,
    pub origin: Origin,
    pub sha256: &'static str,
    /// Licence of the audio and text taken from this archive.
    pub license: &'static str,
}

pub(crate) static NODEJS_WHISPER: Source = Source {
    package: "nodejs-whisper@0.3.1",
    registry: "npm",
    file_name: "nodejs-whisper-0.3.1.tgz",
    origin: Origin::Url("https://registry.npmjs.org/nodejs-whisper/-/nodejs-whisper-0.3.1.tgz"),
    sha256: "92041caf2b26c74b7f489fedf37bd093f216eebd61df512045ec2d19d0531d37",
    license: "MIT (nodejs-whisper and the bundled whisper.cpp); the speech is J.F. Kennedy's \
              1961 inaugural address, US public domain",
};

pub(crate) static POCKETSPHINX: Source = Source {
    package: "pocketsphinx==5.1.1 (sdist)",
    registry: "PyPI",
    file_name: "pocketsphinx-5.1.1.tar.gz",
    origin: Origin::PypiFile {
        project: "pocketsphinx",
    },
    sha256: "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355",
    license: "BSD-2-Clause-style (Carnegie Mellon University), see LICENSE in the sdist; \
              the LibriVox recordings are public domain",
};

// Debian's mirrors serve packages over plain HTTP, as apt uses them. The pinned sha256 is
// what guarantees the content, in place of apt's signed indexes.

pub(crate) static ASTERISK_EN_WAV: Source = Source {
    package: "asterisk-core-sounds-en-wav=1.6.1-1",
    registry: "Debian 12",
    file_name: "asterisk-core-sounds-en-wav_1.6.1-1_all.deb",
    origin: Origin::Url(
        "http://deb.debian.org/debian/pool/main/a/asterisk-core-sounds/\
         asterisk-core-sounds-en-wav_1.6.1-1_all.deb",
    ),
    sha256: "2be3ea287d83299d143815fa804f11179a75b7affd4a758b98b55f5afc18a35d",
    license: "CC-BY-SA-3.0 (recorded by Allison Smith; Digium)",
};

pub(crate) static ASTERISK_EN: Source = Source {
    package: "asterisk-core-sounds-en=1.6.1-1",
    registry: "Debian 12",
    file_name: "asterisk-core-sounds-en_1.6.1-1_all.deb",
    origin: Origin::Url(
        "http://deb.debian.org/debian/pool/main/a/asterisk-core-sounds/\
         asterisk-core-sounds-en_1.6.1-1_all.deb",
    ),
    sha256: "973e797d28e37fa6ca3c0a9d6fa717e77cf1268ae916bf09fd3503113cdffa50",
    license: "CC-BY-SA-3.0 (Digium)",
};

pub(crate) static ASTERISK_FR_WAV: Source = Source {
    package: "asterisk-core-sounds-fr-wav=1.6.1-1",
    registry: "Debian 12",
    file_name: "asterisk-core-sounds-fr-wav_1.6.1-1_all.deb",
    origin: Origin::Url(
        "http://deb.debian.org/debian/pool/main/a/asterisk-core-sounds/\
         asterisk-core-sounds-fr-wav_1.6.1-1_all.deb",
    ),
    sha256: "8d4e1bc32ed5ba7fbda40841ca1825ed20cc6232724a473c90f8bb0e53e6073e",
    license: "CC-BY-SA-3.0 (recorded by June Wallack; Digium)",
};

pub(crate) static ASTERISK_FR: Source = Source {
    package: "asterisk-core-sounds-fr=1.6.1-1",
    registry: "Debian 12",
    file_name: "asterisk-core-sounds-fr_1.6.1-1_all.deb",
    origin: Origin::Url(
        "http://deb.debian.org/debian/pool/main/a/asterisk-core-sounds/\
         asterisk-core-sounds-fr_1.6.1-1_all.deb",
    ),
    sha256: "04c82c78c570c43a7136cbc5e2488d0c470b775468dff9fbce4a131b18cf1056",
    license: "CC-BY-SA-3.0 (Digium)",
};

// The amd64 package is used on every host: only its architecture-independent sound file
// is read.
pub(crate) static ALSA_UTILS: Source = Source {
    package: "alsa-utils=1.2.8-1 (amd64)",
    registry: "Debian 12",
    file_name: "alsa-utils_1.2.8-1_amd64.deb",
    origin: Origin::Url(
        "http://deb.debian.org/debian/pool/main/a/alsa-utils/alsa-utils_1.2.8-1_amd64.deb",
    ),
    sha256: "fb24eb1a318228b974efbef726190dd90c6106a208814a3ee8f5d69b91ee0ba4",
    license: "GPL-2 (alsa-utils)",
};
