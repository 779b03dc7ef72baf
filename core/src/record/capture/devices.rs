//! Listing the input devices and finding the one the user asked for.

use cpal::traits::{DeviceTrait, HostTrait};
use serde::Serialize;

use crate::record::RecordError;

/// An input device as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InputDevice {
    /// The name the system gives the device, such as `USB Microphone`. Names need not be
    /// unique, so settings and `--device` also accept [`id`](Self::id).
    pub name: String,
    /// cpal's identifier, stable across restarts, such as `hw:CARD=0,DEV=0` on ALSA
    /// (without the host prefix).
    pub id: String,
    /// True for the device the system records from by default.
    pub is_default: bool,
}

/// Lists the input devices of the default host, the system default first and marked.
///
/// On ALSA this reads the device hints without opening any device, so it is fast, but a
/// listed device may still fail to open.
pub fn list_input_devices() -> Result<Vec<InputDevice>, RecordError> {
    let host = cpal::default_host();
    Ok(enumerate(&host)?.into_iter().map(|(_, device)| device).collect())
}

/// Returns the device named `wanted` (by id or by name, ignoring case), or the system
/// default when `wanted` is `None`.
pub(crate) fn find_input_device(wanted: Option<&str>) -> Result<(cpal::Device, InputDevice), RecordError> {
    let host = cpal::default_host();

    let devices = enumerate(&host)?;
    let Some(wanted) = wanted.map(str::trim).filter(|name| !name.is_empty()) else {
        // `enumerate` puts the default first, named as the listing names it.
        return devices
            .into_iter()
            .find(|(_, info)| info.is_default)
            .ok_or(RecordError::NoInputDevice);
    };

    if let Some(found) = devices.iter().find(|(_, info)| info.id == wanted) {
        return Ok(found.clone());
    }
    let by_name: Vec<&(cpal::Device, InputDevice)> = devices
        .iter()
        .filter(|(_, info)| info.name.eq_ignore_ascii_case(wanted))
        .collect();
    match by_name.as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(RecordError::DeviceNotFound {
            name: wanted.to_string(),
            available: names(&devices),
        }),
        several => Err(RecordError::AmbiguousDevice {
            name: wanted.to_string(),
            ids: several.iter().map(|(_, info)| info.id.clone()).collect(),
        }),
    }
}

/// Lists every input device with its description, the default first.
fn enumerate(host: &cpal::Host) -> Result<Vec<(cpal::Device, InputDevice)>, RecordError> {
    let list_error = |error: cpal::Error| RecordError::ListDevices {
        message: error.to_string(),
    };
    let default = host.default_input_device();
    let default_id = default.as_ref().and_then(device_id);

    let mut devices: Vec<(cpal::Device, InputDevice)> = host
        .input_devices()
        .map_err(list_error)?
        .map(|device| {
            let is_default = default_id.is_some() && device_id(&device) == default_id;
            let info = describe(&device, is_default);
            (device, info)
        })
        .collect();

    if let Some(default) = default {
        if !devices.iter().any(|(_, info)| info.is_default) {
            let info = describe(&default, true);
            devices.push((default, info));
        }
    }
    devices.sort_by_key(|(_, info)| !info.is_default);

    if devices.is_empty() {
        return Err(RecordError::NoInputDevice);
    }
    Ok(devices)
}

fn describe(device: &cpal::Device, is_default: bool) -> InputDevice {
    let id = device_id(device).unwrap_or_else(|| device.to_string());
    let name = device
        .description()
        .map(|description| description.name().to_string())
        .unwrap_or_else(|_| id.clone());
    InputDevice { name, id, is_default }
}

/// Returns the host's own identifier for the device, without cpal's `host:` prefix.
fn device_id(device: &cpal::Device) -> Option<String> {
    device.id().ok().map(|id| id.id().to_string())
}

fn names(devices: &[(cpal::Device, InputDevice)]) -> Vec<String> {
    devices
        .iter()
        .map(|(_, info)| format!("{} ({})", info.name, info.id))
        .collect()
}
