//! The exchange layer: the client's outgoing confirmable requests and notifications, from the
//! first transmission to their end. It owns message ids, tokens, retransmission (RFC 7252
//! §4.2), the Block1 state of a request sent block-wise, and the recent notification message
//! ids an RST may name (RFC 7641 §3.6).
//!
//! One table keyed by (peer, token) holds each exchange; an index by (peer, message id) finds
//! it again for an RST or a give-up. Every way an exchange ends is a typed outcome: a
//! [`ResponseMatch`] for a response, an [`Ended`] for an RST or the last retransmission left
//! unanswered, each carrying what the exchange was ([`Kind`]) and its token.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;
use litemap::LiteMap;

use coap_lite::MessageType;

use crate::coap::ReadMessage;
use crate::coap::{RetransmitEvent, Retransmitter, TokenGenerator, TransmissionParameters};
use crate::path::Path;

use super::blockwise::{OutgoingBody, Step};

/// What an outgoing confirmable request or notification was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// `POST /bs?ep=..` (never sent without the `bootstrap` feature).
    #[cfg_attr(not(feature = "bootstrap"), allow(dead_code))]
    BootstrapRequest,
    /// `POST /rd?..`.
    Register,
    /// `POST /rd/..` with what changed.
    Update {
        /// The object links sent, when they changed.
        links: Option<String>,
        /// The lifetime announced, seconds.
        lifetime: u64,
    },
    /// `DELETE /rd/..`.
    Deregister,
    /// A confirmable notification.
    Notification,
    /// A Send (`POST /dp`) of these paths.
    Send {
        /// The paths sent.
        paths: Vec<Path>,
    },
    /// A block of a firmware package download (`GET` of the Package URI).
    #[cfg_attr(not(feature = "firmware-update"), allow(dead_code))]
    Download,
}

/// One exchange in flight.
#[derive(Debug, Clone)]
struct Exchange {
    kind: Kind,
    /// The message id of the message in flight (of the block in flight for a block-wise request).
    message_id: u16,
    /// The request and how its body goes out (whole or block-wise); `None` for notifications.
    body: Option<OutgoingBody>,
}

/// How a response matched the exchanges ([`Exchanges::response`]).
#[derive(Debug)]
pub(super) enum ResponseMatch {
    /// No exchange waits for it (a confirmable one is answered with RST).
    Unmatched,
    /// A repeated separate answer to an earlier block of a block-wise request: ignored.
    Stale,
    /// The block in flight was taken: send the next one (or block 0 again) with the same token.
    NextBlock {
        /// The exchange's token.
        token: Vec<u8>,
        /// What it is.
        kind: Kind,
        /// Its body, advanced (boxed: the other outcomes are small).
        body: Box<OutgoingBody>,
    },
    /// The final response of the exchange, which is over.
    Final(Kind),
}

/// An exchange that ended without a final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ended {
    /// The peer.
    pub peer: SocketAddr,
    /// What the exchange was ([`Kind::Notification`] for a notification, confirmable or not).
    pub kind: Kind,
    /// Its token (a notification's is its observation's).
    pub token: Vec<u8>,
    /// How it ended.
    pub how: EndedHow,
}

/// How an exchange ended without a final response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EndedHow {
    /// The peer answered with RST.
    Reset,
    /// No answer after the last retransmission.
    GaveUp,
}

/// How many notification message ids are remembered (to match an RST).
const NOTIFY_MEMORY: usize = 64;

/// The client's exchanges in flight: see the module documentation.
#[derive(Debug)]
pub(super) struct Exchanges {
    retransmit: Retransmitter<SocketAddr>,
    tokens: TokenGenerator,
    message_id: u16,
    /// Every exchange, by peer and token.
    by_token: LiteMap<(SocketAddr, Vec<u8>), Exchange>,
    /// The index of `by_token` by peer and message id of the message in flight.
    by_message_id: LiteMap<(SocketAddr, u16), Vec<u8>>,
    /// Recent notifications: message id, observer, observation token.
    notifications: Vec<(u16, SocketAddr, Vec<u8>)>,
}

impl Exchanges {
    /// No exchange yet; message ids, tokens and the retransmission jitter come from `seed`
    /// (`None`: the operating system's entropy, with `std`).
    pub(super) fn new(params: TransmissionParameters, seed: Option<u64>) -> Exchanges {
        let mut tokens = match seed {
            Some(seed) => TokenGenerator::with_seed(seed),
            None => TokenGenerator::new(),
        };
        let first = tokens.next_token();
        let jitter_seed = u64::from_be_bytes(tokens.next_token());
        Exchanges {
            retransmit: Retransmitter::with_seed(params, jitter_seed),
            message_id: u16::from_be_bytes([first[0], first[1]]),
            tokens,
            by_token: LiteMap::new(),
            by_message_id: LiteMap::new(),
            notifications: Vec::new(),
        }
    }

    /// A new message id (also for responses and non-confirmable messages).
    pub(super) fn next_message_id(&mut self) -> u16 {
        self.message_id = self.message_id.wrapping_add(1);
        self.message_id
    }

    /// A new token.
    pub(super) fn next_token(&mut self) -> Vec<u8> {
        self.tokens.next_token().to_vec()
    }

    /// Sends the message `body` has in flight (the whole request or its current block) to
    /// `peer` with `token` and a new message id: the datagram to transmit, or the kind back when
    /// it cannot be encoded within `limit` bytes.
    pub(super) fn start(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        token: Vec<u8>,
        kind: Kind,
        body: OutgoingBody,
        limit: usize,
    ) -> Result<Vec<u8>, Kind> {
        let message_id = self.next_message_id();
        let bytes = body.packet().ok().and_then(|mut packet| {
            packet.set_message_id(message_id);
            packet.set_token(&token);
            packet.into_bytes(limit).ok()
        });
        let Some(bytes) = bytes else {
            return Err(kind);
        };
        self.retransmit.sent(now, peer, message_id, bytes.clone());
        self.insert(
            peer,
            token,
            Exchange {
                kind,
                message_id,
                body: Some(body),
            },
        );
        Ok(bytes)
    }

    /// A notification was sent to `peer` for the observation `token`; a confirmable one
    /// (`confirmable` holds its bytes) is retransmitted until acknowledged.
    pub(super) fn notification(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        token: &[u8],
        message_id: u16,
        confirmable: Option<Vec<u8>>,
    ) {
        if let Some(bytes) = confirmable {
            self.retransmit.sent(now, peer, message_id, bytes);
            self.insert(
                peer,
                token.to_vec(),
                Exchange {
                    kind: Kind::Notification,
                    message_id,
                    body: None,
                },
            );
        }
        self.notifications.push((message_id, peer, token.to_vec()));
        if self.notifications.len() > NOTIFY_MEMORY {
            self.notifications.remove(0);
        }
    }

    fn insert(&mut self, peer: SocketAddr, token: Vec<u8>, exchange: Exchange) {
        self.by_message_id
            .insert((peer, exchange.message_id), token.clone());
        if let Some(old) = self.by_token.insert((peer, token), exchange) {
            self.by_message_id.remove(&(peer, old.message_id));
        }
    }

    fn remove(&mut self, peer: SocketAddr, token: &[u8]) -> Option<Exchange> {
        let exchange = self.by_token.remove(&(peer, token.to_vec()))?;
        self.by_message_id.remove(&(peer, exchange.message_id));
        self.retransmit.acknowledged(&peer, exchange.message_id);
        Some(exchange)
    }

    /// An empty ACK from `peer`: a separate response will follow, stop retransmitting.
    pub(super) fn acknowledged(&mut self, peer: SocketAddr, message_id: u16) {
        self.retransmit.acknowledged(&peer, message_id);
    }

    /// A response from `peer`: which exchange it answers, and what comes next. A final response
    /// ends the exchange.
    pub(super) fn response(
        &mut self,
        peer: SocketAddr,
        packet: &impl ReadMessage,
    ) -> ResponseMatch {
        let piggybacked = packet.message_type() == MessageType::Acknowledgement;
        let message_id = packet.message_id();
        if piggybacked {
            self.retransmit.acknowledged(&peer, message_id);
        }
        let token = packet.token();
        let Some(exchange) = self.by_token.get(&(peer, token.to_vec())) else {
            return ResponseMatch::Unmatched;
        };
        if piggybacked && exchange.message_id != message_id {
            return ResponseMatch::Unmatched;
        }
        // A piggy-backed answer matched its block's message id already.
        if !piggybacked
            && exchange
                .body
                .as_ref()
                .is_some_and(|body| !body.answers(packet))
        {
            return ResponseMatch::Stale;
        }
        let Some(mut exchange) = self.remove(peer, token) else {
            return ResponseMatch::Unmatched;
        };
        if let Some(mut body) = exchange.body.take()
            && body.advance(packet) == Step::Send
        {
            return ResponseMatch::NextBlock {
                token: token.to_vec(),
                kind: exchange.kind,
                body: Box::new(body),
            };
        }
        ResponseMatch::Final(exchange.kind)
    }

    /// An RST from `peer`: the exchange or notification it rejects, if any.
    pub(super) fn reset(&mut self, peer: SocketAddr, message_id: u16) -> Option<Ended> {
        self.retransmit.acknowledged(&peer, message_id);
        self.ended(peer, message_id, EndedHow::Reset)
    }

    /// The exchange (or notification) of `message_id` to `peer` ended without an answer.
    fn ended(&mut self, peer: SocketAddr, message_id: u16, how: EndedHow) -> Option<Ended> {
        let notification = self
            .notifications
            .iter()
            .position(|(id, p, _)| *id == message_id && *p == peer)
            .map(|at| self.notifications.remove(at));
        let exchange = self
            .by_message_id
            .get(&(peer, message_id))
            .cloned()
            .and_then(|token| Some((self.remove(peer, &token)?, token)));
        match (exchange, notification) {
            (Some((exchange, token)), _) => Some(Ended {
                peer,
                kind: exchange.kind,
                token,
                how,
            }),
            (None, Some((_, _, token))) => Some(Ended {
                peer,
                kind: Kind::Notification,
                token,
                how,
            }),
            (None, None) => None,
        }
    }

    /// Everything due at `now`: the datagrams to retransmit, and the exchanges given up.
    pub(super) fn poll(&mut self, now: Instant) -> (Vec<(SocketAddr, Vec<u8>)>, Vec<Ended>) {
        let mut resend = Vec::new();
        let mut gave_up = Vec::new();
        for event in self.retransmit.poll(now) {
            match event {
                RetransmitEvent::Resend { peer, bytes, .. } => resend.push((peer, bytes)),
                RetransmitEvent::GaveUp { peer, message_id } => {
                    if let Some(ended) = self.ended(peer, message_id, EndedHow::GaveUp) {
                        gave_up.push(ended);
                    }
                }
            }
        }
        (resend, gave_up)
    }

    /// Whether an exchange with `peer` of a kind `which` accepts is in flight.
    pub(super) fn any(&self, peer: SocketAddr, which: impl Fn(&Kind) -> bool) -> bool {
        self.by_token
            .iter()
            .any(|((p, _), e)| *p == peer && which(&e.kind))
    }

    /// Drops the exchanges with `peer` of a kind `which` accepts, without an outcome.
    /// (`which` is a plain `fn`: one copy of this for every caller.)
    pub(super) fn forget(&mut self, peer: SocketAddr, which: fn(&Kind) -> bool) {
        let gone: Vec<Vec<u8>> = self
            .by_token
            .iter()
            .filter(|((p, _), e)| *p == peer && which(&e.kind))
            .map(|((_, token), _)| token.clone())
            .collect();
        for token in gone {
            self.remove(peer, &token);
        }
    }

    /// Whether no exchange is in flight.
    pub(super) fn is_idle(&self) -> bool {
        self.by_token.is_empty()
    }

    /// When [`Exchanges::poll`] must run next.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.retransmit.next_deadline()
    }
}

#[cfg(test)]
mod tests {
    use coap_lite::{MessageClass, Packet, RequestType, ResponseType};

    use super::*;
    use crate::coap::message::RequestBuilder;

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5683))
    }

    fn body() -> OutgoingBody {
        let packet = RequestBuilder::new(RequestType::Post, 0, &[])
            .path(["rd"])
            .build_message()
            .expect("a small request builds");
        OutgoingBody::plan(packet, 512, 1152).expect("it fits one message")
    }

    fn started(exchanges: &mut Exchanges, now: Instant) -> (Vec<u8>, Packet) {
        let token = exchanges.next_token();
        let bytes = exchanges
            .start(now, peer(), token.clone(), Kind::Register, body(), 1152)
            .expect("encodes");
        let packet = Packet::from_bytes(&bytes).expect("parses");
        (token, packet)
    }

    fn answer(request: &Packet, kind: MessageType, message_id: u16) -> Packet {
        let mut response = Packet::new();
        response.header.set_type(kind);
        response.header.message_id = message_id;
        response.header.code = MessageClass::Response(ResponseType::Created);
        response.set_token(request.get_token().to_vec());
        response
    }

    #[test]
    fn a_piggybacked_answer_ends_the_exchange_once() {
        let mut exchanges = Exchanges::new(TransmissionParameters::default(), Some(7));
        let now = Instant::ZERO;
        let (_, request) = started(&mut exchanges, now);
        let id = request.header.message_id;
        assert!(exchanges.any(peer(), |k| *k == Kind::Register));
        let ack = answer(&request, MessageType::Acknowledgement, id);
        assert!(matches!(
            exchanges.response(peer(), &ack),
            ResponseMatch::Final(Kind::Register)
        ));
        assert!(matches!(
            exchanges.response(peer(), &ack),
            ResponseMatch::Unmatched
        ));
        assert_eq!(exchanges.next_deadline(), None);
        // An ACK with the right token but another message id answers nothing.
        let (_, request) = started(&mut exchanges, now);
        let wrong = answer(&request, MessageType::Acknowledgement, id.wrapping_sub(9));
        assert!(matches!(
            exchanges.response(peer(), &wrong),
            ResponseMatch::Unmatched
        ));
    }

    #[test]
    fn a_reset_names_the_exchange_by_message_id() {
        let mut exchanges = Exchanges::new(TransmissionParameters::default(), Some(7));
        let (token, request) = started(&mut exchanges, Instant::ZERO);
        let ended = exchanges.reset(peer(), request.header.message_id);
        assert_eq!(
            ended,
            Some(Ended {
                peer: peer(),
                kind: Kind::Register,
                token,
                how: EndedHow::Reset,
            })
        );
        assert!(!exchanges.any(peer(), |_| true));
        assert_eq!(exchanges.reset(peer(), request.header.message_id), None);
    }

    #[test]
    fn a_non_confirmable_notification_is_matched_by_its_reset() {
        let mut exchanges = Exchanges::new(TransmissionParameters::default(), Some(7));
        let id = exchanges.next_message_id();
        exchanges.notification(Instant::ZERO, peer(), b"obs", id, None);
        assert_eq!(exchanges.next_deadline(), None, "nothing to retransmit");
        let ended = exchanges.reset(peer(), id).expect("the notification");
        assert_eq!(ended.kind, Kind::Notification);
        assert_eq!(ended.token, b"obs");
    }

    #[test]
    fn an_unanswered_exchange_is_given_up_after_the_retransmissions() {
        let params = TransmissionParameters::default();
        let mut exchanges = Exchanges::new(params, Some(7));
        let (token, _) = started(&mut exchanges, Instant::ZERO);
        let mut resent = 0;
        let mut gave_up = Vec::new();
        while let Some(at) = exchanges.next_deadline() {
            let (again, ended) = exchanges.poll(at);
            resent += again.len();
            gave_up.extend(ended);
        }
        assert_eq!(resent, params.max_retransmit as usize);
        assert_eq!(gave_up.len(), 1);
        assert_eq!(gave_up[0].token, token);
        assert_eq!(gave_up[0].how, EndedHow::GaveUp);
        assert!(!exchanges.any(peer(), |_| true));
    }
}
