//! CoAP messages read and written on their wire bytes: every datagram the client receives and
//! every message it sends.
//!
//! Why not coap-lite here (the project's rule is to write what no well-kept crate does right, and
//! say why): coap-lite's [`Packet`] keeps its options in a `BTreeMap<u16, LinkedList<Vec<u8>>>`,
//! so parsing a GET of `/3/0` with an Accept option makes eight heap allocations (token, tree
//! node, one list node and one `Vec` per option value, payload), building its response four
//! more, and encoding two: about a third of the allocations and of the user-space instructions
//! the client spent per served read (BENCHMARKS.md). Here:
//!
//! - [`MessageRef`] borrows a datagram: [`MessageRef::parse`] checks the header, token and every
//!   option once (the same rules and errors as `Packet::from_bytes`, which the tests compare it
//!   with), and option lookups walk the checked option bytes again (a request has a handful);
//!   nothing is allocated;
//! - [`Outgoing`] is a message being built: the token and the options live in small inline
//!   lists (a response has a few short options), and [`Outgoing::into_bytes`] writes header,
//!   token and options in front of the payload, in the payload's own buffer.
//!
//! The helpers of [`super::options`] and [`super::block`] read any [`ReadMessage`] (a
//! [`Packet`] or a [`MessageRef`]) and write any [`WriteMessage`] (a [`Packet`] or an
//! [`Outgoing`]). coap-lite's [`Packet`] stays in the public API ([`super::parse`],
//! [`super::RequestBuilder::build`], the response builders of [`super::message`]) and for its
//! enums of types, codes and options; the client itself makes none, so a device's firmware
//! links none of its tree and list code (BENCHMARKS.md: flash).

use crate::prelude::*;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet};

use super::message::{EncodeError, MAX_TOKEN_LEN};

/// Read access to a CoAP message's header, token, options and payload.
pub trait ReadMessage {
    /// The message type (CON, NON, ACK, RST).
    fn message_type(&self) -> MessageType;
    /// The code (method or response code).
    fn code(&self) -> MessageClass;
    /// The message id.
    fn message_id(&self) -> u16;
    /// The token.
    fn token(&self) -> &[u8];
    /// The payload.
    fn payload(&self) -> &[u8];
    /// The values of `option`, in the order sent.
    fn option_values(&self, option: CoapOption) -> impl Iterator<Item = &[u8]>;
    /// The number of every option (repeated for an option sent several times), in order.
    fn option_numbers(&self) -> impl Iterator<Item = u16>;
    /// The first value of `option`.
    fn first_option(&self, option: CoapOption) -> Option<&[u8]> {
        self.option_values(option).next()
    }
}

/// Write access to a CoAP message's code, options and payload.
pub trait WriteMessage {
    /// Sets the code.
    fn set_code(&mut self, code: MessageClass);
    /// Appends a value of `option` (after its other values).
    fn push_option(&mut self, option: CoapOption, value: &[u8]);
    /// Removes every value of `option`.
    fn remove_option(&mut self, option: CoapOption);
    /// Replaces the payload.
    fn set_payload(&mut self, payload: &[u8]);
}

impl ReadMessage for Packet {
    fn message_type(&self) -> MessageType {
        self.header.get_type()
    }

    fn code(&self) -> MessageClass {
        self.header.code
    }

    fn message_id(&self) -> u16 {
        self.header.message_id
    }

    fn token(&self) -> &[u8] {
        self.get_token()
    }

    fn payload(&self) -> &[u8] {
        &self.payload
    }

    fn option_values(&self, option: CoapOption) -> impl Iterator<Item = &[u8]> {
        self.get_option(option)
            .into_iter()
            .flatten()
            .map(Vec::as_slice)
    }

    fn option_numbers(&self) -> impl Iterator<Item = u16> {
        self.options()
            .flat_map(|(number, values)| values.iter().map(move |_| *number))
    }
}

impl WriteMessage for Packet {
    fn set_code(&mut self, code: MessageClass) {
        self.header.code = code;
    }

    fn push_option(&mut self, option: CoapOption, value: &[u8]) {
        self.add_option(option, value.to_vec());
    }

    fn remove_option(&mut self, option: CoapOption) {
        self.clear_option(option);
    }

    fn set_payload(&mut self, payload: &[u8]) {
        self.payload = payload.to_vec();
    }
}

/// Why [`MessageRef::parse`] refused a datagram (as coap-lite's `MessageError` names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer than the 4 header bytes.
    #[error("shorter than a CoAP header")]
    TooShort,
    /// A token length above 8, or a token running past the end.
    #[error("invalid token length")]
    TokenLength,
    /// An option delta of 15, or option numbers overflowing 16 bits.
    #[error("invalid option delta")]
    OptionDelta,
    /// An option length of 15, or an option running past the end.
    #[error("invalid option length")]
    OptionLength,
}

/// The message type of the header's type bits.
fn message_type_of(first: u8) -> MessageType {
    match (first >> 4) & 0x3 {
        0 => MessageType::Confirmable,
        1 => MessageType::NonConfirmable,
        2 => MessageType::Acknowledgement,
        _ => MessageType::Reset,
    }
}

/// A CoAP message borrowed from its datagram: see the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MessageRef<'a> {
    version: u8,
    message_type: MessageType,
    code: u8,
    message_id: u16,
    token: &'a [u8],
    /// The option bytes, every option checked by [`MessageRef::parse`].
    options: &'a [u8],
    payload: &'a [u8],
}

impl<'a> MessageRef<'a> {
    /// Reads the header, token, options and payload of `datagram`, checking every option as
    /// `Packet::from_bytes` does (a payload marker with nothing after it is an empty payload).
    /// The version and code are not checked: see [`super::message::parse_ref`].
    pub fn parse(datagram: &'a [u8]) -> Result<MessageRef<'a>, WireError> {
        let [first, code, id_high, id_low, ref rest @ ..] = *datagram else {
            return Err(WireError::TooShort);
        };
        let token_len = usize::from(first & 0x0f);
        if token_len > MAX_TOKEN_LEN {
            return Err(WireError::TokenLength);
        }
        let (Some(token), Some(after)) = (rest.get(..token_len), rest.get(token_len..)) else {
            return Err(WireError::TokenLength);
        };
        let mut walk = Options {
            rest: after,
            number: 0,
        };
        while walk.next_checked()?.is_some() {}
        let options_len = after.len() - walk.rest.len();
        let payload = walk.rest.get(1..).unwrap_or(&[]);
        Ok(MessageRef {
            version: first >> 6,
            message_type: message_type_of(first),
            code,
            message_id: u16::from_be_bytes([id_high, id_low]),
            token,
            options: after.get(..options_len).unwrap_or(&[]),
            payload,
        })
    }

    /// The same message with `payload` in place of its own (a request whose Block1 transfer
    /// is complete, with the whole body).
    pub fn with_payload<'b>(&self, payload: &'b [u8]) -> MessageRef<'b>
    where
        'a: 'b,
    {
        MessageRef { payload, ..*self }
    }

    /// Every option, in order: number and value.
    pub fn options(&self) -> Options<'a> {
        Options {
            rest: self.options,
            number: 0,
        }
    }

    /// The message as a coap-lite [`Packet`] (allocates).
    pub fn to_packet(&self) -> Packet {
        let mut packet = Packet::new();
        packet.header.set_version(self.version);
        packet.header.set_type(self.message_type);
        packet.header.code = MessageClass::from(self.code);
        packet.header.message_id = self.message_id;
        packet.set_token(self.token.to_vec());
        for (number, value) in self.options() {
            packet.add_option(CoapOption::from(number), value.to_vec());
        }
        packet.payload = self.payload.to_vec();
        packet
    }
}

impl ReadMessage for MessageRef<'_> {
    fn message_type(&self) -> MessageType {
        self.message_type
    }

    fn code(&self) -> MessageClass {
        MessageClass::from(self.code)
    }

    fn message_id(&self) -> u16 {
        self.message_id
    }

    fn token(&self) -> &[u8] {
        self.token
    }

    fn payload(&self) -> &[u8] {
        self.payload
    }

    fn option_values(&self, option: CoapOption) -> impl Iterator<Item = &[u8]> {
        let number = u16::from(option);
        self.options()
            .skip_while(move |(n, _)| *n < number)
            .take_while(move |(n, _)| *n == number)
            .map(|(_, value)| value)
    }

    fn option_numbers(&self) -> impl Iterator<Item = u16> {
        self.options().map(|(number, _)| number)
    }
}

/// The options of a [`MessageRef`], in order: `(number, value)`.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// What is left, from the next option header on (or the payload marker).
    rest: &'a [u8],
    /// The number of the previous option.
    number: u16,
}

impl<'a> Options<'a> {
    /// The next option, `Ok(None)` at the payload marker or the end, or why the option bytes
    /// are malformed (`Packet::from_bytes`'s checks, in its order).
    fn next_checked(&mut self) -> Result<Option<(u16, &'a [u8])>, WireError> {
        let Some((&byte, mut rest)) = self.rest.split_first() else {
            return Ok(None);
        };
        if byte == 0xff {
            return Ok(None);
        }
        let mut extended = |nibble: u8, overflow: WireError| -> Result<u16, WireError> {
            match nibble {
                13 => {
                    let (&b, after) = rest.split_first().ok_or(WireError::OptionLength)?;
                    rest = after;
                    Ok(u16::from(b) + 13)
                }
                14 => {
                    let [high, low, ref after @ ..] = *rest else {
                        return Err(WireError::OptionLength);
                    };
                    rest = after;
                    u16::from_be_bytes([high, low])
                        .checked_add(269)
                        .ok_or(overflow)
                }
                15 => Err(overflow),
                n => Ok(u16::from(n)),
            }
        };
        let delta = extended(byte >> 4, WireError::OptionDelta)?;
        let len = extended(byte & 0x0f, WireError::OptionLength)?;
        let number = self
            .number
            .checked_add(delta)
            .ok_or(WireError::OptionDelta)?;
        let len = usize::from(len);
        let (Some(value), Some(after)) = (rest.get(..len), rest.get(len..)) else {
            return Err(WireError::OptionLength);
        };
        self.number = number;
        self.rest = after;
        Ok(Some((number, value)))
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        // The bytes were checked by `MessageRef::parse`: an error cannot come, and ends the walk.
        self.next_checked().ok().flatten()
    }
}

/// The most options an [`Outgoing`] keeps inline (with more, all go to the heap).
const INLINE_OPTIONS: usize = 6;

/// The longest option value an [`Outgoing`] keeps inline (longer ones go to the heap).
const INLINE_VALUE: usize = 8;

/// One option of an [`Outgoing`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum OptionValue {
    Inline { len: u8, bytes: [u8; INLINE_VALUE] },
    Heap(Vec<u8>),
}

impl OptionValue {
    fn new(value: &[u8]) -> OptionValue {
        let mut bytes = [0u8; INLINE_VALUE];
        match (bytes.get_mut(..value.len()), u8::try_from(value.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(value);
                OptionValue::Inline { len, bytes }
            }
            _ => OptionValue::Heap(value.to_vec()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            OptionValue::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            OptionValue::Heap(bytes) => bytes,
        }
    }
}

/// A CoAP message being built, such as the response to a request: see the
/// [module documentation](self). Options are kept in number order (several values of one
/// option in the order added); the first few live inline.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    message_type: MessageType,
    code: MessageClass,
    message_id: u16,
    token_len: u8,
    token: [u8; MAX_TOKEN_LEN],
    inline: [(u16, OptionValue); INLINE_OPTIONS],
    inline_len: u8,
    /// Every option once there were more than the inline list holds (the inline list is then
    /// empty), in number order.
    more: Vec<(u16, OptionValue)>,
    payload: Vec<u8>,
}

impl Outgoing {
    /// A message with no options and no payload; a token above 8 bytes is cut to 8 (as
    /// [`super::message::separate`] does).
    pub fn new(
        message_type: MessageType,
        code: MessageClass,
        message_id: u16,
        token: &[u8],
    ) -> Outgoing {
        let token = token.get(..MAX_TOKEN_LEN).unwrap_or(token);
        let mut bytes = [0u8; MAX_TOKEN_LEN];
        if let Some(prefix) = bytes.get_mut(..token.len()) {
            prefix.copy_from_slice(token);
        }
        let empty = (
            0,
            OptionValue::Inline {
                len: 0,
                bytes: [0; INLINE_VALUE],
            },
        );
        Outgoing {
            message_type,
            code,
            message_id,
            token_len: u8::try_from(token.len()).unwrap_or(0),
            token: bytes,
            inline: core::array::from_fn(|_| empty.clone()),
            inline_len: 0,
            more: Vec::new(),
            payload: Vec::new(),
        }
    }

    /// The immediate response to `request` (RFC 7252 §5.2), as
    /// [`super::message::response`] builds it: piggy-backed in the ACK of a confirmable
    /// request, a NON with `message_id` and the request's token for a non-confirmable one.
    pub fn response(request: &impl ReadMessage, code: MessageClass, message_id: u16) -> Outgoing {
        match request.message_type() {
            MessageType::NonConfirmable => Outgoing::new(
                MessageType::NonConfirmable,
                code,
                message_id,
                request.token(),
            ),
            _ => Outgoing::new(
                MessageType::Acknowledgement,
                code,
                request.message_id(),
                request.token(),
            ),
        }
    }

    /// Replaces the payload with `payload` (moved in, not copied).
    pub fn set_payload_vec(&mut self, payload: Vec<u8>) {
        self.payload = payload;
    }

    /// Takes the payload out (leaving none).
    pub fn take_payload(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.payload)
    }

    /// Sets the message type.
    pub fn set_message_type(&mut self, message_type: MessageType) {
        self.message_type = message_type;
    }

    /// Sets the message id.
    pub fn set_message_id(&mut self, message_id: u16) {
        self.message_id = message_id;
    }

    /// Sets the token (a token above 8 bytes is cut to 8).
    pub fn set_token(&mut self, token: &[u8]) {
        let token = token.get(..MAX_TOKEN_LEN).unwrap_or(token);
        if let Some(prefix) = self.token.get_mut(..token.len()) {
            prefix.copy_from_slice(token);
        }
        self.token_len = u8::try_from(token.len()).unwrap_or(0);
    }

    /// The message as a coap-lite [`Packet`] (allocates).
    pub fn to_packet(&self) -> Packet {
        let mut packet = Packet::new();
        packet.header.set_version(1);
        packet.header.set_type(self.message_type);
        packet.header.code = self.code;
        packet.header.message_id = self.message_id;
        packet.set_token(self.token().to_vec());
        for (number, value) in self.all_options() {
            packet.add_option(CoapOption::from(*number), value.as_slice().to_vec());
        }
        packet.payload = self.payload.clone();
        packet
    }

    /// Every option in order: the inline ones, then the rest.
    fn all_options(&self) -> impl Iterator<Item = &(u16, OptionValue)> {
        self.inline
            .iter()
            .take(usize::from(self.inline_len))
            .chain(self.more.iter())
    }

    /// The encoded message, refused when its token is over 8 bytes (it never is) or it is
    /// longer than `limit` bytes (as `Packet::to_bytes_with_limit`): one allocation of the
    /// exact size.
    pub fn to_bytes(&self, limit: usize) -> Result<Vec<u8>, EncodeError> {
        let token = self.token();
        let marker = self.code != MessageClass::Empty && !self.payload.is_empty();
        let mut len = 4 + token.len() + self.payload.len() + usize::from(marker);
        let mut previous = 0u16;
        for (number, value) in self.all_options() {
            len += option_header_len(number - previous, value.as_slice().len());
            len += value.as_slice().len();
            previous = *number;
        }
        if len > limit {
            return Err(EncodeError::TooLarge { max: limit });
        }
        let mut out = Vec::with_capacity(len);
        self.write_head(&mut out);
        if marker {
            out.push(0xff);
            out.extend_from_slice(&self.payload);
        }
        Ok(out)
    }

    /// [`to_bytes`](Self::to_bytes) in the payload's own buffer: the header, token and options
    /// are written after the payload and rotated in front of it, so that a payload with room to
    /// spare (as the encoders leave) costs no allocation and no second copy.
    pub fn into_bytes(mut self, limit: usize) -> Result<Vec<u8>, EncodeError> {
        let token = self.token();
        let marker = self.code != MessageClass::Empty && !self.payload.is_empty();
        let mut head = 4 + token.len() + usize::from(marker);
        let mut previous = 0u16;
        for (number, value) in self.all_options() {
            head += option_header_len(number - previous, value.as_slice().len());
            head += value.as_slice().len();
            previous = *number;
        }
        if head + self.payload.len() > limit {
            return Err(EncodeError::TooLarge { max: limit });
        }
        let mut out = core::mem::take(&mut self.payload);
        if !marker {
            // No payload is sent (an Empty message carries none).
            out.clear();
        }
        let start = out.len();
        out.reserve(head);
        self.write_head(&mut out);
        if marker {
            out.push(0xff);
        }
        let written = out.len() - start;
        out.rotate_right(written);
        Ok(out)
    }

    /// Writes the header, the token and the options.
    fn write_head(&self, out: &mut Vec<u8>) {
        let message_type: u8 = match self.message_type {
            MessageType::Confirmable => 0,
            MessageType::NonConfirmable => 1,
            MessageType::Acknowledgement => 2,
            MessageType::Reset => 3,
        };
        out.push(0x40 | (message_type << 4) | self.token_len);
        out.push(u8::from(self.code));
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(self.token());
        let mut previous = 0u16;
        for (number, value) in self.all_options() {
            write_option(out, number - previous, value.as_slice());
            previous = *number;
        }
    }

    /// Inserts a value of option `number` after every option numbered up to it: in the inline
    /// list while it has room, else (all of them) in `more`.
    fn insert(&mut self, number: u16, value: OptionValue) {
        let len = usize::from(self.inline_len);
        if self.more.is_empty() && len < INLINE_OPTIONS {
            let at = self
                .inline
                .iter()
                .take(len)
                .position(|(n, _)| *n > number)
                .unwrap_or(len);
            if let Some(window) = self.inline.get_mut(at..=len) {
                window.rotate_right(1);
                if let Some(slot) = window.first_mut() {
                    *slot = (number, value);
                }
                self.inline_len += 1;
            }
            return;
        }
        if self.more.is_empty() {
            self.more.extend(self.inline.iter().take(len).cloned());
            self.inline_len = 0;
        }
        let at = self
            .more
            .iter()
            .position(|(n, _)| *n > number)
            .unwrap_or(self.more.len());
        self.more.insert(at, (number, value));
    }
}

/// The length of an option's header for `delta` and a value of `len` bytes.
fn option_header_len(delta: u16, len: usize) -> usize {
    let extra = |n: usize| match n {
        0..=12 => 0,
        13..=268 => 1,
        _ => 2,
    };
    1 + extra(usize::from(delta)) + extra(len)
}

/// Writes one option: its header (delta and length, extended as RFC 7252 §3.1 says) and value.
/// A value is at most 65535 + 269 bytes long by construction (a message is far shorter).
fn write_option(out: &mut Vec<u8>, delta: u16, value: &[u8]) {
    let nibble = |n: usize| -> u8 {
        match n {
            0..=12 => n as u8,
            13..=268 => 13,
            _ => 14,
        }
    };
    let len = value.len();
    out.push((nibble(usize::from(delta)) << 4) | nibble(len));
    for n in [usize::from(delta), len] {
        match n {
            0..=12 => {}
            13..=268 => out.push((n - 13) as u8),
            _ => out.extend_from_slice(&u16::try_from(n - 269).unwrap_or(u16::MAX).to_be_bytes()),
        }
    }
    out.extend_from_slice(value);
}

impl ReadMessage for Outgoing {
    fn message_type(&self) -> MessageType {
        self.message_type
    }

    fn code(&self) -> MessageClass {
        self.code
    }

    fn message_id(&self) -> u16 {
        self.message_id
    }

    fn token(&self) -> &[u8] {
        self.token.get(..usize::from(self.token_len)).unwrap_or(&[])
    }

    fn payload(&self) -> &[u8] {
        &self.payload
    }

    fn option_values(&self, option: CoapOption) -> impl Iterator<Item = &[u8]> {
        let number = u16::from(option);
        self.all_options()
            .filter(move |(n, _)| *n == number)
            .map(|(_, value)| value.as_slice())
    }

    fn option_numbers(&self) -> impl Iterator<Item = u16> {
        self.all_options().map(|(number, _)| *number)
    }
}

impl WriteMessage for Outgoing {
    fn set_code(&mut self, code: MessageClass) {
        self.code = code;
    }

    fn push_option(&mut self, option: CoapOption, value: &[u8]) {
        self.insert(u16::from(option), OptionValue::new(value));
    }

    fn remove_option(&mut self, option: CoapOption) {
        let number = u16::from(option);
        let len = usize::from(self.inline_len);
        let mut kept = 0;
        for k in 0..len {
            if self.inline.get(k).is_some_and(|(n, _)| *n != number) {
                self.inline.swap(kept, k);
                kept += 1;
            }
        }
        self.inline_len = u8::try_from(kept).unwrap_or(0);
        self.more.retain(|(n, _)| *n != number);
    }

    fn set_payload(&mut self, payload: &[u8]) {
        self.payload.clear();
        self.payload.extend_from_slice(payload);
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
