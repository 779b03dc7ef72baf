//! Going on after damage that made a reader end the stream early.

use symphonia::core::formats::{SeekMode, SeekTo};

use super::{DecodeStream, StreamEnd};
use crate::audio::file_source::Cut;
use crate::audio::guard::catch_panic;
use crate::audio::header_repair::Patch;
use crate::audio::matroska_resync::resync_view;
use crate::audio::ogg_resync::resync_cut;
use crate::audio::source::Source;

impl DecodeStream {
    /// Seeks past damage that ended the stream early, and returns whether reading can go
    /// on. A truncated file fails every attempt, which is cheap, and ends as before.
    pub(super) fn resume_after_damage(&mut self, end: &StreamEnd) -> bool {
        match self.source.info.container.as_str() {
            "ogg" => return self.resync_ogg(end),
            "matroska" => return self.resync_matroska(end),
            _ => {}
        }
        while let Some(time) = self.resumer.next_target(self.source.track.time_base) {
            let track_id = self.source.track.id;
            let reader = &mut self.source.reader;
            let seeked = catch_panic(|| reader.seek(SeekMode::Coarse, SeekTo::Time { time, track_id: Some(track_id) }));
            if let Ok(Ok(_)) = seeked {
                self.source.decoder.reset();
                tracing::debug!(path = %self.path.display(), ?end, ?time, "resuming past damage");
                return true;
            }
        }
        false
    }

    /// Opens the Ogg file again with its header pages followed directly by the first intact
    /// page after the last packet decoded. Symphonia's Ogg reader can neither read nor seek
    /// past a page header whose sizes were damaged.
    fn resync_ogg(&mut self, end: &StreamEnd) -> bool {
        let Some(last_end) = self.resumer.next_resync() else {
            return false;
        };
        let Some(cut) = resync_cut(&self.path, last_end) else {
            return false;
        };
        tracing::debug!(path = %self.path.display(), ?end, ?cut, "resuming after a damaged Ogg page");
        self.reopen_view(cut, Vec::new())
    }

    /// Opens the Matroska file again with its headers followed directly by the first intact
    /// cluster after the last packet decoded. Seeking would rely on the Cues, which often
    /// name only some clusters and lead back into the damage.
    fn resync_matroska(&mut self, end: &StreamEnd) -> bool {
        let Some(last_end) = self.resumer.next_resync() else {
            return false;
        };
        let Some(resync) = resync_view(&self.path, last_end) else {
            return false;
        };
        tracing::debug!(path = %self.path.display(), ?end, cut = ?resync.cut, "resuming after a damaged Matroska cluster");
        let reopened = self.reopen_view(resync.cut, resync.patches);
        // The view's Segment has no stated size, so its end reads as a cut.
        self.ends_open |= reopened;
        reopened
    }

    /// Replaces the reader with one on a view of the file, keeping the facts found when the
    /// file was opened whole, such as its duration.
    fn reopen_view(&mut self, cut: Cut, patches: Vec<Patch>) -> bool {
        let Ok(mut source) = Source::open_view(&self.path, Some(cut), patches) else {
            return false;
        };
        if source.track.time_base != self.source.track.time_base {
            return false;
        }
        std::mem::swap(&mut source.info, &mut self.source.info);
        source.file_bytes = self.source.file_bytes;
        self.source = source;
        true
    }
}
