//! Downmixing interleaved multichannel audio to mono.

/// Appends to `mono` one sample per frame of `interleaved`: the average of all `channels`
/// samples of that frame.
///
/// Averaging keeps a voice that is present on one channel only, at `1 / channels` of its
/// level. A trailing partial frame is ignored, and `channels == 0` appends nothing.
pub fn downmix(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    match channels {
        0 => {}
        1 => mono.extend_from_slice(interleaved),
        _ => {
            let scale = 1.0 / channels as f32;
            let frames = interleaved.chunks_exact(channels);
            mono.extend(frames.map(|frame| frame.iter().sum::<f32>() * scale));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_stereo_keeps_right_only_signal() {
        let right_only = [0.0, 0.8, 0.0, -0.4, 0.0, 0.2];
        let mut mono = Vec::new();

        downmix(&right_only, 2, &mut mono);

        assert_eq!(mono, vec![0.4, -0.2, 0.1]);
    }

    #[test]
    fn downmix_averages_six_channels() {
        let frame = [0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        let mut mono = Vec::new();

        downmix(&frame, 6, &mut mono);

        assert_eq!(mono.len(), 2);
        assert!((mono[0] - 0.1).abs() < 1e-6, "{}", mono[0]);
        assert!((mono[1] - 0.1).abs() < 1e-6, "{}", mono[1]);
    }

    #[test]
    fn downmix_mono_copies_and_appends() {
        let mut mono = vec![1.0];

        downmix(&[0.5, -0.5], 1, &mut mono);

        assert_eq!(mono, vec![1.0, 0.5, -0.5]);
    }

    #[test]
    fn downmix_ignores_partial_frame_and_zero_channels() {
        let mut mono = Vec::new();

        downmix(&[0.2, 0.4, 0.9], 2, &mut mono);
        downmix(&[0.2, 0.4], 0, &mut mono);

        assert_eq!(mono.len(), 1);
        assert!((mono[0] - 0.3).abs() < 1e-6);
    }
}
