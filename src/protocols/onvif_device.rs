//! ONVIF device information (`GetDeviceInformation`, SOAP over HTTP): the
//! camera's own statement of maker, model, firmware and serial number.
//!
//! Recorders and VMS software call `GetDeviceInformation` on the ONVIF
//! device service (`/onvif/device_service`) when they add a camera and
//! often again on every reconnection; the answer is the most precise
//! firmware string a passive sensor can see, and a change of it means the
//! firmware was updated or the device swapped.
//!
//! Source: ONVIF Core Specification, Device Management service, section
//! 8.3.1 (GetDeviceInformation), and `devicemgmt.wsdl` (namespace
//! `http://www.onvif.org/ver10/device/wsdl`, elements `Manufacturer`,
//! `Model`, `FirmwareVersion`, `SerialNumber`, `HardwareId`).
//!
//! Deliberately ignored:
//! - the namespace prefix (`tds:`, `ns2:`, none) is not resolved; the
//!   response element name is specific enough;
//! - WS-Security headers, SOAP faults (an unauthenticated call gets a fault,
//!   which yields nothing here) and HTTP digest authentication;
//! - a response whose body is in a later segment than the HTTP head: pass
//!   the body segment itself to [`device_information`];
//! - entities in values are not decoded (see [`super::xml`]).

use super::xml;

/// What a `GetDeviceInformationResponse` says. Every field is optional:
/// devices leave some empty, and a value cut by the end of the segment is
/// dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceInformation<'a> {
    pub manufacturer: Option<&'a str>,
    pub model: Option<&'a str>,
    pub firmware_version: Option<&'a str>,
    pub serial_number: Option<&'a str>,
    pub hardware_id: Option<&'a str>,
}

/// Reads a `GetDeviceInformationResponse` from an HTTP reply, from its body
/// alone or from any bytes holding it. Empty values count as absent.
pub fn device_information(payload: &[u8]) -> Option<DeviceInformation<'_>> {
    let at = find_element(payload, b"GetDeviceInformationResponse")?;
    let body = payload.get(at..)?;
    let field = |name| xml::element_text(body, name).filter(|v: &&str| !v.is_empty());
    let info = DeviceInformation {
        manufacturer: field("Manufacturer"),
        model: field("Model"),
        firmware_version: field("FirmwareVersion"),
        serial_number: field("SerialNumber"),
        hardware_id: field("HardwareId"),
    };
    let empty = DeviceInformation {
        manufacturer: None,
        model: None,
        firmware_version: None,
        serial_number: None,
        hardware_id: None,
    };
    (info != empty).then_some(info)
}

/// True when the payload is (or holds) a `GetDeviceInformation` request:
/// the element in a SOAP body, whatever its prefix, or the SOAP 1.2
/// `action` parameter naming it.
pub fn is_device_information_request(payload: &[u8]) -> bool {
    find_element(payload, b"GetDeviceInformation").is_some()
        || contains(
            payload,
            b"http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation\"",
        )
}

/// Offset of the `<` of the first start tag whose local name is exactly
/// `local`.
fn find_element(doc: &[u8], local: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(lt) = doc.get(from..)?.iter().position(|&b| b == b'<') {
        let at = from + lt;
        let name_start = at + 1;
        let rest = doc.get(name_start..)?;
        let name_len = rest
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/' || b == b'<')?;
        let name = rest.get(..name_len)?;
        let local_name = match name.iter().rposition(|&b| b == b':') {
            Some(colon) => name.get(colon + 1..)?,
            None => name,
        };
        if local_name == local {
            return Some(at);
        }
        from = name_start;
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::http;
    use proptest::prelude::*;

    /// Reply in the form of the ONVIF Core Specification's
    /// GetDeviceInformation (section 8.3.1, devicemgmt.wsdl element names
    /// and order), as a SOAP 1.2 envelope over HTTP; values of a Hikvision
    /// camera.
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
        Content-Type: application/soap+xml; charset=utf-8\r\n\
        Content-Length: 650\r\n\
        Connection: close\r\n\
        \r\n\
        <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" \
        xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\">\n\
        <env:Body><tds:GetDeviceInformationResponse>\n\
        <tds:Manufacturer>HIKVISION</tds:Manufacturer>\n\
        <tds:Model>DS-2CD2143G2-IU</tds:Model>\n\
        <tds:FirmwareVersion>V5.7.3 build 220112</tds:FirmwareVersion>\n\
        <tds:SerialNumber>DS-2CD2143G2-IU20220301AAWRJ12345678</tds:SerialNumber>\n\
        <tds:HardwareId>88</tds:HardwareId>\n\
        </tds:GetDeviceInformationResponse></env:Body></env:Envelope>\n";

    /// The request of the same section, as ONVIF clients send it (no
    /// prefix, default namespace).
    const REQUEST: &[u8] = b"POST /onvif/device_service HTTP/1.1\r\n\
        Host: 192.168.1.64\r\n\
        Content-Type: application/soap+xml; charset=utf-8; \
        action=\"http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation\"\r\n\
        \r\n\
        <s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>\
        <GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>\
        </s:Body></s:Envelope>";

    #[test]
    fn response_fields() {
        assert_eq!(
            device_information(RESPONSE),
            Some(DeviceInformation {
                manufacturer: Some("HIKVISION"),
                model: Some("DS-2CD2143G2-IU"),
                firmware_version: Some("V5.7.3 build 220112"),
                serial_number: Some("DS-2CD2143G2-IU20220301AAWRJ12345678"),
                hardware_id: Some("88"),
            })
        );
        // The body alone, as when it comes in its own segment.
        let body = http::response(RESPONSE).unwrap().head.body().unwrap();
        assert_eq!(device_information(body), device_information(RESPONSE));
        assert!(!is_device_information_request(RESPONSE));
    }

    #[test]
    fn other_prefixes_and_partial_replies() {
        let other = b"<SOAP-ENV:Body><ns2:GetDeviceInformationResponse>\
            <ns2:Manufacturer>Dahua</ns2:Manufacturer><ns2:Model>IPC-HDW1230S</ns2:Model>\
            <ns2:FirmwareVersion></ns2:FirmwareVersion><ns2:SerialNumber>4G0";
        let info = device_information(other).unwrap();
        assert_eq!(info.manufacturer, Some("Dahua"));
        assert_eq!(info.model, Some("IPC-HDW1230S"));
        assert_eq!(info.firmware_version, None);
        assert_eq!(info.serial_number, None);
        // Fields outside the response element are not taken.
        assert_eq!(
            device_information(b"<Model>x</Model><GetDeviceInformationResponse/>"),
            None
        );
        // A fault, the request, and the longer element name.
        assert_eq!(
            device_information(b"<env:Fault><Model>x</Model></env:Fault>"),
            None
        );
        assert_eq!(device_information(REQUEST), None);
        assert_eq!(
            device_information(b"<GetDeviceInformationResponseX><Model>x</Model>"),
            None
        );
    }

    #[test]
    fn requests() {
        assert!(is_device_information_request(REQUEST));
        let body_only = http::request(REQUEST).unwrap().head.body().unwrap();
        assert!(is_device_information_request(body_only));
        assert!(is_device_information_request(
            b"<tds:GetDeviceInformation/>"
        ));
        assert!(!is_device_information_request(
            b"<tds:GetDeviceInformationX/>"
        ));
        assert!(!is_device_information_request(
            b"<tds:GetSystemDateAndTime/>"
        ));
        assert!(!is_device_information_request(b""));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = device_information(&bytes);
            let _ = is_device_information_request(&bytes);
        }

        #[test]
        fn mutated(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = RESPONSE.to_vec();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(info) = device_information(&bytes) {
                prop_assert!(info.model.is_none_or(|m| !m.is_empty()));
            }
        }
    }
}
