//! Sequential parsing of the `model.bin` header fields.

use std::io::{self, Read, Seek, SeekFrom};

use super::{DType, Variable};
use crate::models::error::ModelError;

/// Sequential reader for the header fields, tracking the byte position for messages.
pub(super) struct HeaderParser<'a, R> {
    pub reader: R,
    /// Model name for error messages.
    pub label: &'a str,
    /// Bytes consumed so far.
    pub position: u64,
}

impl<R: Read + Seek> HeaderParser<'_, R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let mut buf = [0u8; N];
        self.reader
            .read_exact(&mut buf)
            .map_err(|e| self.read_error(e))?;
        self.position += N as u64;
        Ok(buf)
    }

    pub(super) fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.bytes::<1>()?[0])
    }

    pub(super) fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.bytes::<4>()?))
    }

    pub(super) fn string(&mut self) -> Result<String, ModelError> {
        let start = self.position;
        let len = u16::from_le_bytes(self.bytes::<2>()?) as usize;
        let mut buf = vec![0u8; len];
        self.reader
            .read_exact(&mut buf)
            .map_err(|e| self.read_error(e))?;
        self.position += len as u64;

        if buf.pop() != Some(0) {
            return Err(self.invalid(format!("the string at byte {start} does not end with NUL")));
        }
        String::from_utf8(buf)
            .map_err(|_| self.invalid(format!("the string at byte {start} is not UTF-8")))
    }

    pub(super) fn variable(&mut self) -> Result<Variable, ModelError> {
        let name = self.string()?;

        let rank = self.u8()?;
        let mut shape = Vec::with_capacity(rank.into());
        for _ in 0..rank {
            shape.push(u64::from(self.u32()?));
        }

        let dtype_id = self.u8()?;
        let dtype = DType::from_id(dtype_id)
            .ok_or_else(|| self.invalid(format!("{name} has the unknown dtype id {dtype_id}")))?;

        let num_bytes = u64::from(self.u32()?);
        let elements = shape
            .iter()
            .try_fold(1u64, |acc, &dim| acc.checked_mul(dim));
        if elements.and_then(|n| n.checked_mul(dtype.size())) != Some(num_bytes) {
            return Err(self.invalid(format!(
                "{name} has {num_bytes} bytes, which does not fit shape {shape:?} of {}",
                dtype.name()
            )));
        }

        let offset = self.position;
        self.reader
            .seek(SeekFrom::Current(num_bytes as i64))
            .map_err(|e| self.read_error(e))?;
        self.position += num_bytes;

        Ok(Variable {
            stored_name: name.clone(),
            first_row: 0,
            name,
            shape,
            dtype,
            offset,
            num_bytes,
        })
    }

    pub(super) fn invalid(&self, reason: String) -> ModelError {
        ModelError::InvalidCt2 {
            model: self.label.to_string(),
            reason,
        }
    }

    pub(super) fn read_error(&self, error: io::Error) -> ModelError {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            return self.invalid(format!("the file ends early, at byte {}", self.position));
        }
        self.invalid(format!(
            "reading model.bin failed at byte {}: {error}",
            self.position
        ))
    }
}
