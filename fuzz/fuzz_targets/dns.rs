//! The DNS response parser, over UDP and over TCP (length prefix), with
//! every accessor the workers use.
#![no_main]

use camsentry::protocols::dns::{self, DnsName};
use libfuzzer_sys::fuzz_target;

fn exercise(message: &[u8]) {
    if let Ok(response) = dns::parse_response(message) {
        let question = response.question();
        assert!(question.len() <= 253);
        assert_eq!(question.as_str().len(), question.len());
        let _ = (response.id(), response.qtype(), response.answer_count());
        for (alias, _ttl) in response.aliases() {
            // Every name parsed from the wire reads back as dotted text.
            assert_eq!(
                DnsName::from_dotted(alias.as_str()).map(|n| n.len()),
                Ok(alias.len())
            );
        }
        let count = response.addresses().count();
        let mut reported = 0;
        let total = dns::for_each_answer(message, |_, _, _| reported += 1);
        assert_eq!(total, Ok(count));
        assert_eq!(reported, count);
    }
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    if let Some(message) = dns::strip_tcp_length(data) {
        exercise(message);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = DnsName::from_dotted(text);
    }
});
