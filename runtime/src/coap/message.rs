//! Parsing datagrams into coap-lite [`Packet`]s (or, without a copy, into
//! [`MessageRef`]s: [`parse_ref`]) and building requests and responses.
//!
//! The client itself reads with [`parse_ref`] and builds with [`RequestBuilder::build_message`]
//! ([`super::wire`]); the [`Packet`] forms are for applications and tests. This module adds what
//! a sans-I/O endpoint needs around the byte-level encoding: a size limit checked before anything is parsed, the RFC 7252 checks coap-lite leaves out
//! (version, token length, empty messages, reserved code classes), a typed [`ParseError`] that
//! says whether to answer with RST or stay silent, and builders that never panic.
//!
//! What to do with a datagram that does not parse (RFC 7252 §4.2, §4.3, §3):
//!
//! | error | answer |
//! | --- | --- |
//! | shorter than the 4-byte header, or version not 1 | nothing: silently ignore |
//! | larger than the configured maximum | RST if the header says CON, else ignore |
//! | message format error (token length 9..15, bad option delta/length, an Empty message with bytes after the header, a code of class 1, 6 or 7) | RST if CON, else ignore |
//!
//! [`ParseError::reset`] builds the RST when one is due. A payload marker followed by no payload
//! (a format error by the letter of §3) is tolerated as an empty payload. coap-lite bounds every
//! length it reads by the datagram, so no length field makes it allocate more than the datagram's
//! size.

use crate::prelude::*;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::block::{self, BlockOption};
use super::options;
use super::wire::{MessageRef, Outgoing, ReadMessage, WireError, WriteMessage};

/// The default maximum message size: RFC 7252 §4.6's 1152 bytes, which fits a 1280-byte IPv6
/// MTU with headers to spare.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1152;

/// The longest token (RFC 7252 §3).
pub const MAX_TOKEN_LEN: usize = 8;

/// Why a datagram is not a CoAP message this endpoint will process.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer than the 4 header bytes: ignore.
    #[error("datagram of {len} bytes is shorter than a CoAP header")]
    TooShort {
        /// The datagram's length.
        len: usize,
    },
    /// A CoAP version other than 1: ignore (RFC 7252 §3).
    #[error("CoAP version {version} (only 1 is known)")]
    UnsupportedVersion {
        /// The version field.
        version: u8,
    },
    /// A datagram above the maximum message size: RST if confirmable.
    #[error("datagram of {len} bytes exceeds the maximum message size {max}")]
    TooLarge {
        /// The datagram's length.
        len: usize,
        /// The configured maximum.
        max: usize,
        /// The header's message type.
        message_type: MessageType,
        /// The header's message id.
        message_id: u16,
    },
    /// A message format error: RST if confirmable.
    #[error("message format error: {reason}")]
    Format {
        /// The header's message type.
        message_type: MessageType,
        /// The header's message id.
        message_id: u16,
        /// What is wrong.
        reason: FormatError,
    },
}

/// The message format errors of RFC 7252 §3 that [`parse`] detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Token length 9 to 15.
    #[error("token length {0} (at most 8)")]
    TokenLength(u8),
    /// An option delta of 15, or option numbers overflowing 16 bits.
    #[error("invalid option delta")]
    OptionDelta,
    /// An option length of 15, or an option running past the end of the datagram.
    #[error("invalid option length")]
    OptionLength,
    /// An Empty message (code 0.00) with a token, options or payload.
    #[error("empty message with bytes after the header")]
    EmptyWithContent,
    /// A code in the reserved classes 1, 6 or 7.
    #[error("code of reserved class {0}")]
    ReservedClass(u8),
}

impl ParseError {
    /// The RST to send for this error, if any: only a confirmable message whose header was
    /// readable is rejected with RST (RFC 7252 §4.2); everything else is silently ignored.
    pub fn reset(&self) -> Option<Packet> {
        self.reset_id().map(reset)
    }

    /// The message id of the RST [`reset`](Self::reset) gives, if any.
    pub fn reset_id(&self) -> Option<u16> {
        match self {
            ParseError::TooLarge {
                message_type: MessageType::Confirmable,
                message_id,
                ..
            }
            | ParseError::Format {
                message_type: MessageType::Confirmable,
                message_id,
                ..
            } => Some(*message_id),
            _ => None,
        }
    }
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A token longer than 8 bytes.
    #[error("token of {len} bytes (at most 8)")]
    TokenTooLong {
        /// The token's length.
        len: usize,
    },
    /// The encoded message would exceed the maximum size: send the payload block-wise.
    #[error("message exceeds the maximum size {max}")]
    TooLarge {
        /// The maximum that was given.
        max: usize,
    },
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A token longer than 8 bytes.
    #[error("token of {len} bytes (at most 8)")]
    TokenTooLong {
        /// The token's length.
        len: usize,
    },
    /// A Uri-Path segment or Uri-Query longer than 255 bytes.
    #[error("option {option} value of {len} bytes (at most 255)")]
    OptionTooLong {
        /// The option number.
        option: u16,
        /// The value's length.
        len: usize,
    },
}

/// Parses a datagram into a packet, refusing datagrams above `max_message_size` before parsing.
/// See the module documentation for what each error calls for.
pub fn parse(datagram: &[u8], max_message_size: usize) -> Result<Packet, ParseError> {
    let message = parse_ref(datagram, max_message_size)?;
    // The bytes passed the same checks as coap-lite's: it reads them as `message` does.
    Packet::from_bytes(datagram).map_err(|_| ParseError::Format {
        message_type: message.message_type(),
        message_id: message.message_id(),
        reason: FormatError::OptionLength,
    })
}

/// [`parse`] without a copy: the message borrowed from `datagram`, nothing allocated. The same
/// checks and errors.
pub fn parse_ref(datagram: &[u8], max_message_size: usize) -> Result<MessageRef<'_>, ParseError> {
    let [first, code, id_high, id_low, ..] = *datagram else {
        return Err(ParseError::TooShort {
            len: datagram.len(),
        });
    };
    let version = first >> 6;
    if version != 1 {
        return Err(ParseError::UnsupportedVersion { version });
    }
    let message_type = match (first >> 4) & 0x3 {
        0 => MessageType::Confirmable,
        1 => MessageType::NonConfirmable,
        2 => MessageType::Acknowledgement,
        _ => MessageType::Reset,
    };
    let message_id = u16::from_be_bytes([id_high, id_low]);
    let format = |reason| ParseError::Format {
        message_type,
        message_id,
        reason,
    };
    if datagram.len() > max_message_size {
        return Err(ParseError::TooLarge {
            len: datagram.len(),
            max: max_message_size,
            message_type,
            message_id,
        });
    }
    let token_length = first & 0x0f;
    if usize::from(token_length) > MAX_TOKEN_LEN {
        return Err(format(FormatError::TokenLength(token_length)));
    }
    if code == 0 && datagram.len() > 4 {
        return Err(format(FormatError::EmptyWithContent));
    }
    let class = code >> 5;
    if matches!(class, 1 | 6 | 7) {
        return Err(format(FormatError::ReservedClass(class)));
    }
    MessageRef::parse(datagram).map_err(|error| {
        format(match error {
            WireError::OptionDelta => FormatError::OptionDelta,
            WireError::TokenLength => FormatError::TokenLength(token_length),
            WireError::TooShort | WireError::OptionLength => FormatError::OptionLength,
        })
    })
}

/// Encodes a packet, refusing a token over 8 bytes and a message over `max_message_size`.
pub fn encode(packet: &Packet, max_message_size: usize) -> Result<Vec<u8>, EncodeError> {
    let len = packet.get_token().len();
    if len > MAX_TOKEN_LEN {
        return Err(EncodeError::TokenTooLong { len });
    }
    packet
        .to_bytes_with_limit(max_message_size)
        .map_err(|_| EncodeError::TooLarge {
            max: max_message_size,
        })
}

/// A CoAP code from its class and detail, such as `code(4, 4)` for 4.04 Not Found (the form
/// [`crate::Error::coap_code`] returns).
pub fn code(class: u8, detail: u8) -> MessageClass {
    MessageClass::from(((class & 0x7) << 5) | (detail & 0x1f))
}

/// The class and detail of a code: `(2, 5)` for 2.05 Content.
pub fn code_parts(code: MessageClass) -> (u8, u8) {
    let raw = u8::from(code);
    (raw >> 5, raw & 0x1f)
}

/// Sets the token, keeping at most [`MAX_TOKEN_LEN`] bytes (tokens read by [`parse`] and made by
/// [`super::TokenGenerator`] always fit).
fn set_token(packet: &mut Packet, token: &[u8]) {
    let token = token.get(..MAX_TOKEN_LEN).unwrap_or(token);
    packet.set_token(token.to_vec());
}

fn header(packet: &mut Packet, message_type: MessageType, code: MessageClass, message_id: u16) {
    packet.header.set_version(1);
    packet.header.set_type(message_type);
    packet.header.code = code;
    packet.header.message_id = message_id;
}

/// Builds a request: method, type, message id and token first, then options and payload.
///
/// ```
/// use coap_lite::RequestType;
/// use lwm2m::coap::RequestBuilder;
/// let packet = RequestBuilder::new(RequestType::Post, 0x1234, &[1, 2, 3, 4])
///     .path(["rd"])
///     .query("ep", Some("dev-1"))
///     .query("lt", Some("300"))
///     .content_format(40)
///     .payload(b"</3/0>".to_vec())
///     .build()
///     .unwrap();
/// assert_eq!(lwm2m::coap::options::uri_path(&packet).unwrap(), ["rd"]);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestBuilder {
    packet: Outgoing,
    error: Option<BuildError>,
}

impl RequestBuilder {
    /// A confirmable request with no options and no payload.
    pub fn new(method: RequestType, message_id: u16, token: &[u8]) -> RequestBuilder {
        let packet = Outgoing::new(
            MessageType::Confirmable,
            MessageClass::Request(method),
            message_id,
            token,
        );
        let error =
            (token.len() > MAX_TOKEN_LEN).then_some(BuildError::TokenTooLong { len: token.len() });
        RequestBuilder { packet, error }
    }

    /// Confirmable (the default) or non-confirmable.
    pub fn confirmable(mut self, confirmable: bool) -> Self {
        self.packet.set_message_type(if confirmable {
            MessageType::Confirmable
        } else {
            MessageType::NonConfirmable
        });
        self
    }

    fn add_string(&mut self, option: CoapOption, value: &str) {
        if value.len() > 255 && self.error.is_none() {
            self.error = Some(BuildError::OptionTooLong {
                option: option.into(),
                len: value.len(),
            });
        }
        self.packet.push_option(option, value.as_bytes());
    }

    /// Appends Uri-Path segments, one option each (`["rd", "5"]`).
    pub fn path<I, S>(mut self, segments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for segment in segments {
            self.add_string(CoapOption::UriPath, segment.as_ref());
        }
        self
    }

    /// Appends the segments of a `/`-separated path (`"/rd/5"`, `"rd/5"`); empty segments are
    /// skipped. Handy with a Location-Path kept as text.
    pub fn path_str(self, path: &str) -> Self {
        self.path(path.split('/').filter(|segment| !segment.is_empty()))
    }

    /// Appends a Uri-Query option: `key=value`, or `key` alone for `None`. The key and value are
    /// sent as given (CoAP options are not percent-encoded).
    pub fn query(mut self, key: &str, value: Option<&str>) -> Self {
        let query = match value {
            Some(value) => format!("{key}={value}"),
            None => key.to_owned(),
        };
        self.add_string(CoapOption::UriQuery, &query);
        self
    }

    /// Appends a Uri-Query option holding `query` as it is (`ep=name`, `Q`).
    pub(crate) fn query_text(mut self, query: &str) -> Self {
        self.add_string(CoapOption::UriQuery, query);
        self
    }

    /// Sets the Content-Format (a raw number such as 11542).
    pub fn content_format(mut self, format: u16) -> Self {
        options::set_content_format(&mut self.packet, format);
        self
    }

    /// Sets the Accept option (a raw number).
    pub fn accept(mut self, format: u16) -> Self {
        options::set_accept(&mut self.packet, format);
        self
    }

    /// Sets the Observe option.
    pub fn observe(mut self, value: u32) -> Self {
        options::set_observe(&mut self.packet, value);
        self
    }

    /// Sets the Block1 option (a block of a large request body).
    pub fn block1(mut self, block: BlockOption) -> Self {
        block::set_block1(&mut self.packet, block);
        self
    }

    /// Sets the Block2 option (asking for a block of a large response).
    pub fn block2(mut self, block: BlockOption) -> Self {
        block::set_block2(&mut self.packet, block);
        self
    }

    /// Sets the Size1 option (the size of the whole request body).
    pub fn size1(mut self, size: u32) -> Self {
        options::set_uint(&mut self.packet, CoapOption::Size1, size);
        self
    }

    /// Appends a raw option value.
    pub fn option(mut self, option: CoapOption, value: Vec<u8>) -> Self {
        self.packet.push_option(option, &value);
        self
    }

    /// Sets the payload.
    pub fn payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.packet.set_payload_vec(payload.into());
        self
    }

    /// The packet, or the first error met while building it.
    pub fn build(self) -> Result<Packet, BuildError> {
        self.build_message().map(|message| message.to_packet())
    }

    /// [`build`](Self::build) as an [`Outgoing`] message, which the client sends (no coap-lite
    /// packet is made).
    pub fn build_message(self) -> Result<Outgoing, BuildError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.packet),
        }
    }
}

/// A piggy-backed response to a confirmable request: an ACK with the request's message id and
/// token, carrying `code`. Options and payload are added by the caller.
pub fn piggybacked(request: &Packet, code: MessageClass) -> Packet {
    let mut packet = Packet::new();
    header(
        &mut packet,
        MessageType::Acknowledgement,
        code,
        request.header.message_id,
    );
    set_token(&mut packet, request.get_token());
    packet
}

/// A separate response (or an Observe notification): a new CON or NON message with its own
/// `message_id` and the request's `token` (at most 8 bytes; longer is cut to 8).
pub fn separate(token: &[u8], code: MessageClass, message_id: u16, confirmable: bool) -> Packet {
    let mut packet = Packet::new();
    let message_type = if confirmable {
        MessageType::Confirmable
    } else {
        MessageType::NonConfirmable
    };
    header(&mut packet, message_type, code, message_id);
    set_token(&mut packet, token);
    packet
}

/// The immediate response to `request` (RFC 7252 §5.2): piggy-backed in the ACK for a
/// confirmable request (`message_id` is then unused), a NON with `message_id` and the request's
/// token for a non-confirmable one.
pub fn response(request: &Packet, code: MessageClass, message_id: u16) -> Packet {
    match request.header.get_type() {
        MessageType::NonConfirmable => separate(request.get_token(), code, message_id, false),
        _ => piggybacked(request, code),
    }
}

/// An Empty ACK for `message_id`: acknowledges a CON whose response comes later, separately.
pub fn empty_ack(message_id: u16) -> Packet {
    let mut packet = Packet::new();
    header(
        &mut packet,
        MessageType::Acknowledgement,
        MessageClass::Empty,
        message_id,
    );
    packet
}

/// An RST for `message_id`: rejects a message (also how a client cancels an observation by
/// answering a notification).
pub fn reset(message_id: u16) -> Packet {
    let mut packet = Packet::new();
    header(
        &mut packet,
        MessageType::Reset,
        MessageClass::Empty,
        message_id,
    );
    packet
}

/// The 4.02 Bad Option response to a request with an unrecognised critical option (RFC 7252
/// §5.4.1), if it has one; see [`options::unrecognized_critical`]. `message_id` is used when the
/// request is non-confirmable.
pub fn bad_option_response(request: &Packet, message_id: u16) -> Option<Packet> {
    options::unrecognized_critical(request)?;
    Some(response(
        request,
        MessageClass::Response(ResponseType::BadOption),
        message_id,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(packet: &Packet) -> Vec<u8> {
        encode(packet, DEFAULT_MAX_MESSAGE_SIZE).unwrap()
    }

    #[test]
    fn coap_parse_header_errors() {
        assert_eq!(
            parse(&[0x40, 1], 1152),
            Err(ParseError::TooShort { len: 2 })
        );
        assert_eq!(
            parse(&[0x80, 1, 0, 1], 1152),
            Err(ParseError::UnsupportedVersion { version: 2 })
        );
        let long_token = [0x49, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let err = parse(&long_token, 1152).unwrap_err();
        assert_eq!(
            err,
            ParseError::Format {
                message_type: MessageType::Confirmable,
                message_id: 7,
                reason: FormatError::TokenLength(9)
            }
        );
        let rst = err.reset().unwrap();
        assert_eq!(rst.header.get_type(), MessageType::Reset);
        assert_eq!(rst.header.message_id, 7);
        assert_eq!(bytes(&rst), vec![0x70, 0, 0, 7]);
        // NON with a format error: silently ignored.
        let non = [0x50, 0x20, 0, 8];
        let err = parse(&non, 1152).unwrap_err();
        assert!(matches!(
            err,
            ParseError::Format {
                reason: FormatError::ReservedClass(1),
                ..
            }
        ));
        assert_eq!(err.reset(), None);
        assert!(matches!(
            parse(&[0x40, 0, 0, 1, 0xff, 1], 1152),
            Err(ParseError::Format {
                reason: FormatError::EmptyWithContent,
                ..
            })
        ));
        // Option delta 15 that is not the payload marker.
        assert!(matches!(
            parse(&[0x40, 1, 0, 1, 0xf1, 0], 1152),
            Err(ParseError::Format {
                reason: FormatError::OptionDelta,
                ..
            })
        ));
        // Option running past the end.
        assert!(matches!(
            parse(&[0x40, 1, 0, 1, 0xb5, b'a'], 1152),
            Err(ParseError::Format {
                reason: FormatError::OptionLength,
                ..
            })
        ));
    }

    #[test]
    fn coap_parse_size_limit() {
        let request = RequestBuilder::new(RequestType::Put, 9, &[1])
            .path(["5", "0", "0"])
            .payload(vec![0u8; 100])
            .build()
            .unwrap();
        let datagram = bytes(&request);
        assert!(parse(&datagram, datagram.len()).is_ok());
        let err = parse(&datagram, 64).unwrap_err();
        assert!(matches!(err, ParseError::TooLarge { max: 64, .. }));
        assert_eq!(err.reset().map(|p| p.header.message_id), Some(9));
        assert_eq!(encode(&request, 64), Err(EncodeError::TooLarge { max: 64 }));
    }

    #[test]
    fn coap_request_round_trip() {
        let request = RequestBuilder::new(RequestType::Post, 0x1234, &[0xaa, 0xbb])
            .confirmable(false)
            .path_str("/rd/1")
            .query("lt", Some("60"))
            .query("b", None)
            .content_format(11542)
            .accept(112)
            .payload(vec![1, 2, 3])
            .build()
            .unwrap();
        let parsed = parse(&bytes(&request), 1152).unwrap();
        assert_eq!(parsed.header.get_type(), MessageType::NonConfirmable);
        assert_eq!(parsed.header.code, MessageClass::Request(RequestType::Post));
        assert_eq!(parsed.header.message_id, 0x1234);
        assert_eq!(parsed.get_token(), &[0xaa, 0xbb]);
        assert_eq!(options::uri_path(&parsed).unwrap(), ["rd", "1"]);
        assert_eq!(
            options::uri_query(&parsed).unwrap(),
            [
                ("lt".to_owned(), Some("60".to_owned())),
                ("b".to_owned(), None)
            ]
        );
        assert_eq!(options::content_format(&parsed), Ok(Some(11542)));
        assert_eq!(options::accept(&parsed), Ok(Some(112)));
        assert_eq!(parsed.payload, [1, 2, 3]);
    }

    #[test]
    fn coap_build_errors() {
        assert_eq!(
            RequestBuilder::new(RequestType::Get, 1, &[0; 9])
                .build()
                .unwrap_err(),
            BuildError::TokenTooLong { len: 9 }
        );
        let long = "x".repeat(256);
        assert_eq!(
            RequestBuilder::new(RequestType::Get, 1, &[])
                .path([long.as_str()])
                .build()
                .unwrap_err(),
            BuildError::OptionTooLong {
                option: 11,
                len: 256
            }
        );
    }

    #[test]
    fn coap_responses() {
        let con = RequestBuilder::new(RequestType::Get, 77, &[5, 6])
            .path(["3", "0"])
            .build()
            .unwrap();
        let ack = response(&con, code(2, 5), 999);
        assert_eq!(ack.header.get_type(), MessageType::Acknowledgement);
        assert_eq!(ack.header.message_id, 77);
        assert_eq!(ack.get_token(), &[5, 6]);
        assert_eq!(
            ack.header.code,
            MessageClass::Response(ResponseType::Content)
        );
        let non = RequestBuilder::new(RequestType::Get, 78, &[7])
            .confirmable(false)
            .build()
            .unwrap();
        let reply = response(&non, code(4, 4), 1000);
        assert_eq!(reply.header.get_type(), MessageType::NonConfirmable);
        assert_eq!(reply.header.message_id, 1000);
        assert_eq!(reply.get_token(), &[7]);
        let notify = separate(&[1, 2, 3, 4, 5, 6, 7, 8, 9], code(2, 5), 5, true);
        assert_eq!(notify.get_token().len(), 8);
        assert_eq!(notify.header.get_type(), MessageType::Confirmable);
        assert_eq!(bytes(&empty_ack(3)), vec![0x60, 0, 0, 3]);
        assert_eq!(code_parts(code(2, 31)), (2, 31));
        assert_eq!(code(2, 31), MessageClass::Response(ResponseType::Continue));
    }

    #[test]
    fn coap_bad_option_response() {
        let mut request = RequestBuilder::new(RequestType::Get, 5, &[1])
            .option(CoapOption::UriPort, vec![0x16, 0x33])
            .build()
            .unwrap();
        assert!(bad_option_response(&request, 0).is_none());
        request.add_option(CoapOption::Unknown(2049), vec![]);
        let answer = bad_option_response(&request, 0).unwrap();
        assert_eq!(
            answer.header.code,
            MessageClass::Response(ResponseType::BadOption)
        );
        assert_eq!(answer.header.message_id, 5);
    }
}
