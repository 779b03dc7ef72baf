//! The 80-bin mel filter bank stored in every ggml Whisper model.
//!
//! whisper.cpp computes its log-mel spectrogram with the filter bank stored in the model
//! file. The bank must be the one Whisper was trained with: librosa's
//! `filters.mel(sr=16000, n_fft=400, n_mels=80)` (Slaney mel scale and area normalisation)
//! as float32, 80 rows of 201 frequency bins. The values are embedded, not computed at run
//! time, because `ln` and `exp` may differ in the last bit between platform maths libraries
//! and the converted model must match its sha256 everywhere. A test recomputes them from
//! the formula.
//!
//! Each row of a triangular filter bank is zero except for one run of columns, so the table
//! stores, per row, the first non-zero column and the f32 bit patterns of the run.

pub(crate) const N_MELS: usize = 80;

/// Frequency bins per row: `n_fft / 2 + 1` for Whisper's 400-sample FFT.
pub(crate) const N_FREQUENCIES: usize = 201;

/// Returns the filter bank as little-endian f32 bytes, row-major `[80][201]`.
pub(crate) fn mel_filters_80() -> Vec<u8> {
    let mut weights = vec![0u32; N_MELS * N_FREQUENCIES];
    for (row, (first_column, run)) in ROWS.iter().enumerate() {
        let start = row * N_FREQUENCIES + usize::from(*first_column);
        weights[start..start + run.len()].copy_from_slice(run);
    }
    weights.iter().flat_map(|bits| bits.to_le_bytes()).collect()
}

const ROWS: [(u8, &[u32]); N_MELS] = [
    (1, &[0x3ccbaca4]),
    (1, &[0x3b027873, 0x3cbb5d95]),
    (2, &[0x3b827873, 0x3cab0e87]),
    (3, &[0x3bc3b4ac, 0x3c9abf79]),
    (4, &[0x3c027873, 0x3c8a706a]),
    (5, &[0x3c23168f, 0x3c7442b7]),
    (6, &[0x3c43b4ac, 0x3c53a49a]),
    (7, &[0x3c6452c8, 0x3c33067e]),
    (8, &[0x3c827873, 0x3c126861]),
    (9, &[0x3c92c781, 0x3be39489]),
    (10, &[0x3ca3168f, 0x3ba2584f]),
    (11, &[0x3cb3659e, 0x3b42382c]),
    (12, &[0x3cc3b4ac, 0x3a7efee5]),
    (13, &[0x3cd403ba]),
    (14, &[0x3cd3a49a]),
    (14, &[0x3a857174, 0x3cc3558c]),
    (15, &[0x3b45312c, 0x3cb3067e]),
    (16, &[0x3ba3d4d0, 0x3ca2b76f]),
    (17, &[0x3be51108, 0x3c926861]),
    (18, &[0x3c1326a1, 0x3c821953]),
    (19, &[0x3c33c4be, 0x3c639489]),
    (20, &[0x3c5462da, 0x3c42f66c]),
    (21, &[0x3c7500f7, 0x3c22584f]),
    (22, &[0x3c8acf8a, 0x3c01ba32]),
    (23, &[0x3c9b1e99, 0x3bc2382c]),
    (24, &[0x3caafff9, 0x3b84658c]),
    (25, &[0x3cb528e0, 0x3b597cf8]),
    (26, &[0x3cb21137, 0x3b6ca5fc]),
    (27, &[0x3ca7eacc, 0x3b9c0c2d]),
    (28, &[0x3c977156, 0x3bd806e4]),
    (29, &[0x3c81e485, 0x3c12d896]),
    (30, &[0x3c50b644, 0x3c4088a7]),
    (31, &[0x3c178edd, 0x3c735a9b]),
    (32, &[0x3bb3ec83, 0x3c94e8ed, 0x3b388507]),
    (33, &[0x3acaaf73, 0x3c85c57c, 0x3bf3250e]),
    (35, &[0x3c3730ba, 0x3c44eac5]),
    (36, &[0x3bc6bfd9, 0x3c87ab84, 0x3b8ee5b4]),
    (37, &[0x3a86fa4e, 0x3c513b83, 0x3c1f0ae7]),
    (39, &[0x3be4ee32, 0x3c735f73, 0x3b8fe438]),
    (40, &[0x3ab9ddc8, 0x3c3c33a5, 0x3c254f75, 0x39d1d501]),
    (42, &[0x3bb14fa3, 0x3c716d72, 0x3bd5968a]),
    (44, &[0x3c07a22f, 0x3c4927d3, 0x3b82046d]),
    (45, &[0x3b0f6156, 0x3c26dcce, 0x3c238b05, 0x3b15d8db]),
    (47, &[0x3b7d9658, 0x3c38ba56, 0x3c0ab5e8, 0x3aaf9b31]),
    (49, &[0x3b9df38f, 0x3c3f5623, 0x3bf95242, 0x3a8443e9]),
    (51, &[0x3ba8fbbb, 0x3c3c8b9c, 0x3bef4421, 0x3a9bff54]),
    (53, &[0x3ba340ec, 0x3c31fcd1, 0x3bf4291c, 0x3aeaccc9]),
    (55, &[0x3b8fb7c7, 0x3c211876, 0x3c02a533, 0x3b331540]),
    (57, &[0x3b61eeb1, 0x3c0b1f4b, 0x3c10242e, 0x3b813b3a]),
    (
        59,
        &[0x3b1285e8, 0x3be25208, 0x3c2188a8, 0x3bafc67d, 0x3a63dd4b],
    ),
    (
        61,
        &[0x3a54994e, 0x3ba8515a, 0x3c1b07c5, 0x3be371fb, 0x3b3615cf],
    ),
    (
        64,
        &[0x3b53c29b, 0x3bed24c6, 0x3c0d5ff5, 0x3b9c6e7c, 0x3a70e86e],
    ),
    (
        66,
        &[0x3aa1b204, 0x3ba1fb97, 0x3c0dc557, 0x3bdf6dbe, 0x3b54e631],
    ),
    (
        69,
        &[0x3b2b7881, 0x3bc64ea3, 0x3c117f61, 0x3bb6aa20, 0x3b14aaff],
    ),
    (
        71,
        &[
            0x39962380, 0x3b6343ff, 0x3bd9e1c7, 0x3c00f751, 0x3b9d9c57, 0x3ae5282f,
        ],
    ),
    (
        74,
        &[
            0x3a726042, 0x3b7dad73, 0x3bdf616a, 0x3beea91d, 0x3b91c192, 0x3ad3681a,
        ],
    ),
    (
        77,
        &[
            0x3a9965b9, 0x3b7f81d1, 0x3bd92863, 0x3be6ed35, 0x3b90e408, 0x3aeb6b6f,
        ],
    ),
    (
        80,
        &[
            0x3a8ec6d1, 0x3b6cfa1f, 0x3bc9486b, 0x3be8bfbf, 0x3b9912f1, 0x3b12cc47,
        ],
    ),
    (
        83,
        &[
            0x3a41c8c2, 0x3b49cadd, 0x3bb191c5, 0x3bf26417, 0x3ba89b45, 0x3b3da4e4, 0x3a284cfc,
        ],
    ),
    (
        86,
        &[
            0x3932fa5d, 0x3b1931fd, 0x3b939a2a, 0x3bda9b56, 0x3bbe012c, 0x3b7359af, 0x3ad5620d,
        ],
    ),
    (
        90,
        &[
            0x3abc06fc, 0x3b618613, 0x3bb28455, 0x3bd7fa18, 0x3b98b303, 0x3b32d7db, 0x3a5126c0,
        ],
    ),
    (
        93,
        &[
            0x39d5a650, 0x3b147e54, 0x3b8723ee, 0x3bc408b4, 0x3bbacdf7, 0x3b803484, 0x3b0b3622,
            0x39b019e3,
        ],
    ),
    (
        97,
        &[
            0x3a845efc, 0x3b32f802, 0x3b91e042, 0x3bca4484, 0x3ba8c8ed, 0x3b650922, 0x3af100d5,
            0x393f7b28,
        ],
    ),
    (
        101,
        &[
            0x3aa9a7d2, 0x3b3d45d0, 0x3b92dbdc, 0x3bc714d0, 0x3ba02046, 0x3b5bbe06, 0x3aee76fb,
            0x3995c7ad,
        ],
    ),
    (
        105,
        &[
            0x3aac1da1, 0x3b36c7ed, 0x3b8bc084, 0x3bbc1d13, 0x3b9f4076, 0x3b616cb5, 0x3b04587c,
            0x3a1d1116,
        ],
    ),
    (
        109,
        &[
            0x3a91c62e, 0x3b22758f, 0x3b7c0807, 0x3baacd3f, 0x3ba4c74a, 0x3b735c0a, 0x3b1d297f,
            0x3a8dede7,
        ],
    ),
    (
        113,
        &[
            0x3a3fd33d, 0x3b02e7fa, 0x3b55db24, 0x3b946728, 0x3baf7ec2, 0x3b879534, 0x3b3f574a,
            0x3adf085b, 0x39fd8882,
        ],
    ),
    (
        117,
        &[
            0x395933a7, 0x3ab4c8de, 0x3b2735a2, 0x3b7406d7, 0x3ba06c06, 0x3b996232, 0x3b68d816,
            0x3b1eebc9, 0x3aa9fef8, 0x393132f3,
        ],
    ),
    (
        122,
        &[
            0x3a2b9488, 0x3ae410e4, 0x3b392bc2, 0x3b802788, 0x3ba3b930, 0x3b8bf391, 0x3b5371f3,
            0x3b0efcc3, 0x3a950f28, 0x38c24c95,
        ],
    ),
    (
        127,
        &[
            0x3a600907, 0x3af3c655, 0x3b3bc413, 0x3b7da4fb, 0x3b9fc2f2, 0x3b85cbd7, 0x3b4c322d,
            0x3b0cccab, 0x3a9ace52, 0x39601a66,
        ],
    ),
    (
        132,
        &[
            0x3a5e633c, 0x3ae935b6, 0x3b319ce8, 0x3b6e9ef4, 0x3b95d080, 0x3b85af3f, 0x3b50a8de,
            0x3b15f33d, 0x3ab67b3a, 0x3a021ff5,
        ],
    ),
    (
        137,
        &[
            0x3a300fb0, 0x3ac90695, 0x3b1d02aa, 0x3b558209, 0x3b8700b4, 0x3b8a88bb, 0x3b5eb302,
            0x3b28548f, 0x3ae3ec37, 0x3a6e5e9f, 0x38a72685,
        ],
    ),
    (
        142,
        &[
            0x39baa2c6, 0x3a974cd1, 0x3afff0f1, 0x3b344a88, 0x3b689c98, 0x3b8e7754, 0x3b747265,
            0x3b4218f7, 0x3b0fbf89, 0x3abacc35, 0x3a2c32b3,
        ],
    ),
    (
        148,
        &[
            0x3a2f307e, 0x3ab87fde, 0x3b0cb3bd, 0x3b3d278e, 0x3b6d9b5d, 0x3b88231d, 0x3b61a5bf,
            0x3b330543, 0x3b0464c6, 0x3aab8893, 0x3a1c8f36,
        ],
    ),
    (
        153,
        &[
            0x38d02c8a, 0x3a4d80a4, 0x3ac07ddb, 0x3b0d1db2, 0x3b39fc77, 0x3b66db3c, 0x3b82cb47,
            0x3b5a688e, 0x3b2f3a90, 0x3b040c92, 0x3ab1bd26, 0x3a36c252, 0x3820a582,
        ],
    ),
    (
        159,
        &[
            0x38d58357, 0x3a40e685, 0x3ab38e50, 0x3b0354ae, 0x3b2ce235, 0x3b566fbc, 0x3b7ffd42,
            0x3b5cbdf7, 0x3b34c137, 0x3b0cc478, 0x3ac98f72, 0x3a732be5, 0x39a671cd,
        ],
    ),
    (
        166,
        &[
            0x3a10f9a6, 0x3a9572f6, 0x3ae2691a, 0x3b17af9f, 0x3b3e2ab1, 0x3b64a5c3, 0x3b66e7d7,
            0x3b41dfea, 0x3b1cd7fe, 0x3aefa025, 0x3aa5904c, 0x3a3700e8, 0x390b84e1,
        ],
    ),
    (
        172,
        &[
            0x3988c12c, 0x3a52eb9f, 0x3ab0bb54, 0x3af800d7, 0x3b1fa32e, 0x3b4345f0, 0x3b66e8b2,
            0x3b55151d, 0x3b32ca10, 0x3b107f02, 0x3adc67eb, 0x3a97d1d2, 0x3a267770, 0x38ea59df,
        ],
    ),
    (
        179,
        &[
            0x39c9d74d, 0x3a68ecd3, 0x3ab676ff, 0x3af87794, 0x3b1d3c15, 0x3b3e3c60, 0x3b5f3cab,
            0x3b4d4f0b, 0x3b2d8d0d, 0x3b0dcb0e, 0x3adc121e, 0x3a9c8e1f, 0x3a3a1443, 0x396c311e,
        ],
    ),
    (
        186,
        &[
            0x39c0473c, 0x3a5a6262, 0x3aaa5093, 0x3ae76ff6, 0x3b1247ab, 0x3b30d75c, 0x3b4f670e,
            0x3b4dde7e, 0x3b307590, 0x3b130ca3, 0x3aeb476a, 0x3ab07590, 0x3a6b476a, 0x39eb476a,
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn filter_bank_sha256() {
        let bytes = mel_filters_80();
        assert_eq!(bytes.len(), N_MELS * N_FREQUENCIES * 4);
        assert_eq!(
            super::super::staged::hex(&Sha256::digest(&bytes)),
            "85818f156f7e189453901a515e4726d270d307f976e161cf9403e8caab405498"
        );
    }

    #[test]
    fn rows_fit_in_the_bank() {
        for (row, (first_column, run)) in ROWS.iter().enumerate() {
            assert!(!run.is_empty(), "row {row}");
            assert!(
                usize::from(*first_column) + run.len() <= N_FREQUENCIES,
                "row {row}"
            );
        }
    }

    /// Converts Hz to mels on Slaney's scale as librosa implements it: linear below 1 kHz,
    /// logarithmic above.
    fn hz_to_mel(hz: f64) -> f64 {
        let linear_step = 200.0 / 3.0;
        let log_step = 6.4f64.ln() / 27.0;
        if hz >= 1000.0 {
            1000.0 / linear_step + (hz / 1000.0).ln() / log_step
        } else {
            hz / linear_step
        }
    }

    fn mel_to_hz(mel: f64) -> f64 {
        let linear_step = 200.0 / 3.0;
        let log_step = 6.4f64.ln() / 27.0;
        let log_start = 1000.0 / linear_step;
        if mel >= log_start {
            1000.0 * (log_step * (mel - log_start)).exp()
        } else {
            mel * linear_step
        }
    }

    /// Recomputes librosa's filter bank, rounding to f32 where librosa stores into its f32
    /// array: once for the triangle and once after the area normalisation.
    fn librosa_mel_filters() -> Vec<f32> {
        let fft_hz: Vec<f64> = (0..N_FREQUENCIES).map(|i| i as f64 * 40.0).collect();

        let points = N_MELS + 2;
        let max_mel = hz_to_mel(8000.0);
        let mel_step = max_mel / (points - 1) as f64;
        let mut mels: Vec<f64> = (0..points).map(|i| i as f64 * mel_step).collect();
        mels[points - 1] = max_mel;
        let edges_hz: Vec<f64> = mels.iter().map(|&mel| mel_to_hz(mel)).collect();

        let mut weights = Vec::with_capacity(N_MELS * N_FREQUENCIES);
        for row in 0..N_MELS {
            let (left, center, right) = (edges_hz[row], edges_hz[row + 1], edges_hz[row + 2]);
            let area_norm = 2.0 / (right - left);
            for &hz in &fft_hz {
                let rising = -(left - hz) / (center - left);
                let falling = (right - hz) / (right - center);
                let triangle = rising.min(falling).max(0.0) as f32;
                weights.push((f64::from(triangle) * area_norm) as f32);
            }
        }
        weights
    }

    #[test]
    fn filter_bank_matches_librosa_formula() {
        let embedded: Vec<f32> = mel_filters_80()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let computed = librosa_mel_filters();

        // One unit in the last place of slack, because `ln` and `exp` may differ by that
        // much between maths libraries.
        for (i, (&a, &b)) in embedded.iter().zip(&computed).enumerate() {
            let ulps = (i64::from(a.to_bits()) - i64::from(b.to_bits())).abs();
            assert!(
                a == b || ulps <= 1,
                "row {} column {}: {a} vs {b}",
                i / N_FREQUENCIES,
                i % N_FREQUENCIES
            );
        }
    }
}
