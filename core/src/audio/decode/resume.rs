//! Going on after damage that made a reader end the stream early.

use symphonia::core::formats::{SeekMode, SeekTo};

use super::{DecodeStream, StreamEnd};
use crate::audio::guard::catch_panic;
use crate::audio::ogg_resync::resync_cut;
use crate::audio::source::Source;

impl DecodeStream {
    /// Seeks past damage that ended the stream early, and returns whether reading can go
    /// on. A truncated file fails every attempt, which is cheap, and ends as before.
    pub(super) fn resume_after_damage(&mut self, end: &StreamEnd) -> bool {
        if self.source.info.container == "ogg" {
            return self.resync_ogg(end);
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
        let Ok(mut source) = Source::open_view(&self.path, Some(cut)) else {
            return false;
        };
        if source.track.time_base != self.source.track.time_base {
            return false;
        }

        tracing::debug!(path = %self.path.display(), ?end, ?cut, "resuming after a damaged Ogg page");
        // Keep the facts found when the file was opened whole, such as its duration.
        std::mem::swap(&mut source.info, &mut self.source.info);
        source.file_bytes = self.source.file_bytes;
        self.source = source;
        true
    }
}
