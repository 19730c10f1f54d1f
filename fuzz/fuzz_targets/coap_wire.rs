#![no_main]
//! Differential fuzzing of the client's own CoAP reader (`coap::wire::MessageRef`) against
//! coap-lite's `Packet::from_bytes`, which it replaced on the serving path: on any bytes both
//! accept or both refuse, and what they accept they read the same (type, code, id, token, every
//! option in order, payload). Neither may panic.

use coap_lite::{CoapOption, Packet};
use lwm2m::coap::{MessageRef, ReadMessage};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let ours = MessageRef::parse(data);
    let theirs = Packet::from_bytes(data);
    assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "accepted by one only: {data:02x?}"
    );
    let (Ok(ours), Ok(packet)) = (ours, theirs) else {
        return;
    };
    assert_eq!(ours.message_type(), packet.header.get_type());
    assert_eq!(ours.code(), packet.header.code);
    assert_eq!(ours.message_id(), packet.header.message_id);
    assert_eq!(ours.token(), packet.get_token());
    assert_eq!(ours.payload(), packet.payload.as_slice());
    let flat: Vec<(u16, Vec<u8>)> = packet
        .options()
        .flat_map(|(number, values)| values.iter().map(|v| (*number, v.clone())))
        .collect();
    assert!(ours.options().map(|(n, v)| (n, v.to_vec())).eq(flat));
    for number in [1u16, 6, 11, 12, 17, 23, 27, 60, 258, 292] {
        let option = CoapOption::from(number);
        assert!(
            ours.option_values(option)
                .eq(ReadMessage::option_values(&packet, option))
        );
    }
    assert_eq!(ours.to_packet(), packet);
});
