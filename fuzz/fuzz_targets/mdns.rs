//! The mDNS / DNS-SD record reader.
#![no_main]

use camsentry::protocols::mdns::{self, RecordData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = mdns::parse(data) else {
        return;
    };
    for record in message.records() {
        let _ = record.name.service();
        let _ = record.name.first_label();
        let _ = record.name.to_string();
        match record.data {
            RecordData::Txt(txt) => {
                let _ = (txt.model(), txt.firmware(), txt.mac(), txt.vendor());
            }
            RecordData::Ptr(name) | RecordData::Srv { target: name, .. } => {
                let _ = name.service();
            }
            _ => {}
        }
    }
});
