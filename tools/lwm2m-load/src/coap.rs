//! The CoAP messages of the load tool: the GET template, the fixed header of responses, and the
//! registration interface the tool answers as an LwM2M server.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use crate::error::{Error, Result};

/// Length of the tokens the tool sends.
pub const TOKEN_LEN: usize = 8;

/// CoAP code 2.05 Content.
pub const CONTENT: u8 = 0x45;

/// The content format asked for by the Accept option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Accept {
    /// No Accept option: the client's default format.
    None,
    /// `application/vnd.oma.lwm2m+tlv` (11542).
    Tlv,
    /// `application/senml+cbor` (112).
    SenmlCbor,
}

impl Accept {
    /// The CoAP content-format number, if any.
    pub fn content_format(self) -> Option<u16> {
        match self {
            Accept::None => None,
            Accept::Tlv => Some(11542),
            Accept::SenmlCbor => Some(112),
        }
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Accept::None => "none",
            Accept::Tlv => "tlv",
            Accept::SenmlCbor => "senml-cbor",
        }
    }
}

/// Splits `/3/0` into its Uri-Path segments.
pub fn parse_path(path: &str) -> Result<Vec<String>> {
    let bad = || Error::BadPath(path.to_string());
    let rest = path.strip_prefix('/').ok_or_else(bad)?;
    let segments: Vec<String> = rest.split('/').map(str::to_string).collect();
    let valid =
        (1..=3).contains(&segments.len()) && segments.iter().all(|s| s.parse::<u16>().is_ok());
    if valid { Ok(segments) } else { Err(bad()) }
}

/// A confirmable GET encoded once; each request patches its message id and token in place.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    bytes: Vec<u8>,
}

impl RequestTemplate {
    /// Encodes `GET path` with an 8-byte token and the Accept option of `accept`.
    pub fn get(path: &[String], accept: Accept) -> Result<Self> {
        let mut packet = Packet::new();
        packet.header.set_type(MessageType::Confirmable);
        packet.header.code = MessageClass::Request(RequestType::Get);
        packet.set_token(vec![0; TOKEN_LEN]);
        for segment in path {
            packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        if let Some(format) = accept.content_format() {
            packet.add_option(CoapOption::Accept, encode_uint(format));
        }
        let bytes = packet
            .to_bytes()
            .map_err(|e| Error::Coap(format!("{e:?}")))?;
        Ok(RequestTemplate { bytes })
    }

    /// The request with message id `mid` and token `token`.
    pub fn with(&mut self, mid: u16, token: u64) -> &[u8] {
        if let Some(field) = self.bytes.get_mut(2..4) {
            field.copy_from_slice(&mid.to_be_bytes());
        }
        if let Some(field) = self.bytes.get_mut(4..4 + TOKEN_LEN) {
            field.copy_from_slice(&token.to_be_bytes());
        }
        &self.bytes
    }
}

/// A CoAP uint option value: big-endian without leading zero bytes.
fn encode_uint(value: u16) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(skip..).unwrap_or_default().to_vec()
}

/// The CoAP message types, from the two type bits of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Confirmable.
    Con,
    /// Non-confirmable.
    Non,
    /// Acknowledgement.
    Ack,
    /// Reset.
    Rst,
}

/// The fixed header and token of a received message, read without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The message type.
    pub kind: Kind,
    /// The code byte (class << 5 | detail).
    pub code: u8,
    /// The message id.
    pub mid: u16,
    /// The token as a number when it is 8 bytes long (the tool's own tokens), else `None`.
    pub token: Option<u64>,
}

impl Head {
    /// Reads the header of `datagram`; `None` when it is not CoAP version 1 or is too short.
    pub fn parse(datagram: &[u8]) -> Option<Head> {
        let first = *datagram.first()?;
        if first >> 6 != 1 {
            return None;
        }
        let tkl = usize::from(first & 0x0F);
        let kind = match (first >> 4) & 0x03 {
            0 => Kind::Con,
            1 => Kind::Non,
            2 => Kind::Ack,
            _ => Kind::Rst,
        };
        let code = *datagram.get(1)?;
        let mid = u16::from_be_bytes([*datagram.get(2)?, *datagram.get(3)?]);
        let token_bytes = datagram.get(4..4 + tkl)?;
        let token = <[u8; TOKEN_LEN]>::try_from(token_bytes)
            .ok()
            .map(u64::from_be_bytes);
        Some(Head {
            kind,
            code,
            mid,
            token,
        })
    }

    /// A request (code class 0, not empty).
    pub fn is_request(&self) -> bool {
        self.code != 0 && self.code >> 5 == 0
    }

    /// A response (code class 2 to 5).
    pub fn is_response(&self) -> bool {
        (2..=5).contains(&(self.code >> 5))
    }
}

/// The Content-Format of a response, if it has one and it parses.
pub fn content_format(datagram: &[u8]) -> Option<u16> {
    let packet = Packet::from_bytes(datagram).ok()?;
    let value = packet.get_first_option(CoapOption::ContentFormat)?;
    Some(value.iter().fold(0u16, |acc, b| (acc << 8) | u16::from(*b)))
}

/// An empty ACK for a confirmable message with id `mid` (for separate responses).
pub fn empty_ack(mid: u16) -> [u8; 4] {
    let [hi, lo] = mid.to_be_bytes();
    [0x60, 0x00, hi, lo]
}

/// What the registration interface did with a request from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// A Register (POST /rd).
    Register,
    /// An Update (POST /rd/1).
    Update,
    /// A De-register (DELETE /rd/1).
    Deregister,
    /// Anything else: answered 4.04.
    Other,
}

/// Answers a request of the client as the LwM2M server's registration interface: Register ->
/// 2.01 with Location-Path `rd/1`, Update -> 2.04, De-register -> 2.02, anything else -> 4.04.
/// Returns what it was and the encoded response (`None` when the request does not parse).
pub fn answer_registration(datagram: &[u8], next_mid: u16) -> Option<(Registration, Vec<u8>)> {
    let request = Packet::from_bytes(datagram).ok()?;
    let path: Vec<&[u8]> = request
        .get_option(CoapOption::UriPath)
        .map(|list| list.iter().map(Vec::as_slice).collect())
        .unwrap_or_default();
    let (what, code) = match (request.header.code, path.as_slice()) {
        (MessageClass::Request(RequestType::Post), [b"rd"]) => {
            (Registration::Register, ResponseType::Created)
        }
        (MessageClass::Request(RequestType::Post), [b"rd", b"1"]) => {
            (Registration::Update, ResponseType::Changed)
        }
        (MessageClass::Request(RequestType::Delete), [b"rd", b"1"]) => {
            (Registration::Deregister, ResponseType::Deleted)
        }
        _ => (Registration::Other, ResponseType::NotFound),
    };
    let mut response = Packet::new();
    if request.header.get_type() == MessageType::Confirmable {
        response.header.set_type(MessageType::Acknowledgement);
        response.header.message_id = request.header.message_id;
    } else {
        response.header.set_type(MessageType::NonConfirmable);
        response.header.message_id = next_mid;
    }
    response.header.code = MessageClass::Response(code);
    response.set_token(request.get_token().to_vec());
    if what == Registration::Register {
        response.add_option(CoapOption::LocationPath, b"rd".to_vec());
        response.add_option(CoapOption::LocationPath, b"1".to_vec());
    }
    let bytes = response.to_bytes().ok()?;
    Some((what, bytes))
}

/// The echo server's answer to `datagram`: an ACK 2.05 with the same message id and token and
/// nothing else, written into `out`; `None` when `datagram` has no valid CoAP header.
pub fn echo_answer<'a>(datagram: &[u8], out: &'a mut [u8; 4 + 8]) -> Option<&'a [u8]> {
    let first = *datagram.first()?;
    let tkl = usize::from(first & 0x0F);
    if first >> 6 != 1 || tkl > 8 {
        return None;
    }
    let head = datagram.get(..4 + tkl)?;
    let out = out.get_mut(..4 + tkl)?;
    out.copy_from_slice(head);
    if let Some(byte) = out.first_mut() {
        *byte = (first & 0xCF) | 0x20;
    }
    if let Some(byte) = out.get_mut(1) {
        *byte = CONTENT;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        assert_eq!(parse_path("/3/0").unwrap(), vec!["3", "0"]);
        assert_eq!(parse_path("/3303/0/5700").unwrap().len(), 3);
        for bad in ["3/0", "/", "/3//0", "/a", "/1/2/3/4", "/70000"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_template_patches_mid_and_token() {
        let path = parse_path("/3/0").unwrap();
        let mut template = RequestTemplate::get(&path, Accept::Tlv).unwrap();
        let bytes = template.with(0xBEEF, 0x0102_0304_0506_0708).to_vec();
        let packet = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(packet.header.message_id, 0xBEEF);
        assert_eq!(packet.get_token(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(packet.header.get_type(), MessageType::Confirmable);
        assert_eq!(
            packet.get_first_option(CoapOption::Accept),
            Some(&vec![0x2D, 0x16])
        );
        let head = Head::parse(&bytes).unwrap();
        assert_eq!(head.token, Some(0x0102_0304_0506_0708));
        assert!(head.is_request());
        let none = RequestTemplate::get(&path, Accept::None).unwrap();
        assert!(
            Packet::from_bytes(&none.bytes)
                .unwrap()
                .get_option(CoapOption::Accept)
                .is_none()
        );
    }

    #[test]
    fn headers_of_garbage_are_none() {
        assert_eq!(Head::parse(&[]), None);
        assert_eq!(Head::parse(&[0x48, 0x45, 0]), None);
        assert_eq!(Head::parse(&[0x08, 0x45, 0, 1]), None);
        assert_eq!(Head::parse(&[0x48, 0x45, 0, 1, 9]), None);
    }

    #[test]
    fn registration_is_answered() {
        let mut register = Packet::new();
        register.header.set_type(MessageType::Confirmable);
        register.header.code = MessageClass::Request(RequestType::Post);
        register.header.message_id = 77;
        register.set_token(vec![9, 9]);
        register.add_option(CoapOption::UriPath, b"rd".to_vec());
        register.add_option(CoapOption::UriQuery, b"ep=load".to_vec());
        let (what, bytes) = answer_registration(&register.to_bytes().unwrap(), 1).unwrap();
        assert_eq!(what, Registration::Register);
        let response = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(response.header.message_id, 77);
        assert_eq!(response.get_token(), &[9, 9]);
        assert_eq!(
            response.header.code,
            MessageClass::Response(ResponseType::Created)
        );
        let location: Vec<_> = response
            .get_option(CoapOption::LocationPath)
            .unwrap()
            .iter()
            .cloned()
            .collect();
        assert_eq!(location, vec![b"rd".to_vec(), b"1".to_vec()]);

        register.add_option(CoapOption::UriPath, b"1".to_vec());
        let (what, bytes) = answer_registration(&register.to_bytes().unwrap(), 1).unwrap();
        assert_eq!(what, Registration::Update);
        assert_eq!(Head::parse(&bytes).unwrap().code, 0x44);
        assert!(answer_registration(&[1, 2], 1).is_none());
    }

    #[test]
    fn echo_answers_an_ack_with_the_same_mid_and_token() {
        let path = parse_path("/3/0").unwrap();
        let mut template = RequestTemplate::get(&path, Accept::None).unwrap();
        let request = template.with(5, 6).to_vec();
        let mut out = [0; 12];
        let answer = echo_answer(&request, &mut out).unwrap();
        let head = Head::parse(answer).unwrap();
        assert_eq!(
            head,
            Head {
                kind: Kind::Ack,
                code: CONTENT,
                mid: 5,
                token: Some(6)
            }
        );
        assert!(echo_answer(&[0x4F, 1, 2, 3], &mut out).is_none());
        assert!(echo_answer(&[0x42, 1, 2, 3, 4], &mut out).is_none());
    }
}
