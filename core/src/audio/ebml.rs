//! Reading EBML, the binary format of Matroska and WebM: element IDs, sizes and integers.

/// One element's header: where it starts, its ID, and where and how long its data is.
#[derive(Clone, Copy, Debug)]
pub(super) struct Element {
    pub id: u32,
    /// Offset of the size field, from the start of the buffer it was read from.
    pub size_at: usize,
    pub size_len: usize,
    /// Offset of the data, from the start of the buffer it was read from.
    pub data_at: usize,
    /// Data size in bytes; `None` for the "unknown size" of live writers.
    pub size: Option<u64>,
}

impl Element {
    /// Reads the element header at `at` in `bytes`.
    pub fn read(bytes: &[u8], at: usize) -> Option<Element> {
        let (id, id_len) = read_id(bytes.get(at..)?)?;
        let size_at = at + id_len;
        let (size, size_len) = read_vint(bytes.get(size_at..)?)?;
        let unknown = (1u64 << (7 * size_len)) - 1;
        Some(Element {
            id,
            size_at,
            size_len,
            data_at: size_at + size_len,
            size: (size != unknown).then_some(size),
        })
    }

    /// Offset just past the element's data, when its size is known.
    pub fn end(&self) -> Option<usize> {
        self.data_at.checked_add(usize::try_from(self.size?).ok()?)
    }
}

/// Reads an EBML element ID, keeping its length marker bits as Matroska IDs are written,
/// and returns it with its length in bytes (1 to 4).
pub(super) fn read_id(bytes: &[u8]) -> Option<(u32, usize)> {
    let len = bytes.first()?.leading_zeros() as usize + 1;
    if len > 4 {
        return None;
    }
    let id = bytes.get(..len)?.iter().fold(0u32, |id, byte| (id << 8) | u32::from(*byte));
    Some((id, len))
}

/// Reads an EBML variable-length integer and returns its value and its length in bytes.
pub(super) fn read_vint(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = u64::from(first) & (0xFF >> len);
    for byte in bytes.get(1..len)? {
        value = (value << 8) | u64::from(*byte);
    }
    Some((value, len))
}

/// Reads a big-endian unsigned integer of up to 8 bytes.
pub(super) fn read_uint(bytes: &[u8]) -> Option<u64> {
    (bytes.len() <= 8).then(|| bytes.iter().fold(0u64, |value, byte| (value << 8) | u64::from(*byte)))
}

/// Returns an element with a one-byte size field, for tests: `data` must be under 127 bytes.
#[cfg(test)]
pub(super) fn test_element(id: &[u8], data: &[u8]) -> Vec<u8> {
    let mut bytes = id.to_vec();
    bytes.push(0x80 | u8::try_from(data.len()).unwrap());
    bytes.extend_from_slice(data);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints_and_ids_read() {
        assert_eq!(read_vint(&[0x82]), Some((2, 1)));
        assert_eq!(read_vint(&[0x40, 0x02]), Some((2, 2)));
        assert_eq!(read_id(&[0x1A, 0x45, 0xDF, 0xA3, 0x00]), Some((0x1A45_DFA3, 4)));
        assert_eq!(read_id(&[0x00]), None);
    }
}
